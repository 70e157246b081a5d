import { describe, expect, it } from 'vitest';
import { checkData, maxPodsDown, nextVersion } from '../../src/demos/analysis.js';
import type { CounterSnapshot, PodEvent, ProbeSample } from '../../src/demos/record.js';
import { canaryCount } from '../../src/demos/strategies.js';

const snap = (pod: string, counter: number | null, pvcUid = `uid-${pod}`): CounterSnapshot => ({
  pod,
  ordinal: Number(pod.split('-').pop()),
  counter,
  pvc: `counter-data-py-${pod}`,
  pvcUid,
  revision: 'r1',
  version: 'v1',
});
const acked = (pod: string, n: number): ProbeSample[] => Array.from({ length: n }, (_, i) => ({ t: i, ok: true, latencyMs: 1, pod }));

describe('checkData', () => {
  it('passes when every counter includes all acknowledged increments', () => {
    const checks = checkData(
      [snap('p-0', 10), snap('p-1', 5)],
      [snap('p-0', 13), snap('p-1', 7)],
      [...acked('p-0', 3), ...acked('p-1', 2), { t: 9, ok: false, latencyMs: 1 }],
    );
    expect(checks).toEqual([
      { pod: 'p-0', before: 10, after: 13, acknowledged: 3, preserved: true },
      { pod: 'p-1', before: 5, after: 7, acknowledged: 2, preserved: true },
    ]);
  });
  it('accepts more than acknowledged (requests answered after the probe gave up, other clients)', () => {
    expect(checkData([snap('p-0', 10)], [snap('p-0', 20)], acked('p-0', 3))[0]?.preserved).toBe(true);
  });
  it('fails a counter that went down', () => {
    expect(checkData([snap('p-0', 10)], [snap('p-0', 0)], [])[0]).toMatchObject({ preserved: false, reason: 'its counter went down (10 → 0)' });
  });
  it('fails when acknowledged increments are missing', () => {
    expect(checkData([snap('p-0', 10)], [snap('p-0', 12)], acked('p-0', 5))[0]).toMatchObject({
      preserved: false,
      reason: '3 acknowledged increments are missing (10 + 5 acknowledged > 12)',
    });
  });
  it('fails a PVC re-created under the same name', () => {
    expect(checkData([snap('p-0', 10, 'a')], [snap('p-0', 10, 'b')], [])[0]?.reason).toMatch(/its PVC changed/);
  });
  it('fails a pod that is gone or a counter that cannot be read', () => {
    expect(checkData([snap('p-0', 1)], [], [])[0]?.reason).toBe('the pod is gone after the update');
    expect(checkData([snap('p-0', 1)], [snap('p-0', null)], [])[0]?.reason).toBe('its counter could not be read');
  });
});

describe('maxPodsDown', () => {
  const e = (t: number, pod: string, type: PodEvent['type']): PodEvent => ({ t, pod, type });
  it('is 1 for a rolling update, one pod at a time', () => {
    const events = [
      e(1, 'p-1', 'deleting'),
      e(2, 'p-1', 'deleted'),
      e(3, 'p-1', 'created'),
      e(4, 'p-1', 'ready'),
      e(5, 'p-0', 'not-ready'),
      e(6, 'p-0', 'deleted'),
      e(7, 'p-0', 'created'),
      e(8, 'p-0', 'ready'),
    ];
    expect(maxPodsDown(['p-0', 'p-1'], events)).toBe(1);
  });
  it('is 2 when both go at once (recreate)', () => {
    expect(maxPodsDown(['p-0', 'p-1'], [e(1, 'p-0', 'deleting'), e(1, 'p-1', 'deleting'), e(9, 'p-0', 'ready'), e(9, 'p-1', 'ready')])).toBe(2);
  });
  it('does not count a canary that never got Ready', () => {
    expect(maxPodsDown(['p-0', 'p-1'], [e(1, 'p-2', 'created'), e(20, 'p-2', 'deleting'), e(21, 'p-2', 'deleted')])).toBe(0);
  });
  it('counts a canary that served and then went', () => {
    expect(maxPodsDown(['p-0'], [e(1, 'p-1', 'created'), e(2, 'p-1', 'ready'), e(5, 'p-1', 'deleting')])).toBe(1);
  });
});

describe('versions and canary size', () => {
  it.each([
    ['v1', 'v2'],
    ['v9', 'v10'],
    ['1.4.2', '1.4.3'],
    ['stable', 'stable-next'],
  ])('%s → %s', (from, to) => expect(nextVersion(from)).toBe(to));
  it.each([
    [2, 25, 1],
    [4, 25, 1],
    [5, 25, 2],
    [10, 25, 3],
    [2, 100, 2],
    [1, 1, 1],
  ])('%d replicas at %d%% → %d canaries', (replicas, percent, n) => expect(canaryCount(replicas, percent)).toBe(n));
});

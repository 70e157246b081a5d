import { describe, expect, it } from 'vitest';
import { checkData } from '../../src/demos/analysis.js';
import {
  allReadyMs,
  checkStorage,
  decideFailover,
  decideScale,
  failedRequestsSince,
  podTimes,
  readyAgainAfter,
  readyOrder,
  rolloutShape,
  scaleDownOrder,
  type PodIdentity,
  type PodTimes,
  type ScaleRun,
  type StorageFacts,
} from '../../src/demos/lessons.js';
import type { CounterSnapshot, PodEvent, ProbeSample } from '../../src/demos/record.js';

const ok = (t: number, pod = 'p-1'): ProbeSample => ({ t, ok: true, latencyMs: 1, pod });
const bad = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 1, error: 'ECONNREFUSED' });
const ev = (t: number, pod: string, type: PodEvent['type']): PodEvent => ({ t, pod, type });

describe('failedRequestsSince', () => {
  it('counts only failures from the moment on, and spans from the first to the next success', () => {
    const samples = [bad(50), ok(100), ok(200), bad(300), bad(400), ok(500), bad(600), ok(700)];
    // From 250: failures at 300, 400, 600; the first at 300 (50 after), the last at 600 (350 after); 300 → the success at 700.
    expect(failedRequestsSince(samples, 250)).toEqual({ count: 3, firstMs: 50, lastMs: 350, spanMs: 400 });
  });
  it('none failed: zero, nulls', () => {
    expect(failedRequestsSince([ok(1), ok(2)], 0)).toEqual({ count: 0, firstMs: null, lastMs: null, spanMs: 0 });
  });
  it('no success after the last failure: spans to the last failure', () => {
    expect(failedRequestsSince([bad(10), bad(30)], 0)).toEqual({ count: 2, firstMs: 10, lastMs: 30, spanMs: 20 });
  });
});

describe('readyAgainAfter', () => {
  it('delete: deleting, deleted, created, ready → the ready time after the failure', () => {
    const events = [
      ev(900, 'p-1', 'ready'),
      ev(1000, 'p-1', 'deleting'),
      ev(1000, 'p-1', 'not-ready'),
      ev(7000, 'p-1', 'deleted'),
      ev(7100, 'p-1', 'created'),
      ev(9000, 'p-1', 'ready'),
      ev(9500, 'p-0', 'ready'),
    ];
    expect(readyAgainAfter(events, 'p-1', 1000)).toBe(8000);
  });
  it('kill: not-ready then ready in the same pod', () => {
    expect(readyAgainAfter([ev(2500, 'p-1', 'not-ready'), ev(3900, 'p-1', 'ready')], 'p-1', 2000)).toBe(1900);
  });
  it('null when the pod never went out of service, or never came back', () => {
    expect(readyAgainAfter([ev(3000, 'p-1', 'ready')], 'p-1', 2000)).toBeNull();
    expect(readyAgainAfter([ev(3000, 'p-1', 'not-ready')], 'p-1', 2000)).toBeNull();
  });
});

describe('decideFailover', () => {
  const id = (over: Partial<PodIdentity> = {}): PodIdentity => ({ pod: 'p-1', uid: 'pod-a', pvc: 'c-p-1', pvcUid: 'pvc-a', restarts: 0, counter: 10, ...over });
  const snap = (pod: string, counter: number | null, pvcUid = `uid-${pod}`): CounterSnapshot => ({
    pod,
    ordinal: 1,
    counter,
    pvc: `c-${pod}`,
    pvcUid,
    revision: 'r',
    version: 'v1',
  });
  const acks = (n: number, pod = 'p-1') => Array.from({ length: n }, (_, i) => ok(i, pod));

  it('delete: passes with a new pod UID, the same PVC and UID, every acknowledged increment there', () => {
    const dataChecks = checkData([snap('p-1', 10)], [snap('p-1', 15)], acks(5));
    expect(decideFailover({ mode: 'delete', before: id(), after: id({ uid: 'pod-b', counter: 15 }), readyAgainMs: 8300, dataChecks })).toEqual({
      verdict: 'passed',
      reason: 'p-1 re-created under the same name, Ready again after 8.3 s on the same PVC, no acknowledged increment lost',
    });
  });
  it('kill: passes in the same pod with one more restart', () => {
    const dataChecks = checkData([snap('p-1', 10)], [snap('p-1', 12)], acks(2));
    expect(decideFailover({ mode: 'kill', before: id(), after: id({ restarts: 1, counter: 12 }), readyAgainMs: 1900, dataChecks }).verdict).toBe('passed');
  });
  it('kill: an acknowledged increment missing after the SIGKILL is lost data', () => {
    // 10 before, the probe saw 5 acknowledged, the counter reads 14: one acknowledged write did not survive.
    const dataChecks = checkData([snap('p-1', 10)], [snap('p-1', 14)], acks(5));
    expect(decideFailover({ mode: 'kill', before: id(), after: id({ restarts: 1 }), readyAgainMs: 1900, dataChecks })).toEqual({
      verdict: 'failed',
      reason: 'data lost: p-1 1 acknowledged increments are missing (10 + 5 acknowledged > 14)',
    });
  });
  it('delete: a counter back at 0 on a re-created PVC is lost data, found by the PVC UID first', () => {
    const dataChecks = checkData([snap('p-1', 10, 'pvc-a')], [snap('p-1', 0, 'pvc-b')], []);
    expect(decideFailover({ mode: 'delete', before: id(), after: id({ uid: 'pod-b', pvcUid: 'pvc-b' }), readyAgainMs: 5000, dataChecks })).toEqual({
      verdict: 'failed',
      reason: 'p-1 came back on another PVC (c-p-1 pvc-a → c-p-1 pvc-b)',
    });
  });
  it('another pod that lost its counter fails the lesson too', () => {
    const dataChecks = checkData([snap('p-0', 30), snap('p-1', 10)], [snap('p-0', 3), snap('p-1', 10)], []);
    expect(decideFailover({ mode: 'delete', before: id(), after: id({ uid: 'pod-b' }), readyAgainMs: 5000, dataChecks }).reason).toBe(
      'data lost: p-0 its counter went down (30 → 3)',
    );
  });
  it.each([
    ['the pod did not come back', { after: null }, 'p-1 did not come back'],
    ['it was not seen Ready again', { readyAgainMs: null }, 'p-1 was not seen Ready again'],
    ['delete left the same pod', { after: id() }, 'p-1 was not re-created (same pod UID pod-a)'],
  ])('fails when %s', (_what, over, reason) => {
    expect(decideFailover({ mode: 'delete', before: id(), after: id({ uid: 'pod-b' }), readyAgainMs: 1000, dataChecks: [], ...over })).toEqual({
      verdict: 'failed',
      reason,
    });
  });
  it('kill without a restart fails (the SIGKILL did not land)', () => {
    expect(decideFailover({ mode: 'kill', before: id(), after: id(), readyAgainMs: 1000, dataChecks: [] }).verdict).toBe('failed');
  });
  it('a stop wins: interrupted with a phase, failed without', () => {
    expect(
      decideFailover({ mode: 'kill', stop: { message: 'x', interruptedIn: 'recover' }, before: id(), after: null, readyAgainMs: null, dataChecks: [] }).verdict,
    ).toBe('interrupted');
    expect(decideFailover({ mode: 'kill', stop: { message: 'x' }, before: id(), after: null, readyAgainMs: null, dataChecks: [] }).verdict).toBe('failed');
  });
  it('a hang passes only in the same pod, resumed (not left stopped), restarted only by a liveness probe', () => {
    const dataChecks = [{ pod: 'p-1', before: 10, after: 12, acknowledged: 2, preserved: true }];
    const hang = { mode: 'hang' as const, before: id(), readyAgainMs: 4200, dataChecks };
    expect(decideFailover({ ...hang, after: id({ counter: 12 }), resumed: { states: ['S'] }, liveness: false })).toEqual({
      verdict: 'passed',
      reason: "p-1's app resumed in the same pod, not restarted, Ready again after 4.2 s on the same PVC, no acknowledged increment lost",
    });
    expect(decideFailover({ ...hang, after: id(), resumed: { states: ['T'] }, liveness: false })).toEqual({
      verdict: 'failed',
      reason: "p-1's app is still stopped after the SIGCONT (state T)",
    });
    expect(decideFailover({ ...hang, after: id(), resumed: null, liveness: false }).reason).toBe("no SIGCONT reached p-1's app: it may still be stopped");
    expect(decideFailover({ ...hang, after: id({ restarts: 1 }), resumed: { states: ['S'] }, liveness: false }).reason).toBe(
      "p-1's container restarted (restarts 0 → 1) although it has no liveness probe",
    );
    // With a liveness probe the restart is its doing, and the SIGCONT may find no process.
    expect(decideFailover({ ...hang, after: id({ restarts: 1 }), resumed: { states: [] }, liveness: true }).reason).toMatch(
      /^p-1's hung app restarted by its liveness probe in the same pod/,
    );
    expect(decideFailover({ ...hang, after: id({ uid: 'pod-b' }), resumed: { states: ['S'] }, liveness: false }).verdict).toBe('failed');
  });
});

describe('scale-up timing: staircase against block', () => {
  // OrderedReady: each pod created once the one before is Ready.
  const ordered = [
    ev(1000, 's-2', 'created'),
    ev(3000, 's-2', 'ready'),
    ev(3100, 's-3', 'created'),
    ev(5200, 's-3', 'ready'),
    ev(5300, 's-4', 'created'),
    ev(7000, 's-4', 'ready'),
  ];
  // Parallel: all created together, Ready in any order.
  const parallel = [
    ev(1000, 's-2', 'created'),
    ev(1010, 's-3', 'created'),
    ev(1020, 's-4', 'created'),
    ev(3500, 's-4', 'ready'),
    ev(3600, 's-2', 'ready'),
    ev(3700, 's-3', 'ready'),
  ];
  const pods = ['s-2', 's-3', 's-4'];

  it('podTimes measures from the request', () => {
    expect(podTimes(ordered, pods, 500)).toEqual([
      { pod: 's-2', ordinal: 2, createdMs: 500, readyMs: 2500 },
      { pod: 's-3', ordinal: 3, createdMs: 2600, readyMs: 4700 },
      { pod: 's-4', ordinal: 4, createdMs: 4800, readyMs: 6500 },
    ]);
  });
  it('OrderedReady is a staircase, Parallel a block', () => {
    expect(rolloutShape(podTimes(ordered, pods, 500))).toBe('staircase');
    expect(rolloutShape(podTimes(parallel, pods, 500))).toBe('block');
  });
  it('all Ready: the last Ready time; null when one never was', () => {
    expect(allReadyMs(podTimes(ordered, pods, 500))).toBe(6500);
    expect(allReadyMs(podTimes(parallel, pods, 0))).toBe(3700);
    expect(allReadyMs(podTimes(parallel.slice(0, 5), pods, 0))).toBeNull();
  });
  it('ready order follows the Ready times, not the ordinals', () => {
    expect(readyOrder(podTimes(parallel, pods, 0))).toEqual(['s-4', 's-2', 's-3']);
    expect(readyOrder(podTimes(ordered, pods, 0))).toEqual(['s-2', 's-3', 's-4']);
  });
  it('one pod, or a missing time, is no shape', () => {
    expect(rolloutShape(podTimes(ordered, ['s-2'], 0))).toBe('single');
    const missing: PodTimes[] = [
      { pod: 'a-0', ordinal: 0, createdMs: 0, readyMs: null },
      { pod: 'a-1', ordinal: 1, createdMs: 0, readyMs: 5 },
    ];
    expect(rolloutShape(missing)).toBe('unknown');
  });
  it('scale-down order: by the time each started terminating, highest ordinal first on a tie', () => {
    const events = [ev(2000, 's-4', 'deleting'), ev(9000, 's-4', 'deleted'), ev(9100, 's-3', 'deleting'), ev(2000, 's-2', 'deleting')];
    expect(scaleDownOrder(events, pods, 1000)).toEqual([
      { pod: 's-4', deletingMs: 1000, deletedMs: 8000 },
      { pod: 's-2', deletingMs: 1000, deletedMs: null },
      { pod: 's-3', deletingMs: 8100, deletedMs: null },
    ]);
  });
});

describe('checkStorage: PVCs across a scale-down and back', () => {
  const facts = (over: Partial<StorageFacts>): StorageFacts => ({
    pod: 's-3',
    pvc: 'c-s-3',
    retention: 'retain',
    before: { counter: 40, pvcUid: 'u1' },
    acknowledgedAfterRead: 5,
    pvcUidAfterScaleDown: 'u1',
    returned: { counter: 47, pvcUid: 'u1' },
    acknowledgedSinceReturn: 2,
    ...over,
  });
  it('Retain: the claim stays, the returning pod serves its old value plus what it acknowledged', () => {
    expect(checkStorage(facts({}))).toMatchObject({ expected: 'kept', ok: true });
  });
  it.each([
    ['the claim was deleted', { pvcUidAfterScaleDown: null }, 'c-s-3 was deleted on the scale-down although the policy is Retain'],
    ['the claim was re-created', { returned: { counter: 47, pvcUid: 'u2' } }, 'c-s-3 was re-created (UID u1 → u2)'],
    [
      'the returning pod serves less than it had acknowledged',
      { returned: { counter: 44, pvcUid: 'u1' } },
      'the returning pod serves 44, less than the 45 it had acknowledged (40 + 5)',
    ],
    ['a counter could not be read', { returned: { counter: null, pvcUid: 'u1' } }, 'a counter could not be read'],
  ])('Retain fails when %s', (_what, over, reason) => {
    expect(checkStorage(facts(over))).toMatchObject({ ok: false, reason });
  });
  it('Delete: the claim is gone after the scale-down and the returning pod starts from 0 on a new one', () => {
    expect(checkStorage(facts({ retention: 'delete', pvcUidAfterScaleDown: null, returned: { counter: 2, pvcUid: 'u2' } }))).toMatchObject({
      expected: 'fresh',
      ok: true,
    });
  });
  it.each([
    [
      'the claim is still there',
      { pvcUidAfterScaleDown: 'u1', returned: { counter: 2, pvcUid: 'u2' } },
      'c-s-3 is still there after the scale-down although whenScaled is Delete',
    ],
    [
      'the returning pod has the old claim',
      { pvcUidAfterScaleDown: null, returned: { counter: 47, pvcUid: 'u1' } },
      'the returning pod has the old claim (UID u1)',
    ],
    [
      'the returning pod serves more than it answered since',
      { pvcUidAfterScaleDown: null, returned: { counter: 41, pvcUid: 'u2' } },
      'the returning pod serves 41, more than the 2 requests it answered since it came back: not a fresh volume',
    ],
  ])('Delete fails when %s', (_what, over, reason) => {
    expect(checkStorage(facts({ retention: 'delete', ...over }))).toMatchObject({ ok: false, reason });
  });
});

describe('decideScale', () => {
  const run = (over: Partial<ScaleRun> = {}): ScaleRun => ({
    policy: 'Parallel',
    release: 'r',
    temporary: false,
    from: 2,
    to: 6,
    up: { requestedAt: 0, allReadyMs: 3200, pods: [], readyOrder: [], shape: 'block' },
    down: { requestedAt: 0, doneMs: 7000, order: [] },
    again: { requestedAt: 0, allReadyMs: 3000, pods: [] },
    probe: {
      intervalMs: 100,
      requests: 0,
      ok: 0,
      failures: 0,
      successRatio: 1,
      longestOutageMs: 0,
      outages: [],
      latencyMs: { p50: 0, p99: 0, max: 0 },
      perPod: {},
      perVersion: {},
    },
    failedUp: 0,
    failedDown: 0,
    storage: [],
    ...over,
  });
  it('passes with no failed request and every storage check ok', () => {
    expect(
      decideScale([run(), run({ policy: 'OrderedReady', up: { requestedAt: 0, allReadyMs: 9100, pods: [], readyOrder: [], shape: 'staircase' } })]),
    ).toEqual({
      verdict: 'passed',
      reason:
        'Parallel 2→6 all Ready in 3.2 s (block); OrderedReady 2→6 all Ready in 9.1 s (staircase); no failed request; returning pods served their old counters again',
    });
  });
  it('fails on failed requests (target 0) and on a storage check', () => {
    const storage = [
      {
        ...checkStorage({
          pod: 's-3',
          pvc: 'c',
          retention: 'retain',
          before: { counter: 4, pvcUid: 'u' },
          acknowledgedAfterRead: 0,
          pvcUidAfterScaleDown: null,
          returned: { counter: 0, pvcUid: 'v' },
          acknowledgedSinceReturn: 0,
        }),
      },
    ];
    expect(decideScale([run({ failedDown: 3, storage })])).toEqual({
      verdict: 'failed',
      reason: 'Parallel: 0 requests failed scaling up, 3 scaling down (target 0); Parallel: s-3: c was deleted on the scale-down although the policy is Retain',
    });
  });
});

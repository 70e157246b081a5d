// The scale lesson at the level of its steps' results: what one policy's run measured (scaleRun)
// and the lesson's record (scaleRecord), from scripted marks, reads, samples and pod events. Every
// expected figure is worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import type { PodEvent, ProbeSample } from '../../src/demos/record.js';
import { scaleRecord, scaleRun, type ScaleOptions } from '../../src/demos/scale.js';

const POD = 'helm-python-2';
const PVC = 'counter-data-py-helm-python-2';
// 2 → 3 replicas: one added pod. Scale-up at 1 s, read done at 5 s, scale-down at 8 s, up again at
// 12 s, Ready again at 15 s, read again at 16 s, restore at 18 s.
const marks = { upAt: 1_000, readEnd: 5_000, downAt: 8_000, againAt: 12_000, againReadyAt: 15_000, returnedAt: 16_000, restoreAt: 18_000 };
const events: PodEvent[] = [
  { t: 1_200, pod: POD, type: 'created' },
  { t: 3_500, pod: POD, type: 'ready' },
  { t: 8_100, pod: POD, type: 'deleting' },
  { t: 9_300, pod: POD, type: 'deleted' },
  { t: 12_300, pod: POD, type: 'created' },
  { t: 14_800, pod: POD, type: 'ready' },
];
const ok = (t: number, pod = POD): ProbeSample => ({ t, ok: true, latencyMs: 3, status: 200, pod, version: 'v1', counter: 1 });
const failed = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 1, error: 'ECONNREFUSED' });
// Answers from the added pod at 2 s (before the read: not counted), 6 s and 7 s (after the read, before
// the scale-down: 2), 15.5 s (after its return: 1); one from helm-python-0. Failures at 3 s and 13 s
// (scaling up: 2), 8.5 s and 19 s (scaling down, and after the restore: 2).
const samples = [ok(2_000), failed(3_000), ok(4_000, 'helm-python-0'), ok(6_000), ok(7_000), failed(8_500), failed(13_000), ok(15_500), failed(19_000)];
const seen = { policy: 'Parallel' as const, release: 'helm-python', temporary: false, replicas: 2, to: 3, intervalMs: 500, retention: 'retain' as const };
const reads = (returned: number, uidAgain: string | null) => ({
  readings: [{ pod: POD, ordinal: 2, counter: 40, ready: true, pvc: PVC, revision: 'r1', version: 'v1' }],
  claimsBefore: new Map([[PVC, 'uid-2']]),
  claimsDown: new Map([[PVC, 'uid-2']]),
  returned: [{ pod: POD, ordinal: 2, counter: returned, ready: true, pvc: PVC, revision: 'r1', version: 'v1' }],
  claimsAgain: new Map([[PVC, uidAgain]]),
});

describe('scaleRun: one policy from its marks, reads, samples and pod events', () => {
  it('times from each request, the scale-down order, failed requests per direction, the storage check', () => {
    const run = scaleRun(seen, marks, reads(42, 'uid-2'), samples, events);
    expect(run.up).toEqual({
      requestedAt: 1_000,
      // created 1 200 − 1 000, Ready 3 500 − 1 000.
      pods: [{ pod: POD, ordinal: 2, createdMs: 200, readyMs: 2_500 }],
      allReadyMs: 2_500,
      readyOrder: [POD],
      shape: 'single',
    });
    // deleting 8 100 − 8 000, deleted 9 300 − 8 000.
    expect(run.down).toEqual({ requestedAt: 8_000, doneMs: 1_300, order: [{ pod: POD, deletingMs: 100, deletedMs: 1_300 }] });
    expect(run.again).toEqual({ requestedAt: 12_000, allReadyMs: 2_800, pods: [{ pod: POD, ordinal: 2, createdMs: 300, readyMs: 2_800 }] });
    expect([run.failedUp, run.failedDown]).toEqual([2, 2]);
    expect([run.probe.requests, run.probe.failures]).toEqual([9, 4]);
    // Retain: 40 read + 2 acknowledged after the read = 42 at least; it serves 42 on the same claim.
    expect(run.storage).toEqual([
      expect.objectContaining({ pod: POD, expected: 'kept', ok: true, acknowledgedAfterRead: 2, acknowledgedSinceReturn: 1, pvcUidAfterScaleDown: 'uid-2' }),
    ]);
    expect(run).not.toHaveProperty('probeVia');
    expect(scaleRun({ ...seen, viaApiServer: true }, marks, reads(42, 'uid-2'), samples, events).probeVia).toBe('api-server-proxy');
  });

  it('a returning pod serving less than it acknowledged fails its storage check', () => {
    const [check] = scaleRun(seen, marks, reads(41, 'uid-2'), samples, events).storage;
    expect(check).toMatchObject({ ok: false, reason: 'the returning pod serves 41, less than the 42 it had acknowledged (40 + 2)' });
  });
});

describe('scaleRecord: the lesson from its runs', () => {
  const options: ScaleOptions = {
    to: 3,
    policy: 'parallel',
    pvcRetention: 'retain',
    keepPvcs: false,
    intervalMs: 500,
    timeoutMs: 60_000,
    settleMs: 1_000,
    recordDir: '/tmp/x',
    k8sLabVersion: '0.1.0',
  };
  const environment = { kubernetes: 'v1.34.2', helm: 'v4.1.4', kubectl: 'v1.35.0', k8sLab: '0.1.0', node: 'v24.0.0' };
  const asked = { lab: { release: 'helm-python' }, options, replicas: 2, namespace: 'lab', cluster: undefined, environment };
  const startedAt = new Date('2026-12-03T12:00:00.000Z');
  const endedAt = new Date('2026-12-03T12:00:21.500Z');
  const run = scaleRun(seen, marks, reads(42, 'uid-2'), samples, events);

  it('the id from its start, the duration, the options it was asked; 4 failed requests fail it', () => {
    const record = scaleRecord(asked, { startedAt, endedAt, phases: [], runs: [run], cleanup: [], notes: [] });
    expect([record.id, record.durationMs, record.verdict]).toEqual(['2026-12-03T12-00-00-000Z-scale', 21_500, 'failed']);
    expect(record.reason).toBe('Parallel: 2 requests failed scaling up, 2 scaling down (target 0)');
    expect(record.options).toEqual({ replicas: 2, to: 3, policy: 'parallel', pvcRetention: 'retain', keepPvcs: false, intervalMs: 500 });
  });

  it('a Ctrl-C: interrupted, with the phase and what was put back in its reason', () => {
    const record = scaleRecord(asked, {
      startedAt,
      endedAt,
      phases: [],
      runs: [],
      cleanup: ['helm-python back at 2 replicas'],
      notes: [],
      failure: new Error('interrupted'),
      interruptedIn: 'Parallel: scale up',
    });
    expect([record.verdict, record.reason]).toEqual(['interrupted', 'interrupted during Parallel: scale up; helm-python back at 2 replicas']);
  });
});

import { describe, expect, it } from 'vitest';
import { brokenPromise, buildRunRecord, decideVerdict, podsUnavailableAtOnce, type DemoStop, type Measurements } from '../../src/demos/outcome.js';
import type { CounterSnapshot, DataCheck, ProbeSample } from '../../src/demos/record.js';
import type { StrategyOutcome } from '../../src/demos/strategies.js';

const versions = { from: 'v1', to: 'v2' };
const kept: DataCheck = { pod: 'helm-python-0', before: 3, after: 5, acknowledged: 2, preserved: true };
const lost: DataCheck = { pod: 'helm-python-1', before: 4, after: 0, acknowledged: 0, preserved: false, reason: 'its counter went down (4 → 0)' };
const failedStep: DemoStop = {
  message: 'pods of helm-python not Ready after 300 s',
  explanation: 'pods of helm-python not Ready after 300 s; recovered: helm rollback to revision 3',
};
const interrupted: DemoStop = {
  message: 'interrupted (SIGINT)',
  explanation: 'interrupted (SIGINT) during rollout; undone: helm rollback to revision 3',
  interruptedIn: 'rollout',
};
const aborted: StrategyOutcome = { aborted: true, reason: 'canary helm-python-2 answered HTTP 503' };
const completed: StrategyOutcome = { aborted: false };

describe('decideVerdict', () => {
  it.each<[string, DemoStop | undefined, DataCheck[], StrategyOutcome | undefined, { verdict: string; reason: string }]>([
    ['all well', undefined, [kept], completed, { verdict: 'passed', reason: 'every pod runs v2, no data lost' }],
    [
      'a failed step, with what was done about it',
      failedStep,
      [kept],
      undefined,
      { verdict: 'failed', reason: 'pods of helm-python not Ready after 300 s; recovered: helm rollback to revision 3' },
    ],
    [
      'a failed step with no explanation: its message',
      { message: 'helm upgrade helm-python: helm failed: boom' },
      [],
      undefined,
      { verdict: 'failed', reason: 'helm upgrade helm-python: helm failed: boom' },
    ],
    [
      'Ctrl-C during a phase',
      interrupted,
      [kept],
      undefined,
      { verdict: 'interrupted', reason: 'interrupted (SIGINT) during rollout; undone: helm rollback to revision 3' },
    ],
    ['a stop outranks lost data', failedStep, [lost], undefined, { verdict: 'failed', reason: failedStep.explanation! }],
    [
      'lost data fails a completed update, naming each pod',
      undefined,
      [kept, lost, { ...lost, pod: 'helm-python-2', reason: 'the pod is gone after the update' }],
      completed,
      {
        verdict: 'failed',
        reason: 'data lost: helm-python-1 its counter went down (4 → 0); helm-python-2 the pod is gone after the update',
      },
    ],
    [
      'lost data outranks an aborted canary',
      undefined,
      [lost],
      aborted,
      { verdict: 'failed', reason: 'data lost: helm-python-1 its counter went down (4 → 0)' },
    ],
    [
      'an aborted canary with its data kept',
      undefined,
      [kept],
      aborted,
      { verdict: 'aborted', reason: 'canary helm-python-2 answered HTTP 503; the old version v1 is still serving' },
    ],
  ])('%s', (_, stop, checks, outcome, expected) => {
    expect(decideVerdict(stop, checks, outcome, versions)).toEqual(expected);
  });
});

const snapshot = (ordinal: number, counter: number | null, pvcUid = `uid-${ordinal}`): CounterSnapshot => ({
  pod: `helm-python-${ordinal}`,
  ordinal,
  counter,
  pvc: `counter-data-py-helm-python-${ordinal}`,
  pvcUid,
  revision: 'r1',
  version: 'v1',
});
const sample = (t: number, pod?: string): ProbeSample =>
  pod ? { t, ok: true, latencyMs: 4, status: 200, pod, version: 'v1', counter: 1 } : { t, ok: false, latencyMs: 1000, error: 'timeout' };

function measured(overrides: Partial<Measurements> = {}): Measurements {
  return {
    strategy: 'rolling',
    release: 'helm-python',
    namespace: 'lab',
    versions,
    replicas: 2,
    options: { intervalMs: 100, checkMs: 10_000, canaryPercent: 25, keepCanaryPvcs: false, broken: false },
    environment: { kubernetes: 'v1.34.2', helm: 'v4.1.4', kubectl: 'v1.35.0', k8sLab: '0.1.0', node: 'v20.0.0' },
    startedAt: new Date('2026-11-24T03:18:02.114Z'),
    endedAt: new Date('2026-11-24T03:18:41.294Z'),
    phases: [{ name: 'rollout', start: 100, end: 30_000 }],
    podEvents: [
      { t: 1000, pod: 'helm-python-1', type: 'deleting' },
      { t: 2000, pod: 'helm-python-0', type: 'not-ready' },
      { t: 9000, pod: 'helm-python-1', type: 'ready' },
    ],
    initiallyReady: ['helm-python-0', 'helm-python-1'],
    samples: [sample(0, 'helm-python-0'), sample(100), sample(200, 'helm-python-1'), sample(300, 'helm-python-0')],
    counters: { before: [snapshot(0, 10), snapshot(1, 7)], after: [snapshot(0, 12), snapshot(1, 8)] },
    notes: ['Probe: GET / every 100 ms.'],
    outcome: completed,
    ...overrides,
  };
}

describe('buildRunRecord', () => {
  it('names the run by its start and strategy and keeps what was measured', () => {
    const record = buildRunRecord(measured());
    expect(record).toMatchObject({
      schema: 1,
      id: '2026-11-24T03-18-02-114Z-rolling',
      startedAt: '2026-11-24T03:18:02.114Z',
      endedAt: '2026-11-24T03:18:41.294Z',
      durationMs: 39_180,
      options: { replicas: 2, intervalMs: 100, checkMs: 10_000 },
      maxPodsDown: 2,
      dataPreserved: true,
      // One of the four requests (at 100 ms) failed, the next (200 ms) answered: a rolling update of two replicas broke its promise.
      verdict: 'failed',
      reason:
        'every pod runs v2, no data lost, but 1 of 4 requests through the Service failed (longest outage 100 ms), where a rolling update of 2 replicas promises to keep serving',
    });
    expect(record.options).not.toHaveProperty('canaryPercent');
    expect(record.dataChecks).toEqual([
      { pod: 'helm-python-0', before: 10, after: 12, acknowledged: 2, preserved: true },
      { pod: 'helm-python-1', before: 7, after: 8, acknowledged: 1, preserved: true },
    ]);
    expect(record.probe).toMatchObject({ requests: 4, ok: 3, failures: 1, successRatio: 0.75, perPod: { 'helm-python-0': 2, 'helm-python-1': 1 } });
  });

  it('records the canary options only for a canary', () => {
    expect(buildRunRecord(measured({ strategy: 'canary' })).options).toEqual({
      replicas: 2,
      intervalMs: 100,
      checkMs: 10_000,
      canaryPercent: 25,
      keepCanaryPvcs: false,
      broken: false,
    });
  });

  it('records --max-unavailable only for a rolling update, and how a recreate ran (method) only where it was chosen', () => {
    const options = { ...measured().options, maxUnavailable: '50%' };
    expect(buildRunRecord(measured({ options })).options).toEqual({ replicas: 2, intervalMs: 100, checkMs: 10_000, maxUnavailable: '50%' });
    expect(buildRunRecord(measured({ strategy: 'partition', options })).options).not.toHaveProperty('maxUnavailable');
    const method = {
      id: 'native-recreate',
      label: 'native Recreate (StatefulSetRecreateStrategy)',
      why: 'the API server accepts updateStrategy Recreate (server-side dry-run)',
    } as const;
    const native = buildRunRecord(measured({ strategy: 'recreate', recreate: 'native', method }));
    expect(native.options).toEqual({ replicas: 2, intervalMs: 100, checkMs: 10_000, recreate: 'native' });
    expect(native.method).toEqual(method);
    const plain = buildRunRecord(measured({ recreate: 'emulated' }));
    expect(plain.options).not.toHaveProperty('recreate');
    expect(plain).not.toHaveProperty('method');
  });

  it('fails a run whose PVC was re-created, however the update went', () => {
    const record = buildRunRecord(measured({ counters: { before: [snapshot(0, 10), snapshot(1, 7)], after: [snapshot(0, 12), snapshot(1, 8, 'uid-new')] } }));
    expect(record.dataPreserved).toBe(false);
    expect(record.verdict).toBe('failed');
    expect(record.reason).toBe('data lost: helm-python-1 its PVC changed (counter-data-py-helm-python-1 uid-1 → counter-data-py-helm-python-1 uid-new)');
  });

  it('fails a run with acknowledged increments missing', () => {
    const record = buildRunRecord(measured({ counters: { before: [snapshot(0, 10), snapshot(1, 7)], after: [snapshot(0, 11), snapshot(1, 8)] } }));
    expect(record.reason).toBe('data lost: helm-python-0 1 acknowledged increments are missing (10 + 2 acknowledged > 11)');
  });

  it('an interrupted run keeps its explanation as the reason', () => {
    const record = buildRunRecord(measured({ stop: interrupted, outcome: undefined, counters: { before: [snapshot(0, 10)], after: [] } }));
    expect(record).toMatchObject({ verdict: 'interrupted', reason: interrupted.explanation, dataPreserved: false });
  });
});

describe('brokenPromise: rolling, canary and partition keep serving with two replicas or more', () => {
  const run = (strategy: 'rolling' | 'recreate' | 'canary' | 'partition', failures: number, options: object = { replicas: 2 }) => ({
    strategy,
    options,
    probe: { requests: 200, failures, longestOutageMs: 350 },
  });
  const broken = (strategy: string, failures: number, replicas = 2) =>
    `${failures} of 200 requests through the Service failed (longest outage 350 ms), where a ${strategy} update of ${replicas} replicas promises to keep serving`;
  it.each<[string, ReturnType<typeof run>, string | undefined]>([
    ['rolling, none lost: kept', run('rolling', 0), undefined],
    ['rolling, 3 lost: broken', run('rolling', 3), broken('rolling', 3)],
    ['canary, 1 lost: broken', run('canary', 1), broken('canary', 1)],
    ['partition of 3 replicas, 2 lost: broken', run('partition', 2, { replicas: 3 }), broken('partition', 2, 3)],
    ['recreate has downtime by design: no promise', run('recreate', 36), undefined],
    ['one replica cannot keep serving while it is replaced: no promise', run('rolling', 5, { replicas: 1 }), undefined],
    ['rolling with maxUnavailable 2 of 2 replicas takes every pod down: no promise', run('rolling', 5, { replicas: 2, maxUnavailable: 2 }), undefined],
    ['rolling with maxUnavailable 100% of 3: no promise', run('rolling', 5, { replicas: 3, maxUnavailable: '100%' }), undefined],
    ['rolling with maxUnavailable 50% of 3 (one pod at a time): broken', run('rolling', 5, { replicas: 3, maxUnavailable: '50%' }), broken('rolling', 5, 3)],
  ])('%s', (_, facts, expected) => expect(brokenPromise(facts)).toBe(expected));

  it('failures inside a control-plane window or in the 60 s after it are named as such; the broken promise still stands', () => {
    // The API server away from 15.0 s to 26.7 s: the 60 s after it end at 86.7 s.
    const controlPlane = { away: [{ start: 15_000, end: 26_700, seen: ['pod watch: API server refused connections'] }], changeFaults: 0, retried: 0 };
    const samples = [
      { t: 10_000, ok: true },
      { t: 20_000, ok: false }, // inside the window
      { t: 68_000, ok: false }, // 41.3 s after it
      { t: 86_700, ok: false }, // 60.0 s after it: still near
      { t: 90_000, ok: false }, // 63.3 s after it: the strategy's
    ];
    const facts = { ...run('canary', 4), controlPlane, samples };
    expect(brokenPromise(facts)).toBe(
      `${broken('canary', 4)}; 3 of them while the control plane was away or in the 60 s after it came back, when kube-proxy (which routes the Service) may not yet have seen the pods change: not the strategy's doing alone`,
    );
    expect(brokenPromise({ ...run('rolling', 2), controlPlane, samples: samples.slice(0, 3) })).toContain('; all of them while the control plane was away');
    // No window: the sentence as before.
    expect(brokenPromise({ ...run('canary', 4), samples })).toBe(broken('canary', 4));
  });

  it.each<[string | number | undefined, number, number]>([
    [undefined, 4, 1],
    [2, 4, 2],
    ['50%', 3, 1],
    ['50%', 4, 2],
    ['10%', 4, 1],
    ['100%', 5, 5],
  ])('maxUnavailable %j of %d replicas: %d pods at once', (value, replicas, pods) => expect(podsUnavailableAtOnce(value, replicas)).toBe(pods));

  it('decideVerdict: a broken promise fails a completed update, after a stop, lost data and an aborted canary', () => {
    expect(decideVerdict(undefined, [kept], completed, versions, 'X')).toEqual({ verdict: 'failed', reason: 'every pod runs v2, no data lost, but X' });
    expect(decideVerdict(undefined, [kept], aborted, versions, 'X').verdict).toBe('aborted');
    expect(decideVerdict(undefined, [lost], completed, versions, 'X').reason).toMatch(/^data lost/);
    expect(decideVerdict(failedStep, [kept], completed, versions, 'X').reason).toBe(failedStep.explanation);
  });
});

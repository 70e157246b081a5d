import { describe, expect, it } from 'vitest';
import type { FailoverRecord, ScaleRecord, ScaleRun } from '../../src/demos/lessons.js';
import type { ProbeSample } from '../../src/demos/record.js';
import { lessonsOf, orderingMeasured, parallelMeasured, renderScaleSvg, volumeLessons } from '../../src/report/lessons.js';
import { measuredOn } from '../../src/report/render.js';

const probe = {
  intervalMs: 100,
  requests: 10,
  ok: 10,
  failures: 0,
  successRatio: 1,
  longestOutageMs: 0,
  outages: [],
  latencyMs: { p50: 1, p99: 1, max: 1 },
  perPod: {},
  perVersion: {},
};

function run(policy: 'Parallel' | 'OrderedReady', release: string, created: number[], ready: number[]): ScaleRun {
  const pods = created.map((c, i) => ({ pod: `${release}-${2 + i}`, ordinal: 2 + i, createdMs: c, readyMs: ready[i]! }));
  return {
    policy,
    release,
    temporary: policy === 'OrderedReady',
    from: 2,
    to: 2 + created.length,
    up: {
      requestedAt: 1000,
      allReadyMs: Math.max(...ready),
      pods,
      readyOrder: pods.map((p) => p.pod),
      shape: policy === 'OrderedReady' ? 'staircase' : 'block',
    },
    down: {
      requestedAt: 21_000,
      doneMs: 9000,
      order: [...pods].reverse().map((p, i) => ({ pod: p.pod, deletingMs: 500 + i * 6000, deletedMs: 6500 + i * 6000 })),
    },
    again: { requestedAt: 40_000, allReadyMs: 3000, pods: [] },
    probe,
    failedUp: 0,
    failedDown: 0,
    storage: pods.map((p, i) => ({
      pod: p.pod,
      pvc: `counter-data-py-${p.pod}`,
      retention: 'retain' as const,
      before: { counter: 10 + i, pvcUid: `u${i}` },
      acknowledgedAfterRead: 3,
      pvcUidAfterScaleDown: `u${i}`,
      returned: { counter: 14 + i, pvcUid: `u${i}` },
      acknowledgedSinceReturn: 1,
      expected: 'kept' as const,
      ok: true,
    })),
  };
}

const scale: ScaleRecord = {
  schema: 1,
  lesson: 'scale',
  id: '2026-11-29T20-30-07-603Z-scale',
  release: 'helm-python',
  namespace: 'lab',
  options: { replicas: 2, to: 4, policy: 'both', pvcRetention: 'retain', keepPvcs: false, intervalMs: 100 },
  environment: { kubernetes: 'v1.37.2', helm: 'v4.1.4', kubectl: 'v1.35.0', k8sLab: '0.1.0', node: 'v22' },
  startedAt: '2026-11-29T20:30:07.603Z',
  endedAt: '2026-11-29T20:31:39.000Z',
  durationMs: 91_400,
  phases: [],
  runs: [run('Parallel', 'helm-python', [2100, 2200], [5400, 6500]), run('OrderedReady', 'helm-python-ordered', [2500, 4600], [4500, 7400])],
  cleanup: [],
  verdict: 'passed',
  reason: '',
  notes: [],
};

/** Both policies of the one record, as the report shows them. */
const measured = () => lessonsOf([scale]).scale;

describe('report: the lessons under the write-up sections', () => {
  it('orders OrderedReady against Parallel with the measured times', () => {
    const text = orderingMeasured(measured());
    expect(text).toContain('took 7.4 s until every pod was Ready with OrderedReady and 6.5 s with Parallel');
    const table = parallelMeasured(measured(), ['timelines/a.svg', 'timelines/b.svg']);
    expect(table).toContain('| OrderedReady | `helm-python-ordered` (temporary) | 2 → 4 → 2 | 7.4 s | one after another (staircase) |');
    expect(table).toContain('| Parallel | `helm-python` | 2 → 4 → 2 | 6.5 s | together (block) |');
    expect(table).toContain('![OrderedReady: pods over time](timelines/b.svg)');
  });

  it('claims only what the run shows: no "neither lost a request" when one was lost, and a shape against its policy is named', () => {
    const [parallel, ordered] = scale.runs;
    const off: ScaleRecord = {
      ...scale,
      runs: [
        { ...parallel!, failedUp: 2 },
        { ...ordered!, up: { ...ordered!.up, shape: 'block' } },
      ],
    };
    expect(orderingMeasured(lessonsOf([off]).scale)).toContain('OrderedReady lost 0 requests and Parallel 2: see the table below for when.');
    expect(orderingMeasured(lessonsOf([off]).scale)).not.toContain('Neither lost a request');
    expect(parallelMeasured(lessonsOf([off]).scale, [])).toContain('This run measured otherwise: OrderedReady scaled up as a block.');
    expect(parallelMeasured(measured(), [])).not.toContain('measured otherwise');
  });

  it('says what is not measured yet', () => {
    expect(orderingMeasured([])).toMatch(/no run is recorded yet/);
    expect(volumeLessons([], [])).toMatch(/demo-failover.*no run is recorded yet[\s\S]*demo-scale.*no run is recorded yet/);
  });

  it('draws one lane per added pod, its Ready bar from its Ready time', () => {
    const svg = renderScaleSvg(scale.runs[1]!);
    expect(svg.match(/<text x="162" y="\d+" text-anchor="end"/g)).toHaveLength(2);
    expect(svg).toContain('helm-python-ordered-3: Ready 7.4 s');
    // End of the axis: the last pod gone, 20 s (down request) + 12.5 s, plus 5 %: 34.125 s over 680 px.
    const x = (ms: number) => (170 + (ms / 34_125) * 680).toFixed(1);
    expect(svg).toContain(`<rect x="${x(7400)}" y="`);
  });

  /** A failover record as demo-failover writes it, from recorded events and samples. */
  function failover(mode: FailoverRecord['mode'], over: Partial<FailoverRecord>): FailoverRecord {
    return {
      schema: 1,
      lesson: 'failover',
      id: `2026-12-03T09-00-00-000Z-failover-${mode}`,
      release: 'helm-python',
      namespace: 'lab',
      mode,
      pod: 'helm-python-1',
      options: { replicas: 2, intervalMs: 100, settleMs: 2000 },
      environment: { kubernetes: 'v1.37.2', helm: 'v4.1.4', kubectl: 'v1.35.0', k8sLab: '0.1.0', node: 'v22' },
      startedAt: '2026-12-03T09:00:00.000Z',
      endedAt: '2026-12-03T09:00:20.000Z',
      durationMs: 20_000,
      phases: [],
      podEvents: [],
      failedAt: 1710,
      readyAgainMs: null,
      failedRequests: { count: 0, firstMs: null, lastMs: null, spanMs: 0 },
      identity: {
        before: { pod: 'helm-python-1', uid: 'p', pvc: 'c', pvcUid: 'abcdef0123', restarts: 0, counter: 0 },
        after: { pod: 'helm-python-1', uid: 'p', pvc: 'c', pvcUid: 'abcdef0123', restarts: mode === 'kill' ? 1 : 0, counter: 21 },
      },
      readiness: { periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 1 },
      advice: '',
      probe,
      samples: [],
      counters: { before: [], after: [] },
      dataChecks: [{ pod: 'helm-python-1', before: 0, after: 21, acknowledged: 21, preserved: true }],
      dataPreserved: true,
      verdict: 'passed',
      reason: '',
      notes: [],
      ...over,
    };
  }
  const ok = (t: number): ProbeSample => ({ t, ok: true, latencyMs: 2, pod: 'helm-python-0' });
  // A record of k8s-lab 0.1 (no `failure`, its wrong advice stored): the kill exec started at 1.71 s,
  // one request refused at 2.58 s, not Ready at 2.63 s, Ready again at 4.90 s.
  const oldKill = failover('kill', {
    podEvents: [
      { t: 2630, pod: 'helm-python-1', type: 'not-ready' },
      { t: 4900, pod: 'helm-python-1', type: 'ready' },
    ],
    samples: [ok(2480), { t: 2580, ok: false, latencyMs: 1, error: 'ECONNREFUSED' }, ok(2680)],
    readyAgainMs: 3190,
    advice: 'a crashed pod stays in the Service until its readiness probe fails: up to periodSeconds 1 × failureThreshold 2 = 2 s',
  });
  // A hang: SIGSTOP at 1.30 s by the pod's clock, three requests timed out, not Ready at 3.80 s, SIGCONT at 9.20 s, Ready at 10.10 s.
  const hang = failover('hang', {
    failedAt: 1000,
    failure: { requestedAt: 1000, doneAt: 1400, podClockAt: 1300 },
    resume: { requestedAt: 9000, doneAt: 9300, podClockAt: 9200, states: ['S'] },
    liveness: null,
    requestTimeoutMs: 1000,
    podEvents: [
      { t: 3800, pod: 'helm-python-1', type: 'not-ready' },
      { t: 10_100, pod: 'helm-python-1', type: 'ready' },
    ],
    samples: [1400, 1800, 3900].map((t): ProbeSample => ({ t, ok: false, latencyMs: 1000, error: 'no answer within 1000 ms' })).concat([ok(2000), ok(4000)]),
    readyAgainMs: 8800,
  });

  it('puts the failover table, a row per mode, and the scale-down evidence under Values in volumes', () => {
    const { failovers } = lessonsOf([oldKill, hang, scale]);
    expect(failovers.map((f) => f.mode)).toEqual(['kill', 'hang']);
    const text = volumeLessons(measured(), failovers);
    // Kill, from the start of the exec (1.71 s): not Ready 2.63 − 1.71 = 0.92 s; the refused request 0.87 s; Ready 4.90 − 1.71 = 3.19 s.
    expect(text).toContain(
      '| app SIGKILLed (restarted in the pod) | `helm-python-1` | yes (`abcdef01`…) | 0 → 21 | 21 | 920 ms | 1, 870 ms → 870 ms | 3.2 s | 0 → 1 | passed |',
    );
    // Hang, from the SIGSTOP (1.30 s): not Ready 2.5 s; requests sent 0.1 → 2.6 s; Ready 10.10 − 1.30 = 8.8 s.
    expect(text).toContain(
      '| app stopped, SIGSTOP (resumed with SIGCONT) | `helm-python-1` | yes (`abcdef01`…) | 0 → 21 | 21 | 2.5 s | 3 (3 timed out), 100 ms → 2.6 s | 8.8 s | 0 → 0 | passed |',
    );
    expect(text).toContain('| OrderedReady | `helm-python-ordered-3` | 11 | 3 | kept | 15 | yes | ok |');
  });

  it('explains each mode from its figures: the crash not bounded by the probe, the hang bounded by it; the old wrong advice is not repeated', () => {
    const text = volumeLessons([], [oldKill, hang]);
    expect(text).not.toContain('stays in the Service until its readiness probe fails');
    expect(text).toContain('After the SIGKILL (`2026-12-03T09-00-00-000Z-failover-kill`): This record is from an older k8s-lab');
    expect(text).toMatch(
      /- helm-python-1 went not Ready 0\.9 s after the start of the kubectl exec that sent the SIGKILL, sooner than its readiness probe could have/,
    );
    expect(text).toMatch(/What would shorten it: It cost 1 failed request over 0\.1 s\. Tuning the readiness probe would not have shortened it/);
    expect(text).toMatch(/- helm-python-1 went not Ready 2\.5 s after the SIGSTOP, as its readiness probe allows: .*: 2\.0 s to 3\.0 s\./);
    expect(text).toMatch(/What would shorten it: It cost 3 failed requests, 3 of them after a client wait of 1\.0 s\. The readiness probe bounded it/);
    expect(text).toContain('The chart defines no liveness probe, so nothing restarted the stopped app');
  });

  it('keeps the latest measurement of each policy: a later Parallel-only run does not drop the OrderedReady row', () => {
    // A later `demo-scale --policy parallel`: Parallel scaled to 4 in 3.3 s this time.
    const later: ScaleRecord = {
      ...scale,
      id: '2026-11-30T08-00-00-000Z-scale',
      startedAt: '2026-11-30T08:00:00.000Z',
      options: { ...scale.options, policy: 'parallel' },
      runs: [run('Parallel', 'helm-python', [1000, 1100], [3000, 3300])],
    };
    const { scale: shown } = lessonsOf([later, scale]);
    expect(shown.map(({ record, run }) => [run.policy, record.id])).toEqual([
      ['Parallel', '2026-11-30T08-00-00-000Z-scale'],
      ['OrderedReady', '2026-11-29T20-30-07-603Z-scale'],
    ]);
    const text = orderingMeasured(shown);
    expect(text).toContain('took 7.4 s until every pod was Ready with OrderedReady and 3.3 s with Parallel');
    expect(text).toContain('(2026-11-30T08:00:00.000Z, Kubernetes v1.37.2; 2026-11-29T20:30:07.603Z, Kubernetes v1.37.2)');
    const table = parallelMeasured(shown, ['a.svg', 'b.svg']);
    expect(table).toContain('| Parallel | `helm-python` | 2 → 4 → 2 | 3.3 s | together (block) |');
    expect(table).toContain('| OrderedReady | `helm-python-ordered` (temporary) | 2 → 4 → 2 | 7.4 s |');
    expect(table).toContain('Each policy shows its latest run; they were measured apart.');
  });

  it("says when a lesson's figures were measured through the API server's service proxy", () => {
    const note = "Measured through the API server's service proxy: no NodePort or node address answered";
    const viaApi: ScaleRecord = { ...scale, runs: [{ ...scale.runs[0]!, probeVia: 'api-server-proxy' }, scale.runs[1]!] };
    expect(parallelMeasured(lessonsOf([viaApi]).scale, [])).toContain(note);
    expect(parallelMeasured(measured(), [])).not.toContain(note);
  });

  it('counts a lesson record only from the cluster, release and namespace the report reads', () => {
    const cluster = { uid: 'k-1', server: 'https://a:6443', context: 'a' };
    const scope = { cluster, release: 'helm-python', namespace: 'lab' };
    const base = { release: 'helm-python', namespace: 'lab' };
    expect(measuredOn({ ...base, cluster }, scope)).toBe(true);
    // The same cluster through another context and address: the UID decides.
    expect(measuredOn({ ...base, cluster: { uid: 'k-1', server: 'https://b:443', context: 'b' } }, scope)).toBe(true);
    expect(measuredOn({ ...base, cluster: { ...cluster, uid: 'k-2' } }, scope)).toBe(false);
    expect(measuredOn({ ...base, cluster: { ...cluster, uid: null } }, scope)).toBe(true);
    expect(measuredOn({ ...base, cluster: { ...cluster, uid: null, server: 'https://b:443' } }, scope)).toBe(false);
    expect(measuredOn(base, scope)).toBe(false);
    expect(measuredOn({ ...base, cluster, namespace: 'other' }, scope)).toBe(false);
    expect(measuredOn({ ...base, cluster, release: 'other' }, scope)).toBe(false);
  });
});

// What each strategy changes, in order: a stand-in session records every helm upgrade's values,
// every pod and PVC deletion and every hold; the probe's samples, the StatefulSet's state and the
// canaries' counters are scripted per test. undoDemo's helm rollback and PVC reads go to the
// scripted fake cluster (test/support/fake-cluster.ts) through a real Lab.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DemoSession, ValueChange } from '../../src/demos/session.js';
import { strategies, type StrategyPlan } from '../../src/demos/strategies.js';
import { undoDemo } from '../../src/demos/undo.js';
import { createLab, type Lab } from '../../src/lab-context.js';
import type { ProbeSample } from '../../src/probe/sample.js';
import type { RolloutState } from '../../src/rollout.js';
import { createLogger } from '../../src/ui/logger.js';
import { claim, NS, pod, statefulSet } from '../support/cluster-objects.js';
import { FakeCluster, helm, kubectl } from '../support/fake-cluster.js';

type Step = ['upgrade', ValueChange] | ['delete', string[], number | undefined] | ['phase', string] | ['hold', number] | ['delete pvcs', string[]];

interface Scripted {
  /** What the probe saw during a check. */
  samples?: ProbeSample[];
  /** What session.state() and session.waitFor() read. */
  state?: RolloutState;
  counters?: { pod: string; counter: number | null }[];
  /** The first waitFor times out with this (a canary that never gets Ready). */
  waitFails?: string;
  lab?: Lab;
}

function fakeSession(scripted: Scripted = {}) {
  const steps: Step[] = [];
  const state = scripted.state ?? { statefulSet: statefulSet(), pods: [] };
  const session = {
    notes: [] as string[],
    undoing: false,
    timeoutMs: 60_000,
    lab: scripted.lab ?? {
      release: 'helm-python',
      releaseSelector: 'x',
      kubectl: { pods: async () => [{ metadata: { name: 'helm-python-0' } }, { metadata: { name: 'helm-python-1' } }] },
    },
    phase: async (name: string, _detail: string, body: () => Promise<unknown>) => {
      steps.push(['phase', name]);
      return body();
    },
    upgrade: async (values: ValueChange) => void steps.push(['upgrade', values]),
    deletePods: async (names: string[], grace?: number) => void steps.push(['delete', names, grace]),
    deletePvcs: async (names: string[]) => void steps.push(['delete pvcs', names]),
    waitFor: async () => {
      const fails = scripted.waitFails;
      scripted.waitFails = undefined;
      if (fails) throw new Error(fails);
      return state;
    },
    state: async () => state,
    clock: () => 1_000,
    hold: async (ms: number) => void steps.push(['hold', ms]),
    probe: { samplesSince: () => scripted.samples ?? [] },
    countersOf: async () => scripted.counters ?? [],
  };
  return { session: session as unknown as DemoSession, steps, notes: session.notes };
}

const answer = (pod: string, version: string, t = 1_100): ProbeSample => ({ t, ok: true, latencyMs: 3, status: 200, pod, version, counter: 1 });
const failure = (t = 1_200): ProbeSample => ({ t, ok: false, latencyMs: 1, error: 'ECONNREFUSED' });

const plan: StrategyPlan = {
  replicas: 2,
  from: 'v1',
  to: 'v2',
  canaryPercent: 25,
  checkMs: 5_000,
  readyTimeoutMs: 0,
  broken: false,
  keepCanaryPvcs: false,
  recreate: 'emulated',
};

describe('recreate', () => {
  it('native: one upgrade to Recreate with the new version, no pod deleted by k8s-lab, then back to RollingUpdate at partition 0', async () => {
    const { session, steps, notes } = fakeSession();
    await strategies.recreate(session, { ...plan, recreate: 'native' });
    expect(steps).toEqual([
      ['phase', 'recreate'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'Recreate' }],
      ['phase', 'restore'],
      ['upgrade', { 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 }],
    ]);
    expect(notes.join(' ')).toContain('native Recreate (StatefulSetRecreateStrategy)');
  });

  it('emulated: OnDelete with the new version, every pod deleted with a 2 s grace period, then back to RollingUpdate', async () => {
    const { session, steps, notes } = fakeSession();
    await strategies.recreate(session, plan);
    expect(steps).toEqual([
      ['phase', 'prepare'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'OnDelete' }],
      ['phase', 'recreate'],
      ['delete', ['helm-python-0', 'helm-python-1'], 2],
      ['phase', 'restore'],
      ['upgrade', { 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 }],
    ]);
    expect(notes.join(' ')).toContain('emulated: OnDelete + delete');
  });
});

describe('rolling', () => {
  it('without maxUnavailable: one upgrade, maxUnavailable never touched', async () => {
    const { session, steps } = fakeSession();
    await strategies.rolling(session, plan);
    expect(steps).toEqual([
      ['phase', 'rollout'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 }],
    ]);
  });

  it('with maxUnavailable 2: set with the new version, then put back to none ("": under --reuse-values a null would keep the 2)', async () => {
    const { session, steps } = fakeSession();
    await strategies.rolling(session, { ...plan, maxUnavailable: 2, previousMaxUnavailable: null });
    expect(steps).toEqual([
      ['phase', 'rollout'],
      [
        'upgrade',
        { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0, 'updateStrategy.maxUnavailable': 2 },
      ],
      ['phase', 'restore'],
      ['upgrade', { 'updateStrategy.maxUnavailable': '' }],
    ]);
  });

  it('with 50% where the release had 1: put back to 1', async () => {
    const { session, steps } = fakeSession();
    await strategies.rolling(session, { ...plan, maxUnavailable: '50%', previousMaxUnavailable: 1 });
    expect(steps.at(-1)).toEqual(['upgrade', { 'updateStrategy.maxUnavailable': 1 }]);
  });
});

describe('canary', () => {
  // 25 % of 2 replicas is one canary, at ordinal 2, on the update revision r2.
  const canaryReady: RolloutState = {
    statefulSet: { ...statefulSet(3, 'r1'), status: { ...statefulSet(3, 'r1').status, updateRevision: 'r2' } },
    pods: [pod(0, { revision: 'r1' }), pod(1, { revision: 'r1' }), pod(2, { revision: 'r2', version: 'v2' })],
  };
  const scaleOut: Step[] = [
    ['phase', 'scale-out'],
    ['upgrade', { 'app.version': 'v2', 'app.broken': false, replicaCount: 3, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 2 }],
  ];
  const abort: Step[] = [
    ['phase', 'abort'],
    ['upgrade', { 'app.version': 'v1', 'app.broken': false, replicaCount: 2, 'updateStrategy.partition': 0 }],
  ];

  it('passes the check: scale-out at partition 2, 5 s of traffic, promote at partition 0, scale-in, the canary PVC deleted', async () => {
    const { session, steps, notes } = fakeSession({
      samples: [answer('helm-python-2', 'v2'), answer('helm-python-0', 'v1'), answer('helm-python-2', 'v2')],
      state: canaryReady,
      // Two acknowledged increments: its own counter holds at least 2.
      counters: [{ pod: 'helm-python-2', counter: 2 }],
    });
    expect(await strategies.canary(session, plan)).toEqual({ aborted: false });
    expect(steps).toEqual([
      ...scaleOut,
      ['phase', 'check'],
      ['hold', 5_000],
      ['phase', 'promote'],
      ['upgrade', { 'updateStrategy.partition': 0 }],
      ['phase', 'scale-in'],
      ['upgrade', { replicaCount: 2 }],
      ['delete pvcs', ['counter-data-py-helm-python-2']],
    ]);
    expect(notes).toEqual(['Canary PVCs deleted: counter-data-py-helm-python-2.']);
  });

  it('a canary answering the old version aborts: back to v1 at 2 replicas, partition 0, the canary PVC deleted', async () => {
    const { session, steps } = fakeSession({ samples: [answer('helm-python-2', 'v1')], state: canaryReady });
    expect(await strategies.canary(session, plan)).toEqual({ aborted: true, reason: 'canary helm-python-2 answered version v1, expected v2' });
    expect(steps).toEqual([...scaleOut, ['phase', 'check'], ['hold', 5_000], ...abort, ['delete pvcs', ['counter-data-py-helm-python-2']]]);
  });

  it('a counter that lost an acknowledged increment aborts', async () => {
    const { session } = fakeSession({
      samples: [answer('helm-python-2', 'v2'), answer('helm-python-2', 'v2')],
      state: canaryReady,
      counters: [{ pod: 'helm-python-2', counter: 1 }],
    });
    expect(await strategies.canary(session, plan)).toEqual({ aborted: true, reason: 'canary helm-python-2 did not keep its own counter (1)' });
  });

  it('failed requests during the check abort; --keep-canary-pvcs keeps the canary PVC and says so', async () => {
    const { session, steps, notes } = fakeSession({ samples: [answer('helm-python-2', 'v2'), failure()], state: canaryReady });
    expect(await strategies.canary(session, { ...plan, keepCanaryPvcs: true })).toEqual({
      aborted: true,
      reason: '1 of 2 requests through the Service failed during the check',
    });
    expect(steps).toEqual([...scaleOut, ['phase', 'check'], ['hold', 5_000], ...abort]);
    expect(notes).toEqual(['Canary PVCs kept (--keep-canary-pvcs): counter-data-py-helm-python-2.']);
  });

  it("a canary never Ready (a broken build) aborts at the scale-out with the wait's reason: no check, no promotion", async () => {
    const { session, steps } = fakeSession({ waitFails: 'canary pods helm-python-2 not Ready after 30 s' });
    expect(await strategies.canary(session, { ...plan, broken: true })).toEqual({ aborted: true, reason: 'canary pods helm-python-2 not Ready after 30 s' });
    expect(steps).toEqual([
      ['phase', 'scale-out'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': true, replicaCount: 3, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 2 }],
      ...abort,
      ['delete pvcs', ['counter-data-py-helm-python-2']],
    ]);
  });
});

describe('partition', () => {
  const firstPod: Step[] = [
    ['phase', 'first-pod'],
    ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 1 }],
    ['phase', 'check'],
    ['hold', 5_000],
  ];

  it('the highest ordinal first (partition 1), checked for 5 s, then the rest at partition 0', async () => {
    const { session, steps } = fakeSession({ samples: [answer('helm-python-1', 'v2'), answer('helm-python-0', 'v1')] });
    expect(await strategies.partition(session, plan)).toEqual({ aborted: false });
    expect(steps).toEqual([...firstPod, ['phase', 'rest'], ['upgrade', { 'updateStrategy.partition': 0 }]]);
  });

  it('the first pod answering the old version rolls it back: v1 at partition 0, the rest never moved', async () => {
    const { session, steps } = fakeSession({ samples: [answer('helm-python-1', 'v1')] });
    expect(await strategies.partition(session, plan)).toEqual({ aborted: true, reason: 'helm-python-1 did not answer with v2' });
    expect(steps).toEqual([...firstPod, ['phase', 'rollback'], ['upgrade', { 'app.version': 'v1', 'updateStrategy.partition': 0 }]]);
  });

  it('a failed request during the check rolls back too', async () => {
    const { session } = fakeSession({ samples: [answer('helm-python-1', 'v2'), failure(), failure(1_300)] });
    expect(await strategies.partition(session, plan)).toEqual({ aborted: true, reason: '2 of 3 requests failed during the check' });
  });
});

describe('undoDemo: hold, replace the stuck pods, helm rollback, delete the canary PVCs', () => {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const labOn = (cluster: FakeCluster) =>
    createLab(
      { release: 'helm-python', namespace: 'lab' },
      {
        runner: cluster,
        env: { PATH: '', K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl' },
        log: createLogger({ stdout: quiet, stderr: quiet }),
        stderr: quiet,
      },
    );
  const start = { revision: 3, version: 'v1', replicas: 2, claims: ['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1'] };
  // Held at v1's template (update revision r1): helm-python-1 is not Ready on the bad revision r2 (stuck).
  const held: RolloutState = { statefulSet: statefulSet(2, 'r1'), pods: [pod(0, { revision: 'r1' }), pod(1, { revision: 'r2', version: 'v2', ready: false })] };
  const script = () => [
    helm(['version', '--short'], { stdout: 'v4.1.4+g05fa379\n' }),
    // Helm 4: the session's 60 s limit, and no wait but for hooks (k8s-lab waits on the pods itself).
    helm([...NS, 'rollback', 'helm-python', '3', '--timeout', '60s', '--wait=hookOnly']),
    kubectl([...NS, 'get', 'persistentvolumeclaims', '--selector', /instance=helm-python/, '--output', 'json', '--request-timeout=10s'], {
      stdout: { items: [claim(0), claim(1), claim(2)] },
    }),
  ];

  it('puts the release back in that order; only the PVC made for the canary goes', async () => {
    const cluster = new FakeCluster(script());
    const { session, steps } = fakeSession({ state: held, lab: labOn(cluster) });
    const done = await undoDemo(session, start, { keepNewClaims: false });
    expect(steps).toEqual([
      ['upgrade', { 'app.version': 'v1', 'app.broken': false, replicaCount: 2, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 2 }],
      ['delete', ['helm-python-1'], undefined],
      ['delete pvcs', ['counter-data-py-helm-python-2']],
    ]);
    expect(cluster.calls.map((call) => call.slice(0, 5).join(' '))).toEqual([
      'helm version --short',
      'helm --namespace lab rollback helm-python',
      'kubectl --namespace lab get persistentvolumeclaims',
    ]);
    expect(cluster.unused).toEqual([]);
    expect(done).toEqual([
      'held at v1 with partition 2: no more pods change while those under way finish',
      'replaced helm-python-1 (not Ready on the new version)',
      'helm rollback helm-python 3: v1, 2 replicas, updateStrategy RollingUpdate, partition 0',
      '2 pods Ready on v1',
      'deleted counter-data-py-helm-python-2 (made for canary pods that are gone)',
    ]);
  });

  it('--keep-canary-pvcs: the canary PVC is kept and said so', async () => {
    const cluster = new FakeCluster(script());
    const { session, steps } = fakeSession({ state: held, lab: labOn(cluster) });
    const done = await undoDemo(session, start, { keepNewClaims: true });
    expect(steps.filter(([kind]) => kind === 'delete pvcs')).toEqual([]);
    expect(done.at(-1)).toBe('kept counter-data-py-helm-python-2 (--keep-canary-pvcs)');
  });
});

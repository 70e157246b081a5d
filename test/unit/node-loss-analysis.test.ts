// demo-node-loss's analysis fed recorded observations of a stopped node, with the figures worked
// out by hand under each case; and the command words of --stop-command / --start-command.
import { describe, expect, it } from 'vitest';
import {
  decideNodeLoss,
  nodeLossFigures,
  volumeMeaning,
  type FigureInputs,
  type NodeLossFacts,
  type NodeObservation,
  type PodObservation,
} from '../../src/demos/node-loss-analysis.js';
import { forNode, isProjectCluster, powerCommands, splitCommandWords } from '../../src/demos/node-power.js';
import type { PodEvent, ProbeSample } from '../../src/demos/record.js';
import { UsageError } from '../../src/errors.js';

const POD = 'helm-python-1';
const NODE = 'k8s-lab-worker2';
const node = (t: number, ready: NodeObservation['ready'], outOfService = false): NodeObservation => ({ t, node: NODE, ready, outOfService });
const pod = (t: number, uid: string | null, ready: PodObservation['ready'], more: Partial<PodObservation> = {}): PodObservation => ({
  t,
  pod: POD,
  uid,
  node: uid ? NODE : null,
  phase: 'Running',
  ready,
  deleting: false,
  reason: null,
  ...more,
});
const ok = (t: number): ProbeSample => ({ t, ok: true, latencyMs: 2, pod: 'helm-python-0' });
const lost = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 1000, error: 'no answer within 1000 ms' });
const ev = (t: number, type: PodEvent['type']): PodEvent => ({ t, pod: POD, type });

// The node is stopped at 10.0 s (the command returns at 10.2 s).
const stop = { requestedAt: 10_000, doneAt: 10_200 };

/** What decideNodeLoss is given after a run of POD on NODE: the same pod back Ready on its PVC, the node Ready and untainted, 2 of 2 pods Ready; `more` changes it. */
const factsOf = (figures: NodeLossFacts['figures'], more: Partial<NodeLossFacts> = {}): NodeLossFacts => ({
  recover: 'start',
  pod: POD,
  node: NODE,
  figures,
  before: { uid: 'A', pvcUid: 'P' },
  after: { uid: 'A', ready: true, pvcUid: 'P' },
  nodeAfter: { ready: true, outOfService: false },
  readyReplicas: 2,
  replicas: 2,
  dataChecks: [],
  ...more,
});

describe('a node stopped and started again (--recover start)', () => {
  const inputs: FigureInputs = {
    pod: POD,
    node: NODE,
    uid: 'A',
    moments: { stop, taint: null, start: { requestedAt: 80_000, doneAt: 95_000 }, untaint: null },
    nodes: [node(9_000, 'True'), node(61_500, 'Unknown'), node(94_000, 'True')],
    pods: [pod(9_000, 'A', 'True'), pod(61_800, 'A', 'False', { reason: null }), pod(96_000, 'A', 'False'), pod(99_000, 'A', 'True')],
    podEvents: [ev(61_900, 'not-ready'), ev(99_100, 'ready')],
    samples: [ok(10_000), lost(12_000), ok(13_000), lost(30_000), lost(60_000), ok(62_000), ok(63_000)],
  };
  const figures = nodeLossFigures(inputs)!;

  it('times everything from the stop request', () => {
    // NotReady read at 61.5 s: 61.5 − 10.0 = 51.5 s. The pod's Ready False at 61.8 s: 51.8 s.
    expect(figures.notReadyMs).toBe(51_500);
    expect(figures.podNotReadyMs).toBe(51_800);
    expect(figures.podNotReadyStatus).toBe('False');
    // The node Ready again at 94 s, after the start at 80 s: 84 s after the stop; that is when a replacement became safe.
    expect(figures.nodeReadyAgainMs).toBe(84_000);
    expect(figures.safeFromMs).toBe(84_000);
    // Out at 61.8 s, Ready again at 99.0 s (the read, before the watch's 99.1 s): 89 s.
    expect(figures.podReadyAgainMs).toBe(89_000);
    expect(figures.replacement).toBeNull();
    expect(figures.oldPodGoneMs).toBeNull();
    expect(figures.podTerminatingMs).toBeNull();
    expect(figures.podsAtOnce).toBe(1);
  });

  it('counts the failed requests from the stop on: 3, first 2 s after it, last 50 s after it, 50 s from the first failure to the next success', () => {
    expect(figures.failed).toEqual({ count: 3, firstMs: 2_000, lastMs: 50_000, spanMs: 50_000 });
  });

  const facts = factsOf(figures, { dataChecks: [{ pod: POD, before: 5, after: 9, acknowledged: 4, preserved: true }] });

  it('passes with the same pod back, the node Ready, the data kept', () => {
    const { verdict, reason } = decideNodeLoss(facts);
    expect(verdict).toBe('passed');
    expect(reason).toContain('NotReady 51.5 s after the stop');
    expect(reason).toContain('3 requests failed over 50.0 s');
  });

  it('fails when the pod came back under another UID, or the node is left tainted, or data is lost', () => {
    expect(decideNodeLoss({ ...facts, after: { uid: 'B', ready: true, pvcUid: 'P' } }).reason).toContain('was replaced (UID A → B)');
    expect(decideNodeLoss({ ...facts, nodeAfter: { ready: true, outOfService: true } }).verdict).toBe('failed');
    expect(decideNodeLoss({ ...facts, readyReplicas: 1 }).reason).toContain('1 of 2 pods Ready');
    const lostData = decideNodeLoss({
      ...facts,
      dataChecks: [{ pod: POD, before: 5, after: 3, acknowledged: 0, preserved: false, reason: 'its counter went down (5 → 3)' }],
    });
    expect(lostData).toEqual({ verdict: 'failed', reason: `data lost: ${POD} its counter went down (5 → 3)` });
  });

  it('fails when the node was never seen NotReady', () => {
    const never = nodeLossFigures({ ...inputs, nodes: [node(9_000, 'True'), node(40_000, 'True')] })!;
    expect(never.notReadyMs).toBeNull();
    expect(decideNodeLoss({ ...facts, figures: never }).reason).toContain('never seen NotReady');
  });

  it('an interruption is the verdict, with what was not put back', () => {
    expect(decideNodeLoss({ ...facts, stop: { message: 'interrupted', interruptedIn: 'down' } })).toEqual({ verdict: 'interrupted', reason: 'interrupted' });
    expect(decideNodeLoss({ ...facts, stop: { message: 'interrupted', interruptedIn: 'down' }, nodeAfter: { ready: false, outOfService: false } }).reason).toBe(
      `interrupted; ${NODE} is not Ready afterwards`,
    );
  });
});

describe('a replacement created too early', () => {
  // The StatefulSet (wrongly) creates B at 40.0 s (the watch) while the node is down, untainted, not started.
  const inputs: FigureInputs = {
    pod: POD,
    node: NODE,
    uid: 'A',
    moments: { stop, taint: null, start: { requestedAt: 80_000, doneAt: 95_000 }, untaint: null },
    nodes: [node(9_000, 'True'), node(61_500, 'Unknown'), node(94_000, 'True')],
    pods: [pod(9_000, 'A', 'True'), pod(41_000, 'B', null, { node: null, phase: 'Pending' }), pod(100_000, 'B', 'True', { node: 'k8s-lab-worker' })],
    podEvents: [ev(40_000, 'created')],
    samples: [],
  };

  it('is timed from the watch, 30 s after the stop, before the 84 s when it became safe, and fails the verdict', () => {
    const figures = nodeLossFigures(inputs)!;
    expect(figures.replacement).toEqual({ uid: 'B', createdMs: 30_000, node: 'k8s-lab-worker', readyMs: 90_000, early: true });
    const { verdict, reason } = decideNodeLoss(factsOf(figures, { after: { uid: 'B', ready: true, pvcUid: 'P' } }));
    expect(verdict).toBe('failed');
    expect(reason).toMatch(/^a replacement of helm-python-1 \(UID B\) was created 30\.0 s after the stop, before it was safe \(84\.0 s\)/);
  });

  it('is early however the run ends (an interruption too)', () => {
    const figures = nodeLossFigures(inputs)!;
    const r = decideNodeLoss(factsOf(figures, { stop: { message: 'interrupted', interruptedIn: 'down' }, after: null }));
    expect(r.reason).toContain('before it was safe');
  });
});

describe('the out-of-service taint (--recover out-of-service)', () => {
  // Tainted at 65 s; the old pod Terminating at 66 s, gone (the replacement read) at 86 s, the watch saw it
  // created at 85.5 s, Pending with no node; started at 100 s, Ready node at 110 s, untainted at 112 s;
  // the replacement scheduled on the node at 121 s, Ready at 125 s.
  const inputs: FigureInputs = {
    pod: POD,
    node: NODE,
    uid: 'A',
    moments: {
      stop,
      taint: { requestedAt: 65_000, doneAt: 65_300 },
      start: { requestedAt: 100_000, doneAt: 111_000 },
      untaint: { requestedAt: 112_000, doneAt: 112_200 },
    },
    nodes: [node(9_000, 'True'), node(61_000, 'Unknown'), node(65_500, 'Unknown', true), node(110_000, 'True', true), node(112_500, 'True', false)],
    pods: [
      pod(9_000, 'A', 'True'),
      pod(61_200, 'A', 'False'),
      pod(66_000, 'A', 'False', { deleting: true, reason: 'NodeLost' }),
      pod(86_000, 'B', null, { node: null, phase: 'Pending' }),
      pod(121_000, 'B', 'False', { node: NODE }),
      pod(125_000, 'B', 'True', { node: NODE }),
    ],
    podEvents: [ev(66_000, 'deleting'), ev(85_000, 'deleted'), ev(85_500, 'created'), ev(121_000, 'scheduled'), ev(125_100, 'ready')],
    samples: [],
  };
  const figures = nodeLossFigures(inputs)!;

  it('times the replacement from the stop: created 75.5 s, after the taint at 55 s (safe), Ready 115 s, on the volume node', () => {
    expect(figures.safeFromMs).toBe(55_000);
    expect(figures.replacement).toEqual({ uid: 'B', createdMs: 75_500, node: NODE, readyMs: 115_000, early: false });
    expect(figures.podTerminatingMs).toBe(56_000);
    expect(figures.oldPodGoneMs).toBe(76_000);
    expect(figures.notReadyMs).toBe(51_000);
    expect(figures.nodeReadyAgainMs).toBe(100_000);
  });

  it('passes with a new UID on the same PVC, and fails when the old pod stayed', () => {
    const facts = factsOf(figures, { recover: 'out-of-service', after: { uid: 'B', ready: true, pvcUid: 'P' } });
    const passed = decideNodeLoss(facts);
    expect(passed.verdict).toBe('passed');
    expect(passed.reason).toContain('created 75.5 s after the stop and Ready 115.0 s after it');
    expect(decideNodeLoss({ ...facts, after: { uid: 'A', ready: true, pvcUid: 'P' } }).reason).toContain('was not replaced');
    expect(decideNodeLoss({ ...facts, after: { uid: 'B', ready: true, pvcUid: 'Q' } }).reason).toContain('another PVC (UID P → Q)');
  });

  it('says what a node-local volume means for the data', () => {
    expect(volumeMeaning('out-of-service', POD, NODE, NODE)).toContain(`stays Pending until ${NODE} is back`);
    expect(volumeMeaning('out-of-service', POD, null, NODE)).toContain('could start on another node');
    expect(volumeMeaning('out-of-service', POD, undefined, NODE)).toContain('could not be read');
  });
});

describe('--stop-command and --start-command words', () => {
  it('splits on blanks, keeps quoted words together, takes a JSON array, and runs no shell', () => {
    expect(splitCommandWords('docker stop kind-worker2')).toEqual(['docker', 'stop', 'kind-worker2']);
    expect(splitCommandWords(`  ssh  host 'sudo systemctl stop kubelet' "a \\"b\\"" c\\ d `)).toEqual([
      'ssh',
      'host',
      'sudo systemctl stop kubelet',
      'a "b"',
      'c d',
    ]);
    expect(splitCommandWords('echo $HOME; rm *')).toEqual(['echo', '$HOME;', 'rm', '*']);
    expect(splitCommandWords(`x ''`)).toEqual(['x', '']);
    expect(splitCommandWords('["docker", "stop", "{node}"]')).toEqual(['docker', 'stop', '{node}']);
  });

  it('refuses an unclosed quote, an empty command, a bad JSON array', () => {
    expect(() => splitCommandWords(`ssh 'host`)).toThrow("unclosed ' quote");
    expect(() => splitCommandWords('   ')).toThrow('the command is empty');
    expect(() => splitCommandWords('[1, 2]')).toThrow('not a JSON array of strings');
    expect(() => splitCommandWords('[oops')).toThrow('not a JSON array');
  });

  it('puts the node name for {node}', () => {
    expect(forNode(['docker', 'stop', '{node}', 'x={node}'], 'kind-worker2')).toEqual(['docker', 'stop', 'kind-worker2', 'x=kind-worker2']);
  });

  it("uses the project cluster's k8s-lab-node only on that cluster and when it is there", () => {
    const names = ['k8s-lab-node', 'k8s-lab-worker', 'k8s-lab-worker2'];
    expect(isProjectCluster(names)).toBe(true);
    expect(isProjectCluster(['kind-control-plane', 'kind-worker'])).toBe(false);
    const env = { K8S_LAB_CLUSTER_STATE: '/s' };
    expect(powerCommands({}, NODE, names, env, (p) => p === '/s/bin/k8s-lab-node')).toEqual({
      stop: ['/s/bin/k8s-lab-node', 'stop', NODE],
      start: ['/s/bin/k8s-lab-node', 'start', NODE],
      source: 'project-cluster',
    });
    expect(() => powerCommands({}, 'kind-worker2', ['kind-control-plane', 'kind-worker2'], env, () => true)).toThrow(UsageError);
    expect(() => powerCommands({}, 'kind-worker2', ['kind-control-plane', 'kind-worker2'], env, () => true)).toThrow(
      'cannot power kind-worker2 off by itself here; nothing was changed',
    );
    expect(() => powerCommands({}, NODE, names, env, () => false)).toThrow('/s/bin/k8s-lab-node is missing');
    expect(() => powerCommands({ stop: ['docker', 'stop', '{node}'] }, NODE, names, env, () => true)).toThrow('--stop-command without --start-command');
    const docker = (p: string) => p === '/usr/bin/docker';
    expect(() =>
      powerCommands({ stop: ['docker', 'stop', '{node}'], start: ['docker', 'start', '{node}'] }, 'kind-worker2', [], { PATH: '/bin' }, docker),
    ).toThrow('--stop-command: docker is not an executable file, nor one on PATH; nothing was changed');
    expect(() =>
      powerCommands({ stop: ['docker', 'stop', '{node}'], start: ['/opt/start', '{node}'] }, 'kind-worker2', [], { PATH: '/usr/bin' }, docker),
    ).toThrow('--start-command: /opt/start is not an executable file');
    expect(
      powerCommands({ stop: ['docker', 'stop', '{node}'], start: ['docker', 'start', '{node}'] }, 'kind-worker2', [], { PATH: '/bin:/usr/bin' }, docker),
    ).toEqual({
      stop: ['docker', 'stop', 'kind-worker2'],
      start: ['docker', 'start', 'kind-worker2'],
      source: 'options',
    });
  });
});

// demo-drain's analysis, from recorded events with hand-worked figures: each figure below is
// worked out in the comment beside it, not by the code under test.
import { describe, expect, it } from 'vitest';
import {
  blockedBy,
  decideDrain,
  drainFailedRequests,
  pictureClear,
  podMoves,
  type DrainFacts,
  type DrainPodIdentity,
  type EvictionAttempt,
  type Placement,
} from '../../src/demos/drain-analysis.js';
import { PlacementTracker, placementOf, schedulableNodeNames } from '../../src/demos/drain.js';
import type { Node, Pod } from '../../src/adapters/kube-objects.js';
import type { ProbeSample } from '../../src/probe/sample.js';

const W1 = 'k8s-lab-worker';
const W2 = 'k8s-lab-worker2';
const id = (pod: string, uid: string, node: string, pvcUid = `pvc-${pod}`): DrainPodIdentity => ({ pod, uid, node, pvc: `data-${pod}`, pvcUid, counter: 10 });
const BEFORE = [id('helm-python-0', 'u0', W1), id('helm-python-1', 'u1', W2), id('helm-python-2', 'u2', W1)];
const AFTER = [id('helm-python-0', 'u0', W1), id('helm-python-1', 'u1', W2), id('helm-python-2', 'u2b', W1)];
const WHY = "0/3 nodes are available: 1 node(s) didn't match PersistentVolume's node affinity, 1 node(s) were unschedulable.";

// The run seen on the cluster, rounded: helm-python-2 (pod N) evicted at 2.3 s; helm-python-0 (same
// node) refused every second from 2.4 s to 12.4 s (11 times); helm-python-2's replacement Pending
// from 8.5 s, placed on W1 at 13.9 s (after the uncordon at 13.8 s), Ready at 16.5 s.
const EVICTIONS: EvictionAttempt[] = [
  { t: 2300, pod: 'helm-python-2', outcome: 'evicted' },
  ...Array.from({ length: 11 }, (_, i): EvictionAttempt => ({ t: 2400 + i * 1000, pod: 'helm-python-0', outcome: 'refused', message: 'TooManyRequests' })),
];
const PLACEMENTS: Placement[] = [
  { t: 0, pod: 'helm-python-0', uid: 'u0', node: W1, state: 'ready' },
  { t: 0, pod: 'helm-python-1', uid: 'u1', node: W2, state: 'ready' },
  { t: 0, pod: 'helm-python-2', uid: 'u2', node: W1, state: 'ready' },
  { t: 2700, pod: 'helm-python-2', uid: 'u2', node: W1, state: 'terminating' },
  { t: 8400, pod: 'helm-python-2', uid: null, node: null, state: 'gone' },
  { t: 8500, pod: 'helm-python-2', uid: 'u2b', node: null, state: 'pending', why: WHY },
  { t: 13900, pod: 'helm-python-2', uid: 'u2b', node: W1, state: 'starting' },
  { t: 16500, pod: 'helm-python-2', uid: 'u2b', node: W1, state: 'ready' },
];
const UNCORDONED_AT = 13800;

const ok = (t: number): ProbeSample => ({ t, ok: true, latencyMs: 2 });
const failed = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 100, error: 'ECONNRESET' });

function facts(overrides: Partial<DrainFacts> = {}): DrainFacts {
  return {
    replicas: 3,
    node: W1,
    moves: podMoves(BEFORE, W1, EVICTIONS, PLACEMENTS, UNCORDONED_AT),
    failedRequests: { count: 0, firstMs: null, lastMs: null, spanMs: 0 },
    uncordonedAfter: true,
    before: BEFORE,
    after: AFTER,
    dataChecks: [{ pod: 'helm-python-2', before: 10, after: 30, acknowledged: 20, preserved: true }],
    ...overrides,
  };
}

describe('podMoves', () => {
  const [p0, p2] = podMoves(BEFORE, W1, EVICTIONS, PLACEMENTS, UNCORDONED_AT);

  it('only the pods that were on the drained node, in the order of `before`', () => {
    expect([p0?.pod, p2?.pod]).toEqual(['helm-python-0', 'helm-python-2']);
  });

  it('the evicted pod: where its replacement went, Pending 13.9 - 8.5 = 5.4 s until the uncordon, Ready 16.5 - 2.3 = 14.2 s after its eviction', () => {
    expect(p2).toEqual({
      pod: 'helm-python-2',
      fromNode: W1,
      fromUid: 'u2',
      refusals: 0,
      refusedMs: 0,
      refusalsEndAt: null,
      evictedAt: 2300,
      toNode: W1,
      toUid: 'u2b',
      pendingMs: 5400,
      pendingUntilUncordon: true,
      pendingWhy: WHY,
      readyAfterMs: 14200,
    });
  });

  it('the refused pod: 11 refusals from 2.4 s to 12.4 s = 10.0 s, never evicted, no replacement', () => {
    expect(p0).toMatchObject({
      refusals: 11,
      refusedMs: 10_000,
      refusalsEndAt: 12_400,
      evictedAt: null,
      toNode: null,
      toUid: null,
      pendingMs: 0,
      readyAfterMs: null,
    });
  });

  it('refused twice (2.0 s, 3.0 s), then accepted at 4.0 s: refused for 2.0 s; a replacement placed at once on the other node was never Pending', () => {
    const [move] = podMoves(
      [id('helm-python-1', 'u1', W2)],
      W2,
      [
        { t: 2000, pod: 'helm-python-1', outcome: 'refused' },
        { t: 3000, pod: 'helm-python-1', outcome: 'refused' },
        { t: 4000, pod: 'helm-python-1', outcome: 'evicted' },
      ],
      [
        { t: 4100, pod: 'helm-python-1', uid: 'u1', node: W2, state: 'terminating' },
        { t: 9000, pod: 'helm-python-1', uid: 'u1n', node: W1, state: 'starting' },
        { t: 11_000, pod: 'helm-python-1', uid: 'u1n', node: W1, state: 'ready' },
      ],
      20_000,
    );
    expect(move).toMatchObject({ refusals: 2, refusedMs: 2000, evictedAt: 4000, toNode: W1, pendingMs: 0, pendingUntilUncordon: false, readyAfterMs: 7000 });
  });
});

describe('blockedBy', () => {
  const moves = podMoves(BEFORE, W1, EVICTIONS, PLACEMENTS, UNCORDONED_AT);
  it('helm-python-0 was refused to the end because helm-python-2 (evicted 2.3 s, Ready 16.5 s) was out at its last refusal (12.4 s)', () => {
    expect(blockedBy(moves[0]!, moves)?.pod).toBe('helm-python-2');
  });
  it('nothing blocks a pod whose fellow was Ready again before its last refusal', () => {
    const early = moves.map((m) => (m.pod === 'helm-python-2' ? { ...m, readyAfterMs: 5000 } : m));
    expect(blockedBy(early[0]!, early)).toBeUndefined();
  });
});

describe('decideDrain', () => {
  it('passes a drain the budget held up: no lost request, the refusal explained, the evicted pod Pending until the uncordon', () => {
    const { verdict, reason } = decideDrain(facts());
    expect(verdict).toBe('passed');
    expect(reason).toContain("helm-python-0's eviction refused 11× over 10.0 s while helm-python-2 was not back");
    expect(reason).toContain('helm-python-2 evicted, Pending 5.4 s until k8s-lab-worker was uncordoned');
    expect(reason).toContain('no failed request');
  });

  it('fails a drain that lost requests with 2 or more replicas', () => {
    // Cordon at 2.0 s; failures sent at 3.0 and 3.1 s, next success 3.2 s: 2 failed, first 1.0 s, last 1.1 s after the cordon, 0.2 s span.
    const lost = drainFailedRequests([ok(1000), failed(1500), ok(1600), failed(3000), failed(3100), ok(3200)], 2000);
    expect(lost).toEqual({ count: 2, firstMs: 1000, lastMs: 1100, spanMs: 200 });
    const { verdict, reason } = decideDrain(facts({ failedRequests: lost, replicas: 2 }));
    expect(verdict).toBe('failed');
    expect(reason).toMatch(/^a drain that lost requests: 2 failed with 2 replicas/);
  });

  it('a single replica may lose requests: passed, saying so', () => {
    const one = facts({ replicas: 1, failedRequests: { count: 7, firstMs: 100, lastMs: 700, spanMs: 800 } });
    expect(decideDrain(one)).toMatchObject({ verdict: 'passed', reason: expect.stringContaining('7 failed requests (1 replica: expected)') });
  });

  it('fails when the node is left cordoned, even after Ctrl-C, and says how to uncordon it', () => {
    const { verdict, reason } = decideDrain(facts({ uncordonedAfter: false, stop: { message: 'interrupted (SIGINT)', interruptedIn: 'evict' } }));
    expect(verdict).toBe('failed');
    expect(reason).toBe('interrupted (SIGINT); node k8s-lab-worker is still cordoned: uncordon it with `kubectl uncordon k8s-lab-worker`');
  });

  it('an interrupted drain that was put back is interrupted', () => {
    expect(decideDrain(facts({ stop: { message: 'interrupted (SIGINT) during evict; k8s-lab-worker uncordoned', interruptedIn: 'evict' } })).verdict).toBe(
      'interrupted',
    );
  });

  it('fails a refusal no other pod of the drain explains', () => {
    const moves = podMoves(BEFORE, W1, EVICTIONS, PLACEMENTS, UNCORDONED_AT).map((m) => (m.pod === 'helm-python-2' ? { ...m, readyAfterMs: 3000 } : m));
    const { verdict, reason } = decideDrain(facts({ moves }));
    expect(verdict).toBe('failed');
    expect(reason).toContain('helm-python-0: the budget refused its eviction 11 times although no other pod of the drain was out');
  });

  it('fails a pod back on another PVC, and lost data', () => {
    const after = AFTER.map((p) => (p.pod === 'helm-python-2' ? { ...p, pvcUid: 'new' } : p));
    const dataChecks = [{ pod: 'helm-python-2', before: 10, after: 0, acknowledged: 20, preserved: false, reason: 'counter went back' }];
    const { verdict, reason } = decideDrain(facts({ after, dataChecks }));
    expect(verdict).toBe('failed');
    expect(reason).toContain('helm-python-2 came back on another PVC (pvc-helm-python-2 → new)');
    expect(reason).toContain('data lost: helm-python-2 counter went back');
  });

  it('fails when no pod of the release was on the node', () => {
    expect(decideDrain(facts({ moves: [] })).reason).toContain('no pod of the release ran on k8s-lab-worker');
  });
});

describe('pictureClear', () => {
  const moves = podMoves(BEFORE, W1, EVICTIONS, PLACEMENTS.slice(0, 6), null);
  it('waits until the evicted pod has been Pending for the hold time (from 8.5 s: 13.5 s with 5 s), the refused one refused that long', () => {
    expect(pictureClear(moves, 13_400, 5000, PLACEMENTS)).toBe(false);
    expect(pictureClear(moves, 13_500, 5000, PLACEMENTS)).toBe(true);
  });
  it('clear at once when the evicted pod is Ready again and nothing else is refused', () => {
    const [p2] = podMoves([BEFORE[2]!], W1, EVICTIONS.slice(0, 1), PLACEMENTS, null);
    expect(pictureClear([p2!], 16_600, 5000, PLACEMENTS)).toBe(true);
  });
  it('no cordon: drainFailedRequests counts nothing', () => {
    expect(drainFailedRequests([failed(10)], null).count).toBe(0);
  });
});

describe('placements', () => {
  const pod = (name: string, uid: string, node: string | undefined, ready: boolean, extra: Partial<Pod['status']> = {}): Pod => ({
    metadata: { name, uid } as Pod['metadata'],
    spec: node ? { nodeName: node } : {},
    status: { phase: node ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], ...extra },
  });

  it('a pod no node took is pending, with the scheduler’s message', () => {
    const pending = pod('helm-python-2', 'u2b', undefined, false, {
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: WHY }],
    });
    expect(placementOf(pending, 42)).toEqual({ t: 42, pod: 'helm-python-2', uid: 'u2b', node: null, state: 'pending', why: WHY });
  });

  it('the tracker records only changes, and a pod that went away as gone', () => {
    const tracker = new PlacementTracker({} as never, '', () => 0);
    tracker.observe([pod('a', '1', W1, true), pod('b', '2', W2, true)], 0);
    tracker.observe([pod('a', '1', W1, true), pod('b', '2', W2, true)], 500);
    tracker.observe([pod('a', '1', W1, false)], 1000);
    tracker.observe([pod('a', '1', W1, false), pod('b', '3', undefined, false)], 1500);
    expect(tracker.placements.map((p) => `${p.t} ${p.pod} ${p.uid} ${p.node} ${p.state}`)).toEqual([
      `0 a 1 ${W1} ready`,
      `0 b 2 ${W2} ready`,
      `1000 a 1 ${W1} starting`,
      '1000 b null null gone',
      '1500 b 3 null pending',
    ]);
  });
  it('a Pending pod read before the scheduler tried, then with its message: the message is recorded and quoted in the move', () => {
    // Seen in CI: the first read of the replacement came before the scheduler's PodScheduled=False,
    // and the message that came after was not recorded (pendingWhy null).
    const unschedulable = { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: WHY }] };
    const tracker = new PlacementTracker({} as never, '', () => 0);
    tracker.observe([pod('helm-python-0', 'u0', W1, true)], 0);
    tracker.observe([pod('helm-python-0', 'u0b', undefined, false)], 1000);
    tracker.observe([pod('helm-python-0', 'u0b', undefined, false, unschedulable)], 1500);
    tracker.observe([pod('helm-python-0', 'u0b', undefined, false, unschedulable)], 2000);
    tracker.observe([pod('helm-python-0', 'u0b', W1, true)], 9000);
    expect(tracker.placements.map((p) => `${p.t} ${p.state} ${p.why ?? '-'}`)).toEqual(['0 ready -', '1000 pending -', `1500 pending ${WHY}`, '9000 ready -']);
    const before = [{ pod: 'helm-python-0', uid: 'u0', node: W1, pvc: 'data-helm-python-0', pvcUid: 'c0', counter: 3 }];
    const [move] = podMoves(before, W1, [{ t: 900, pod: 'helm-python-0', outcome: 'evicted' }], tracker.placements, 8000);
    // Pending from the first read (1.0 s) until it was placed (9.0 s): 8.0 s, past the uncordon at 8.0 s.
    expect(move).toMatchObject({ pendingWhy: WHY, pendingMs: 8000, pendingUntilUncordon: true, toNode: W1, toUid: 'u0b' });
  });
});

describe('schedulableNodeNames', () => {
  const node = (name: string, spec: Node['spec'] = {}, ready = true): Node => ({
    metadata: { name } as Node['metadata'],
    spec,
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  it('Ready, not cordoned, no NoSchedule or NoExecute taint (a PreferNoSchedule one is fine)', () => {
    const nodes = [
      node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
      node('w1'),
      node('w2', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }),
      node('w3', { unschedulable: true }),
      node('w4', {}, false),
      node('w5', { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] }),
    ];
    expect(schedulableNodeNames(nodes)).toEqual(['w1', 'w2']);
  });
});

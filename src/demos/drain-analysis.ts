// demo-drain: its run record, and what it decides from what it recorded (evictions tried, where
// each pod was over time, probe samples, counters). Pure, tested with hand-worked figures
// (test/unit/drain-analysis.test.ts).

import type { ProbeSample } from '../probe/sample.js';
import { failedRequestsSince, type FailedRequests } from './failover-analysis.js';
import type { LessonVerdict, ProbedLessonRecord } from './lessons.js';
import type { DataCheck } from './record.js';

/** One POST of an Eviction: accepted (201), refused by the PodDisruptionBudget (429), or the pod already gone (404). `t`: ms since the run started. */
export interface EvictionAttempt {
  t: number;
  pod: string;
  outcome: 'evicted' | 'refused' | 'gone';
  /** What the API server said, for a refusal. */
  message?: string;
}

/**
 * Where a pod of the release was at `t` (ms since the run started), recorded each time it changed.
 * `pending`: not scheduled to a node; `starting`: on a node, not Ready; `terminating`: being deleted; `gone`: no such pod.
 */
export interface Placement {
  t: number;
  pod: string;
  uid: string | null;
  node: string | null;
  state: 'ready' | 'starting' | 'pending' | 'terminating' | 'gone';
  /** Why the scheduler left it Pending (its PodScheduled condition), when it did. */
  why?: string;
}

/** A pod of the release as the lesson reads it before and after: the object, its node, its claim and counter. */
export interface DrainPodIdentity {
  pod: string;
  uid: string | null;
  node: string | null;
  pvc: string | null;
  pvcUid: string | null;
  counter: number | null;
}

/** What the drain did to one pod that ran on the drained node. */
export interface PodMove {
  pod: string;
  fromNode: string;
  fromUid: string | null;
  /** Refused evictions (429) before the accepted one, and from the first refusal until the eviction was accepted (or, never accepted, the last refusal). */
  refusals: number;
  refusedMs: number;
  /** The last refusal (ms since the start); null: none. */
  refusalsEndAt: number | null;
  /** When the eviction was accepted; null: never (the budget refused it until the drain ended). */
  evictedAt: number | null;
  /** The pod that replaced it: its node and UID; null when no replacement was seen. */
  toNode: string | null;
  toUid: string | null;
  /** How long the replacement was seen Pending (not scheduled), and whether that lasted until the node was uncordoned. */
  pendingMs: number;
  pendingUntilUncordon: boolean;
  /** The scheduler's reason, as the pod's condition said it. */
  pendingWhy: string | null;
  /** From the eviction until the replacement was Ready; null: not seen Ready. */
  readyAfterMs: number | null;
}

export interface DrainRecord extends ProbedLessonRecord<'drain'> {
  /** The pod whose node was drained, and that node. */
  pod: string;
  node: string;
  options: { replicas: number; intervalMs: number; settleMs: number; uncordonAfterMs: number | null };
  /** The schedulable nodes before the drain (the drained one among them). */
  nodes: string[];
  /** The chart's PodDisruptionBudget as read before the drain; null: none. */
  budget: { name: string; maxUnavailable: number | string | null; minAvailable: number | string | null; disruptionsAllowed: number | null } | null;
  /** ms since the start: the cordon, and the uncordon (null: never uncordoned by the lesson). */
  cordonedAt: number | null;
  uncordonedAt: number | null;
  /** Read at the very end: the node schedulable again (null: it could not be read). */
  uncordonedAfter: boolean | null;
  evictions: EvictionAttempt[];
  placements: Placement[];
  moves: PodMove[];
  failedRequests: FailedRequests;
  identity: { before: DrainPodIdentity[]; after: DrainPodIdentity[] };
}

/** A scheduler message that says the pod's volume is bound to a node it cannot go to. */
export const VOLUME_AFFINITY = /volume node affinity conflict|had volume node affinity/i;

/**
 * What the drain did to each pod that ran on `node` (in `before`): its evictions, refusals and
 * their span, where its replacement went, how long it was Pending, when it was Ready.
 */
export function podMoves(
  before: DrainPodIdentity[],
  node: string,
  evictions: EvictionAttempt[],
  placements: Placement[],
  uncordonedAt: number | null,
): PodMove[] {
  return before
    .filter((p) => p.node === node)
    .map((p) => {
      const own = evictions.filter((e) => e.pod === p.pod).sort((a, b) => a.t - b.t);
      const refused = own.filter((e) => e.outcome === 'refused');
      const accepted = own.find((e) => e.outcome !== 'refused');
      const evictedAt = accepted?.t ?? null;
      const firstRefusal = refused[0]?.t;
      const refusedMs = firstRefusal === undefined ? 0 : (evictedAt ?? refused.at(-1)!.t) - firstRefusal;
      const next = evictedAt === null ? [] : placements.filter((x) => x.pod === p.pod && x.t >= evictedAt && x.uid !== null && x.uid !== p.uid);
      next.sort((a, b) => a.t - b.t);
      const placed = next.find((x) => x.node !== null);
      const ready = next.find((x) => x.state === 'ready');
      const pending = pendingSpan(next, ready?.t ?? null, placed?.t ?? null);
      return {
        pod: p.pod,
        fromNode: node,
        fromUid: p.uid,
        refusals: refused.length,
        refusedMs,
        refusalsEndAt: refused.at(-1)?.t ?? null,
        evictedAt,
        toNode: placed?.node ?? null,
        toUid: next[0]?.uid ?? null,
        pendingMs: pending.ms,
        pendingUntilUncordon: pending.ms > 0 && uncordonedAt !== null && (placed === undefined || placed.t >= uncordonedAt),
        pendingWhy: next.find((x) => x.state === 'pending' && x.why)?.why ?? null,
        readyAfterMs: ready && evictedAt !== null ? ready.t - evictedAt : null,
      };
    });
}

/** From the first `pending` placement of the replacement until it was placed on a node (or, never placed, its last placement seen). */
function pendingSpan(next: Placement[], readyAt: number | null, placedAt: number | null): { ms: number } {
  const first = next.find((x) => x.state === 'pending');
  if (!first) return { ms: 0 };
  const end = placedAt ?? readyAt ?? next.at(-1)!.t;
  return { ms: Math.max(0, end - first.t) };
}

/** The probe requests that failed from the cordon on. */
export function drainFailedRequests(samples: ProbeSample[], cordonedAt: number | null): FailedRequests {
  return cordonedAt === null ? { count: 0, firstMs: null, lastMs: null, spanMs: 0 } : failedRequestsSince(samples, cordonedAt);
}

export interface DrainFacts {
  stop?: { message: string; interruptedIn?: string };
  replicas: number;
  node: string;
  moves: PodMove[];
  failedRequests: FailedRequests;
  uncordonedAfter: boolean | null;
  before: DrainPodIdentity[];
  after: DrainPodIdentity[];
  dataChecks: DataCheck[];
}

/**
 * The drain verdict. Failed: the node left cordoned (whatever else happened); with 2 or more
 * replicas, a request lost (the budget is there to prevent exactly that); a pod not back, on
 * another claim, or an acknowledged increment lost. Refused evictions are the budget doing its
 * job, not a failure.
 */
export function decideDrain(f: DrainFacts): { verdict: LessonVerdict; reason: string } {
  if (f.uncordonedAfter === false) {
    const why = f.stop ? `${f.stop.message}; ` : '';
    return { verdict: 'failed', reason: `${why}node ${f.node} is still cordoned: uncordon it with \`kubectl uncordon ${f.node}\`` };
  }
  if (f.stop) return { verdict: f.stop.interruptedIn ? 'interrupted' : 'failed', reason: f.stop.message };
  const problems: string[] = [];
  if (f.moves.length === 0) problems.push(`no pod of the release ran on ${f.node}`);
  if (f.replicas >= 2 && f.failedRequests.count > 0)
    problems.push(`a drain that lost requests: ${f.failedRequests.count} failed with ${f.replicas} replicas and a disruption budget (target 0)`);
  for (const m of f.moves.filter((x) => x.evictedAt === null && !blockedBy(x, f.moves)))
    problems.push(`${m.pod}: the budget refused its eviction ${m.refusals} times although no other pod of the drain was out`);
  for (const b of f.before) {
    const a = f.after.find((x) => x.pod === b.pod);
    if (!a) problems.push(`${b.pod} is not back`);
    else if (a.pvcUid !== b.pvcUid) problems.push(`${b.pod} came back on another PVC (${b.pvcUid} → ${a.pvcUid})`);
  }
  for (const c of f.dataChecks.filter((x) => !x.preserved)) problems.push(`data lost: ${c.pod} ${c.reason}`);
  if (problems.length) return { verdict: 'failed', reason: problems.join('; ') };
  const parts = f.moves.map((m) => {
    const blocker = blockedBy(m, f.moves);
    if (m.evictedAt === null && blocker)
      return `${m.pod}'s eviction refused ${m.refusals}× over ${sec(m.refusedMs)} while ${blocker.pod} was not back (a kubectl drain would wait here until its --timeout)`;
    const refused = m.refusals ? `refused ${m.refusals}× over ${sec(m.refusedMs)}, then ` : '';
    const where =
      m.toNode === null
        ? 'not placed again'
        : m.pendingUntilUncordon
          ? `Pending ${sec(m.pendingMs)} until ${m.toNode} was uncordoned`
          : m.toNode === m.fromNode
            ? `back on ${m.toNode}`
            : `moved to ${m.toNode}`;
    return `${m.pod} ${refused}evicted, ${where}`;
  });
  const lost = f.failedRequests.count ? `${f.failedRequests.count} failed requests (1 replica: expected)` : 'no failed request';
  return { verdict: 'passed', reason: `${parts.join('; ')}; ${lost}; every pod back on its PVC, no acknowledged increment lost, ${f.node} uncordoned` };
}

/**
 * The evicted pod that explains why the budget kept refusing `m` to the end: one evicted before
 * `m`'s last refusal and not Ready again by then (maxUnavailable 1 allows one pod out at a time).
 */
export function blockedBy(m: PodMove, moves: PodMove[]): PodMove | undefined {
  if (m.evictedAt !== null || m.refusals === 0) return undefined;
  const lastRefusal = m.refusalsEndAt ?? 0;
  return moves.find(
    (o) => o !== m && o.evictedAt !== null && o.evictedAt <= lastRefusal && (o.readyAfterMs === null || o.evictedAt + o.readyAfterMs > lastRefusal),
  );
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Whether the picture is clear enough to uncordon (the default of --uncordon-after): every pod
 * that was on the node is evicted and its replacement either Ready or Pending for `heldMs`, or its
 * eviction has been refused for `heldMs`.
 */
export function pictureClear(moves: PodMove[], now: number, heldMs: number, placements: Placement[]): boolean {
  if (moves.length === 0) return true;
  return moves.every((m) => {
    if (m.evictedAt === null) return m.refusals > 0 && m.refusedMs >= heldMs;
    if (m.readyAfterMs !== null) return true;
    const pendingSince = placements.find((x) => x.pod === m.pod && x.t >= m.evictedAt! && x.state === 'pending' && x.uid !== m.fromUid)?.t;
    return pendingSince !== undefined && now - pendingSince >= heldMs;
  });
}

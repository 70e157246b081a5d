import type { ControlPlaneRecord } from './control-plane.js';
// The two lessons beyond the update strategies (demo-failover, demo-scale): their run records and
// what they decide from what they measured. Pure, table-tested (test/unit/lessons.test.ts).

import type { ProbeSettings } from '../adapters/kube-objects.js';
import type { ClusterIdentity } from '../adapters/kubectl.js';
import type { ProbeSample, ProbeSummary } from '../probe/sample.js';
import { demoLimits } from '../limits.js';
import {
  explainFailover,
  failoverFigures,
  type FailedRequests,
  type FailoverExplanation,
  type FailoverFigures,
  type FailoverMode,
  type FailureMoment,
  type ReadinessSettings,
} from './failover-analysis.js';
import type { CounterSnapshot, DataCheck, Phase, PodEvent } from './record.js';

export { failedRequestsSince, readyAgainAfter } from './failover-analysis.js';
export type { FailedRequests, FailoverMode, FailureMoment, ReadinessSettings } from './failover-analysis.js';

export type LessonVerdict = 'passed' | 'failed' | 'interrupted';
/** The lessons `lab` runs after the update demos (`--lessons`). */
export type Lesson = 'scale' | 'failover' | 'identity' | 'drain' | 'node-loss';
export const LESSONS: readonly Lesson[] = ['scale', 'failover', 'identity', 'drain', 'node-loss'];

export const FAILOVER_MODES: readonly FailoverMode[] = ['delete', 'kill', 'hang'];
export type PolicyChoice = 'parallel' | 'ordered' | 'both';
export const POLICY_CHOICES: readonly PolicyChoice[] = ['parallel', 'ordered', 'both'];
export type PodManagementPolicy = 'Parallel' | 'OrderedReady';
export type Retention = 'retain' | 'delete';
export const RETENTIONS: readonly Retention[] = ['retain', 'delete'];

export interface LessonEnvironment {
  kubernetes: string;
  helm: string;
  kubectl: string;
  k8sLab: string;
  node: string;
}

/** A pod as the failover lesson identifies it: the pod object, its claim and its counter. */
export interface PodIdentity {
  pod: string;
  /** The pod object's UID: a deleted and re-created pod has a new one under the same name. */
  uid: string | null;
  pvc: string | null;
  pvcUid: string | null;
  /** Container restarts: a killed app restarts in the same pod. */
  restarts: number;
  counter: number | null;
  /** The kubelet's record of the app container's last exit and current start (to the second). */
  container?: { exitedAt: string | null; exitCode: number | null; reason: string | null; startedAt: string | null };
}

/** What every lesson record begins with: which release on which cluster, when, and its phases. */
export interface LessonRecordHead<L extends string> {
  schema: 1;
  lesson: L;
  id: string;
  release: string;
  namespace: string;
  /** The cluster it was measured on (see RunRecord.cluster). */
  cluster?: ClusterIdentity;
  /** The probe went through the API server's service proxy (see RunRecord.probeVia). */
  probeVia?: 'api-server-proxy';
  /** When the control plane was away during the run (see RunRecord.controlPlane). */
  controlPlane?: ControlPlaneRecord;
  environment: LessonEnvironment;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  phases: Phase[];
}

/** A lesson on the release under the probe: what the pod watch and the probe saw, the data checked, the verdict. */
export interface ProbedLessonRecord<L extends string> extends LessonRecordHead<L> {
  podEvents: PodEvent[];
  probe: ProbeSummary;
  samples: ProbeSample[];
  counters: { before: CounterSnapshot[]; after: CounterSnapshot[] };
  dataChecks: DataCheck[];
  dataPreserved: boolean;
  verdict: LessonVerdict;
  reason: string;
  notes: string[];
}

export interface FailoverRecord extends ProbedLessonRecord<'failover'> {
  mode: FailoverMode;
  pod: string;
  options: { replicas: number; intervalMs: number; settleMs: number };
  /** ms since the start when the delete or the signal was requested (the start of its command). */
  failedAt: number;
  /** The command that deleted the pod or signalled its app, and when the pod's clock says it signalled (k8s-lab 0.2+). */
  failure?: FailureMoment;
  /** hang: the SIGCONT that resumed the app, with the app's state after it (`T`: still stopped); null when none was sent. */
  resume?: (FailureMoment & { states: string[] }) | null;
  /** From then until the pod was Ready again; null when it was not. */
  readyAgainMs: number | null;
  failedRequests: FailedRequests;
  identity: { before: PodIdentity; after: PodIdentity | null };
  /** The app container's readiness probe, read from the live StatefulSet; null: it has none. */
  readiness: ReadinessSettings | null;
  /** Its liveness probe, read likewise; null: none (k8s-lab 0.2+). */
  liveness?: ProbeSettings | null;
  /** How long a probe request may wait for its answer before it counts as failed (k8s-lab 0.2+). */
  requestTimeoutMs?: number;
  /** What bounded the outage and why, each sentence a figure of this run or checked Kubernetes behaviour (k8s-lab 0.2+). */
  explanation?: string[];
  /** What would shorten the outage, following from this run's figures. */
  advice: string;
}

/**
 * The figures of a failover record and the explanation they support, recomputed from what it
 * recorded, so that a record of an older k8s-lab is explained by the same rules (its `failedAt` is
 * the start of the command; its stored advice is not repeated). Undefined when nothing was failed.
 */
export function explainFailoverRecord(record: FailoverRecord): { figures: FailoverFigures; explanation: FailoverExplanation } | undefined {
  if (record.failedAt < 0) return undefined;
  const failure = record.failure ?? { requestedAt: record.failedAt, doneAt: record.failedAt, podClockAt: null };
  const figures = failoverFigures({ pod: record.pod, failure, resume: record.resume, podEvents: record.podEvents, samples: record.samples });
  const explanation = explainFailover(figures, {
    mode: record.mode,
    pod: record.pod,
    replicas: record.options.replicas,
    readiness: record.readiness,
    liveness: record.liveness,
    restarts: { before: record.identity.before.restarts, after: record.identity.after?.restarts ?? null },
    requestTimeoutMs: record.requestTimeoutMs ?? demoLimits.probeRequestMs(record.options.intervalMs),
    restart: record.mode === 'kill' ? record.identity.after?.container : undefined,
  });
  return { figures, explanation };
}

export interface FailoverFacts {
  mode: FailoverMode;
  stop?: { message: string; interruptedIn?: string };
  before: PodIdentity;
  after: PodIdentity | null;
  readyAgainMs: number | null;
  dataChecks: DataCheck[];
  /** hang: the app's state after the SIGCONT (`T`: still stopped), null when no SIGCONT reached it; and whether the container has a liveness probe. */
  resumed?: { states: string[] } | null;
  liveness?: boolean;
}

/** The failover verdict: the pod must be back, Ready, under its name, on its PVC, with every acknowledged increment. */
export function decideFailover(f: FailoverFacts): { verdict: LessonVerdict; reason: string } {
  if (f.stop) return { verdict: f.stop.interruptedIn ? 'interrupted' : 'failed', reason: f.stop.message };
  const { before, after } = f;
  if (!after) return { verdict: 'failed', reason: `${before.pod} did not come back` };
  if (f.mode === 'hang') {
    const problem = hangProblem(f, before, after);
    if (problem) return { verdict: 'failed', reason: problem };
  }
  if (f.readyAgainMs === null) return { verdict: 'failed', reason: `${before.pod} was not seen Ready again` };
  if (after.pvc !== before.pvc || after.pvcUid !== before.pvcUid) {
    return { verdict: 'failed', reason: `${before.pod} came back on another PVC (${before.pvc} ${before.pvcUid} → ${after.pvc} ${after.pvcUid})` };
  }
  if (f.mode === 'delete' && after.uid === before.uid) return { verdict: 'failed', reason: `${before.pod} was not re-created (same pod UID ${before.uid})` };
  if (f.mode === 'kill' && (after.uid !== before.uid || after.restarts <= before.restarts)) {
    return {
      verdict: 'failed',
      reason: `${before.pod}'s app did not restart in the same pod (UID ${before.uid} → ${after.uid}, restarts ${before.restarts} → ${after.restarts})`,
    };
  }
  const lost = f.dataChecks.filter((c) => !c.preserved);
  if (lost.length) return { verdict: 'failed', reason: `data lost: ${lost.map((c) => `${c.pod} ${c.reason}`).join('; ')}` };
  const how =
    f.mode === 'delete'
      ? `${before.pod} re-created under the same name`
      : f.mode === 'kill'
        ? `${before.pod}'s app restarted in the same pod`
        : after.restarts > before.restarts
          ? `${before.pod}'s hung app restarted by its liveness probe in the same pod`
          : `${before.pod}'s app resumed in the same pod, not restarted`;
  return { verdict: 'passed', reason: `${how}, Ready again after ${(f.readyAgainMs / 1000).toFixed(1)} s on the same PVC, no acknowledged increment lost` };
}

/** What makes a hang lesson fail: another pod, a restart no liveness probe explains, an app left stopped. */
function hangProblem(f: FailoverFacts, before: PodIdentity, after: PodIdentity): string | undefined {
  if (after.uid !== before.uid) return `${before.pod} was re-created (UID ${before.uid} → ${after.uid}); a hang should leave the pod in place`;
  if (after.restarts > before.restarts && !f.liveness)
    return `${before.pod}'s container restarted (restarts ${before.restarts} → ${after.restarts}) although it has no liveness probe`;
  const restarted = after.restarts > before.restarts;
  if (!restarted && !f.resumed) return `no SIGCONT reached ${before.pod}'s app: it may still be stopped`;
  if (!restarted && f.resumed?.states.includes('T')) return `${before.pod}'s app is still stopped after the SIGCONT (state T)`;
  return undefined;
}

// ---- demo-scale --------------------------------------------------------------------------------

/** One pod's times in a scale-up, ms after the scale request; null when the watch did not see it. */
export interface PodTimes {
  pod: string;
  ordinal: number;
  createdMs: number | null;
  readyMs: number | null;
}

/** Created and Ready times of `pods`, ms after `since` (their first such event from then on). */
export function podTimes(events: PodEvent[], pods: string[], since: number): PodTimes[] {
  const first = (pod: string, type: PodEvent['type']) => {
    const e = events.filter((x) => x.pod === pod && x.type === type && x.t >= since).sort((a, b) => a.t - b.t)[0];
    return e ? e.t - since : null;
  };
  return pods.map((pod) => ({ pod, ordinal: ordinalOf(pod), createdMs: first(pod, 'created'), readyMs: first(pod, 'ready') }));
}

function ordinalOf(pod: string): number {
  const match = /-(\d+)$/.exec(pod);
  return match ? Number(match[1]) : -1;
}

/** Pods in the order they became Ready (never Ready: left out). */
export function readyOrder(times: PodTimes[]): string[] {
  return times
    .filter((p) => p.readyMs !== null)
    .sort((a, b) => (a.readyMs ?? 0) - (b.readyMs ?? 0) || a.ordinal - b.ordinal)
    .map((p) => p.pod);
}

/**
 * `staircase`: each pod (by ordinal) created only once the one before it was Ready (OrderedReady);
 * `block`: some pod created before the one before it was Ready (Parallel: all at once); `single`:
 * one pod, nothing to compare; `unknown`: a time is missing.
 */
export function rolloutShape(times: PodTimes[]): 'staircase' | 'block' | 'single' | 'unknown' {
  const ordered = [...times].sort((a, b) => a.ordinal - b.ordinal);
  if (ordered.length < 2) return 'single';
  if (ordered.some((p) => p.createdMs === null || p.readyMs === null)) return 'unknown';
  for (let i = 1; i < ordered.length; i++) {
    if ((ordered[i]?.createdMs ?? 0) < (ordered[i - 1]?.readyMs ?? 0)) return 'block';
  }
  return 'staircase';
}

/** The last Ready time: from the scale request until every pod was Ready; null when one never was. */
export function allReadyMs(times: PodTimes[]): number | null {
  if (times.some((p) => p.readyMs === null)) return null;
  return Math.max(0, ...times.map((p) => p.readyMs ?? 0));
}

/** The pods going away on a scale-down, in the order they started terminating, ms after `since`. */
export function scaleDownOrder(events: PodEvent[], pods: string[], since: number): { pod: string; deletingMs: number | null; deletedMs: number | null }[] {
  const first = (pod: string, type: PodEvent['type']) => {
    const e = events.filter((x) => x.pod === pod && x.type === type && x.t >= since).sort((a, b) => a.t - b.t)[0];
    return e ? e.t - since : null;
  };
  return pods
    .map((pod) => ({ pod, deletingMs: first(pod, 'deleting'), deletedMs: first(pod, 'deleted') }))
    .sort((a, b) => (a.deletingMs ?? Infinity) - (b.deletingMs ?? Infinity) || ordinalOf(b.pod) - ordinalOf(a.pod));
}

/** What the storage check of one removed-and-returned ordinal saw. */
export interface StorageFacts {
  pod: string;
  pvc: string;
  retention: Retention;
  /** Read before the scale-down, with the PVC's UID. */
  before: { counter: number | null; pvcUid: string | null };
  /** Increments the probe saw this pod acknowledge after that read (sent after it), before the scale-down. */
  acknowledgedAfterRead: number;
  /** The claim once the scale-down was done: still there (its UID), or gone (null). */
  pvcUidAfterScaleDown: string | null;
  /** The returning pod's counter and claim. */
  returned: { counter: number | null; pvcUid: string | null };
  /** Increments the probe saw the returning pod acknowledge before its counter was read. */
  acknowledgedSinceReturn: number;
}

export interface StorageCheck extends StorageFacts {
  /** kept: the returning pod serves its old value again; fresh: it starts from 0 on a new claim. */
  expected: 'kept' | 'fresh';
  ok: boolean;
  reason?: string;
}

/**
 * Retain: the claim stays through the scale-down (same UID) and the returning pod's counter holds
 * the old value plus every increment acknowledged after it was read. Delete: the StatefulSet
 * deleted the claim on the scale-down and the returning pod starts from 0 on a new one (its counter
 * is at most what the probe sent it since).
 */
export function checkStorage(f: StorageFacts): StorageCheck {
  const expected = f.retention === 'retain' ? 'kept' : 'fresh';
  const result = (ok: boolean, reason?: string): StorageCheck => ({ ...f, expected, ok, ...(reason && { reason }) });
  if (f.before.counter === null || f.returned.counter === null) return result(false, 'a counter could not be read');
  if (f.retention === 'retain') {
    if (f.pvcUidAfterScaleDown === null) return result(false, `${f.pvc} was deleted on the scale-down although the policy is Retain`);
    if (f.pvcUidAfterScaleDown !== f.before.pvcUid || f.returned.pvcUid !== f.before.pvcUid)
      return result(false, `${f.pvc} was re-created (UID ${f.before.pvcUid} → ${f.returned.pvcUid})`);
    const minimum = f.before.counter + f.acknowledgedAfterRead;
    if (f.returned.counter < minimum)
      return result(
        false,
        `the returning pod serves ${f.returned.counter}, less than the ${minimum} it had acknowledged (${f.before.counter} + ${f.acknowledgedAfterRead})`,
      );
    return result(true);
  }
  if (f.pvcUidAfterScaleDown !== null) return result(false, `${f.pvc} is still there after the scale-down although whenScaled is Delete`);
  if (f.returned.pvcUid === f.before.pvcUid) return result(false, `the returning pod has the old claim (UID ${f.before.pvcUid})`);
  if (f.returned.counter > f.acknowledgedSinceReturn)
    return result(
      false,
      `the returning pod serves ${f.returned.counter}, more than the ${f.acknowledgedSinceReturn} requests it answered since it came back: not a fresh volume`,
    );
  return result(true);
}

/** One policy's scale up, scale down and return, measured. */
export interface ScaleRun {
  policy: PodManagementPolicy;
  /** The release scaled: the user's, or the temporary one for OrderedReady. */
  release: string;
  temporary: boolean;
  /** The probe went through the API server's service proxy (see RunRecord.probeVia). */
  probeVia?: 'api-server-proxy';
  from: number;
  to: number;
  up: { requestedAt: number; allReadyMs: number | null; pods: PodTimes[]; readyOrder: string[]; shape: ReturnType<typeof rolloutShape> };
  down: { requestedAt: number; doneMs: number | null; order: ReturnType<typeof scaleDownOrder> };
  again: { requestedAt: number; allReadyMs: number | null; pods: PodTimes[] };
  /** The probe through this release's Service during its part. */
  probe: ProbeSummary;
  failedUp: number;
  failedDown: number;
  storage: StorageCheck[];
}

export interface ScaleRecord extends LessonRecordHead<'scale'> {
  options: { replicas: number; to: number; policy: PolicyChoice; pvcRetention: Retention; keepPvcs: boolean; intervalMs: number };
  runs: ScaleRun[];
  /** What was put back afterwards, one line each. */
  cleanup: string[];
  verdict: LessonVerdict;
  reason: string;
  notes: string[];
}

/** The scale verdict: no failed request up or down, every storage check as the policy says. */
export function decideScale(runs: ScaleRun[], stop?: { message: string; interruptedIn?: string }): { verdict: LessonVerdict; reason: string } {
  if (stop) return { verdict: stop.interruptedIn ? 'interrupted' : 'failed', reason: stop.message };
  const problems: string[] = [];
  for (const run of runs) {
    if (run.up.allReadyMs === null) problems.push(`${run.policy}: not every pod was seen Ready after the scale-up`);
    if (run.failedUp + run.failedDown > 0)
      problems.push(`${run.policy}: ${run.failedUp} requests failed scaling up, ${run.failedDown} scaling down (target 0)`);
    for (const check of run.storage.filter((c) => !c.ok)) problems.push(`${run.policy}: ${check.pod}: ${check.reason}`);
  }
  if (problems.length) return { verdict: 'failed', reason: problems.join('; ') };
  const parts = runs.map((r) => `${r.policy} ${r.from}→${r.to} all Ready in ${((r.up.allReadyMs ?? 0) / 1000).toFixed(1)} s (${r.up.shape})`);
  const storage = runs[0]?.storage[0]?.expected === 'fresh' ? 'returning pods started from 0 on new PVCs' : 'returning pods served their old counters again';
  return { verdict: 'passed', reason: `${parts.join('; ')}; no failed request; ${storage}` };
}

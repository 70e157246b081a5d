// demo-node-loss: what the recorded observations of a stopped node say, and the verdict. Pure,
// unit-tested with hand-worked figures (test/unit/node-loss-analysis.test.ts).

import { failedRequestsSince, type FailedRequests } from './failover-analysis.js';
import type { DataCheck, PodEvent, ProbeSample } from './record.js';

export type NodeLossRecovery = 'start' | 'out-of-service';
export const NODE_LOSS_RECOVERIES: readonly NodeLossRecovery[] = ['start', 'out-of-service'];

/** The taint of non-graceful node shutdown (kubernetes.io/docs/concepts/cluster-administration/node-shutdown/#non-graceful-node-shutdown). */
export const OUT_OF_SERVICE_TAINT = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' } as const;

/** A condition's status as the API shows it; null: the object has no such condition. */
export type ConditionStatus = 'True' | 'False' | 'Unknown' | null;

/** The stopped node as the demo read it, recorded when something in it changed. `t`: ms since the run started. */
export interface NodeObservation {
  t: number;
  node: string;
  ready: ConditionStatus;
  /** It carries the out-of-service taint. */
  outOfService: boolean;
}

/** The pod of the identity (its name) as the demo read it, recorded on change; `uid` null: no pod of that name. */
export interface PodObservation {
  t: number;
  pod: string;
  uid: string | null;
  node: string | null;
  phase: string | null;
  /** Its Ready condition. */
  ready: ConditionStatus;
  /** It has a deletionTimestamp (kubectl: Terminating). */
  deleting: boolean;
  /** status.reason, e.g. NodeLost. */
  reason: string | null;
}

/** One command of the run, ms since the start: it ran from `requestedAt` to `doneAt`. */
export interface CommandMoment {
  requestedAt: number;
  doneAt: number;
}

/** The changes the run made, each null until made. */
export interface NodeLossMoments {
  stop: CommandMoment | null;
  taint: CommandMoment | null;
  start: CommandMoment | null;
  untaint: CommandMoment | null;
}

/** The replacement pod: another UID under the identity's name. */
export interface Replacement {
  uid: string;
  /** ms after the stop request it was first seen (the pod watch's `created` or a read, whichever came first). */
  createdMs: number;
  /** Where it was first seen scheduled; null: never (Pending). */
  node: string | null;
  /** ms after the stop request it was first seen Ready; null: never. */
  readyMs: number | null;
  /** Created before a replacement was safe: while the old pod's node was down and not declared out of service. */
  early: boolean;
}

export interface NodeLossFigures {
  /** ms from the stop request until the node was first read not Ready; null: never. */
  notReadyMs: number | null;
  /** ms until the old pod's Ready condition was first read other than True (False or Unknown), and what it was. */
  podNotReadyMs: number | null;
  podNotReadyStatus: ConditionStatus;
  /** ms until the old pod was first read with a deletionTimestamp (Terminating); null: never. */
  podTerminatingMs: number | null;
  /** ms until no pod with the old UID was there any more; null: it stayed. */
  oldPodGoneMs: number | null;
  /** From when a replacement was safe: the taint requested, or the node Ready again after its start, whichever came first. */
  safeFromMs: number | null;
  replacement: Replacement | null;
  /** ms until the node was read Ready again after its start was requested; null: never. */
  nodeReadyAgainMs: number | null;
  /** ms until the identity (old pod or replacement) was read Ready again after it had gone not Ready; null: never. */
  podReadyAgainMs: number | null;
  /** The most pods of the identity's name seen at once (the API keeps names unique: more than one is a bug). */
  podsAtOnce: number;
  /** Probe requests that failed from the stop request on. */
  failed: FailedRequests;
}

export interface FigureInputs {
  pod: string;
  node: string;
  /** The old pod's UID when the run started. */
  uid: string;
  moments: NodeLossMoments;
  nodes: NodeObservation[];
  pods: PodObservation[];
  podEvents: PodEvent[];
  samples: ProbeSample[];
}

const byTime = <T extends { t: number }>(list: T[]) => [...list].sort((a, b) => a.t - b.t);

/** The figures of a node loss from what was recorded; all times in ms after the stop request. */
export function nodeLossFigures(i: FigureInputs): NodeLossFigures | undefined {
  const stop = i.moments.stop;
  if (!stop) return undefined;
  const since = stop.requestedAt;
  const rel = (t: number | undefined) => (t === undefined ? null : t - since);
  const nodes = byTime(i.nodes).filter((o) => o.node === i.node && o.t >= since);
  const pods = byTime(i.pods).filter((o) => o.pod === i.pod && o.t >= since);
  const old = pods.filter((o) => o.uid === i.uid);
  const notReady = nodes.find((o) => o.ready !== 'True');
  const podNotReady = old.find((o) => o.ready !== 'True');
  const startAt = i.moments.start?.requestedAt;
  const nodeBack = startAt === undefined ? undefined : nodes.find((o) => o.t >= startAt && o.ready === 'True');
  const safeFrom = Math.min(i.moments.taint?.requestedAt ?? Infinity, nodeBack?.t ?? Infinity);
  const gone = pods.find((o) => o.uid !== i.uid);
  return {
    notReadyMs: rel(notReady?.t),
    podNotReadyMs: rel(podNotReady?.t),
    podNotReadyStatus: podNotReady?.ready ?? null,
    podTerminatingMs: rel(old.find((o) => o.deleting)?.t),
    oldPodGoneMs: rel(gone?.t),
    safeFromMs: Number.isFinite(safeFrom) ? safeFrom - since : null,
    replacement: replacementOf(i, pods, since, safeFrom),
    nodeReadyAgainMs: rel(nodeBack?.t),
    podReadyAgainMs: readyAgain(pods, i.podEvents, i.pod, since),
    podsAtOnce: Math.max(0, ...countByTime(pods)),
    failed: failedRequestsSince(i.samples, since),
  };
}

/** The first pod under the name with another UID, from the reads and the pod watch's `created` events. */
function replacementOf(i: FigureInputs, pods: PodObservation[], since: number, safeFrom: number): Replacement | null {
  const other = pods.filter((o) => o.uid !== null && o.uid !== i.uid);
  const first = other[0];
  if (!first?.uid) return null;
  const uid = first.uid;
  const own = other.filter((o) => o.uid === uid);
  const created = i.podEvents.filter((e) => e.pod === i.pod && e.type === 'created' && e.t >= since && e.t <= first.t).sort((a, b) => a.t - b.t)[0];
  const createdAt = Math.min(first.t, created?.t ?? Infinity);
  return {
    uid,
    createdMs: createdAt - since,
    node: own.find((o) => o.node)?.node ?? null,
    readyMs: ((t) => (t === undefined ? null : t - since))(own.find((o) => o.ready === 'True')?.t),
    early: createdAt < safeFrom,
  };
}

/** The identity Ready again: the first read or watch event Ready after it was read or seen not Ready. */
function readyAgain(pods: PodObservation[], events: PodEvent[], pod: string, since: number): number | null {
  const marks = [
    ...pods.map((o) => ({ t: o.t, ready: o.ready === 'True' && !o.deleting })),
    ...events
      .filter((e) => e.pod === pod && e.t >= since && e.type !== 'scheduled' && e.type !== 'created')
      .map((e) => ({ t: e.t, ready: e.type === 'ready' })),
  ].sort((a, b) => a.t - b.t);
  const out = marks.findIndex((m) => !m.ready);
  if (out < 0) return null;
  const back = marks.slice(out).find((m) => m.ready);
  return back ? back.t - since : null;
}

/** Distinct UIDs read at each moment (one read sees one pod per name; this guards the records). */
function countByTime(pods: PodObservation[]): number[] {
  const at = new Map<number, Set<string>>();
  for (const o of pods) if (o.uid) at.set(o.t, (at.get(o.t) ?? new Set()).add(o.uid));
  return [...at.values()].map((s) => s.size);
}

export type NodeLossVerdict = 'passed' | 'failed' | 'interrupted';

/** What the verdict is decided from: the figures and what was read afterwards. */
export interface NodeLossFacts {
  recover: NodeLossRecovery;
  pod: string;
  node: string;
  stop?: { message: string; interruptedIn?: string };
  figures: NodeLossFigures | undefined;
  before: { uid: string; pvcUid: string | null };
  after: { uid: string | null; ready: boolean; pvcUid: string | null } | null;
  /** The node afterwards: Ready, and whether it still carries the taint. */
  nodeAfter: { ready: boolean; outOfService: boolean } | null;
  /** Ready pods of the release afterwards, and its replica count. */
  readyReplicas: number;
  replicas: number;
  dataChecks: DataCheck[];
}

const sec = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

/**
 * Passed when the node was seen NotReady, no replacement came before it was safe (at most one pod
 * per identity), the recovery did what it says (start: the same pod back; out-of-service: a new pod,
 * the old one removed), and afterwards the node is Ready and untainted, the release at its replica
 * count, on the same PVC, with every acknowledged increment.
 */
export function decideNodeLoss(f: NodeLossFacts): { verdict: NodeLossVerdict; reason: string } {
  const always = [...safetyProblems(f), ...nodeAfterProblems(f)];
  if (f.stop) return { verdict: f.stop.interruptedIn ? 'interrupted' : 'failed', reason: [f.stop.message, ...always].join('; ') };
  const problems = [...always, ...recoveryProblems(f)];
  if (problems.length) return { verdict: 'failed', reason: problems.join('; ') };
  const g = f.figures!;
  const how =
    f.recover === 'start'
      ? `the same pod ${f.pod} came back when ${f.node} was started`
      : `the out-of-service taint removed the old pod; its replacement was created ${sec(g.replacement?.createdMs ?? null)} after the stop and Ready ${sec(g.replacement?.readyMs ?? null)} after it`;
  const failed = g.failed.count ? `${g.failed.count} requests failed over ${sec(g.failed.spanMs)}` : 'no request failed';
  return {
    verdict: 'passed',
    reason: `${f.node} NotReady ${sec(g.notReadyMs)} after the stop; no replacement while it could still run; ${how}; ${failed}; same PVC, no acknowledged increment lost`,
  };
}

/** A replacement too early, or two pods of one name: the "at most one" guarantee broken. */
function safetyProblems(f: NodeLossFacts): string[] {
  const g = f.figures;
  const problems: string[] = [];
  const r = g?.replacement;
  if (r?.early)
    problems.push(
      `a replacement of ${f.pod} (UID ${r.uid}) was created ${sec(r.createdMs)} after the stop, before it was safe (${g?.safeFromMs === null ? 'the node never came back nor was declared out of service' : `${sec(g?.safeFromMs ?? null)}`}): two pods of one identity could have run at once`,
    );
  if (g && g.podsAtOnce > 1) problems.push(`${g.podsAtOnce} pods named ${f.pod} were read at once`);
  return problems;
}

/** The node not put back: not Ready, still tainted, or unreadable. */
function nodeAfterProblems(f: NodeLossFacts): string[] {
  const problems: string[] = [];
  if (f.nodeAfter && !f.nodeAfter.ready) problems.push(`${f.node} is not Ready afterwards`);
  if (f.nodeAfter?.outOfService) problems.push(`${f.node} still carries the ${OUT_OF_SERVICE_TAINT.key} taint`);
  if (!f.nodeAfter) problems.push(`${f.node} could not be read afterwards`);
  return problems;
}

/** What the loss and the recovery should have shown and did not. */
function recoveryProblems(f: NodeLossFacts): string[] {
  const g = f.figures;
  if (!g) return ['the node was not stopped'];
  const problems: string[] = [];
  if (g.notReadyMs === null) problems.push(`${f.node} was never seen NotReady after the stop: was it stopped?`);
  const after = f.after;
  if (!after?.uid) problems.push(`${f.pod} is not there afterwards`);
  else {
    if (f.recover === 'start' && after.uid !== f.before.uid)
      problems.push(`${f.pod} was replaced (UID ${f.before.uid} → ${after.uid}); starting the node should bring the same pod back`);
    if (f.recover === 'out-of-service' && after.uid === f.before.uid)
      problems.push(`${f.pod} was not replaced after the out-of-service taint (same UID ${after.uid})`);
    if (!after.ready) problems.push(`${f.pod} is not Ready afterwards`);
    if (after.pvcUid !== f.before.pvcUid) problems.push(`${f.pod} is on another PVC (UID ${f.before.pvcUid} → ${after.pvcUid})`);
  }
  if (f.readyReplicas < f.replicas) problems.push(`${f.readyReplicas} of ${f.replicas} pods Ready afterwards`);
  const lost = f.dataChecks.filter((c) => !c.preserved);
  if (lost.length) problems.push(`data lost: ${lost.map((c) => `${c.pod} ${c.reason}`).join('; ')}`);
  return problems;
}

/**
 * What the out-of-service recovery means for the data, from where the volume lives: a node-local
 * volume (its PV has node affinity) holds the replacement Pending until its node is back.
 */
export function volumeMeaning(recover: NodeLossRecovery, pod: string, volumeNode: string | null | undefined, node: string): string {
  if (volumeNode === undefined)
    return `Whether ${pod}'s volume is tied to a node could not be read (its PersistentVolume was not readable); if it is node-local, a replacement can only run on ${node}.`;
  if (volumeNode === null)
    return recover === 'start'
      ? `${pod}'s volume is not tied to a node: a replacement could have run on another node.`
      : `${pod}'s volume is not tied to a node, so its replacement could start on another node with the same data as soon as the old pod was removed.`;
  const tied = `${pod}'s volume is node-local (its PV has node affinity for ${volumeNode})`;
  if (recover === 'start') return `${tied}: it could only ever run on ${volumeNode}, so it came back when ${node} did.`;
  return `${tied}: its replacement cannot start anywhere else and stays Pending until ${volumeNode} is back. The data is only as safe as that node's disk: had ${volumeNode} been lost for good, the counter in it would be lost, and the replacement would never start until its PVC is deleted (and starts empty). A volume that can follow the pod (network storage) lets the replacement run elsewhere at once.`;
}

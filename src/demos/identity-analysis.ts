// demo-identity: what a StatefulSet pod keeps when it is replaced (name, hostname, DNS name, PVC,
// counter) and what may change (IP, node, UID), decided from what was recorded before and after.
// Pure, table-tested with hand-worked figures (test/unit/identity-analysis.test.ts).

import type { ProbeSample } from '../probe/sample.js';
import { failedRequestsSince, type FailedRequests } from './failover-analysis.js';
import type { LessonVerdict, ProbedLessonRecord } from './lessons.js';
import type { DataCheck, PodEvent } from './record.js';

/** One pod as demo-identity records it, before the delete and after it is back. */
export interface PodIdentityView {
  pod: string;
  /** `hostname` inside the pod (null: not read). */
  hostname: string | null;
  /** `<pod>.<release>-headless.<namespace>.svc.cluster.local`. */
  dnsName: string;
  /** What the DNS name resolved to from another pod of the release; [] when it resolved to nothing, null when not read. */
  resolved: string[] | null;
  ip: string | null;
  node: string | null;
  uid: string | null;
  pvc: string | null;
  pvcUid: string | null;
  counter: number | null;
}

/** An answer of the resolver running in the other pod, recorded when it changed. `t`: ms since the run started. */
export interface DnsAnswer {
  t: number;
  addresses: string[];
  /** Why nothing resolved (`[Errno -2] Name or service not known`). */
  error?: string;
}

/** The node label requirement of a PersistentVolume (spec.nodeAffinity.required), as Kubernetes writes it. */
export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface VolumeNodeAffinity {
  required?: { nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[] }[] };
}

/** Where the pod's volume lets it run, decided from its PV's nodeAffinity and the nodes' labels. */
export interface VolumePlacement {
  pv: string | null;
  storageClass: string | null;
  /** Nodes the volume allows; null: the PV has no node affinity (any node). */
  allowedNodes: string[] | null;
  /** Schedulable nodes other than the pod's own that the volume allows: where the pod can go. */
  elsewhere: string[];
  /** The pod can come back on another node. */
  canMove: boolean;
  /** One sentence: why it can or cannot move. */
  why: string;
}

function matches(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const value = labels[r.key];
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [bound] = (r.values ?? []).map(Number);
      const n = Number(value);
      return value !== undefined && bound !== undefined && (r.operator === 'Gt' ? n > bound : n < bound);
    }
    default:
      return false;
  }
}

/**
 * The nodes a PV lets its pod run on: those matching any of its nodeSelectorTerms (a term: all its
 * expressions), as the scheduler's VolumeBinding plugin reads it; null when it has no node affinity.
 */
export function nodesVolumeAllows(affinity: VolumeNodeAffinity | undefined, nodes: { name: string; labels: Record<string, string> }[]): string[] | null {
  const terms = affinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return null;
  return nodes.filter((node) => terms.some((term) => (term.matchExpressions ?? []).every((r) => matches(node.labels, r)))).map((n) => n.name);
}

/** Whether the pod on `node` can come back elsewhere while `node` is cordoned. */
export function volumePlacement(
  pv: { name: string | null; storageClass: string | null; nodeAffinity?: VolumeNodeAffinity },
  node: string,
  nodes: { name: string; labels: Record<string, string>; schedulable: boolean }[],
): VolumePlacement {
  const allowed = nodesVolumeAllows(pv.nodeAffinity, nodes);
  const elsewhere = nodes.filter((n) => n.schedulable && n.name !== node && (allowed === null || allowed.includes(n.name))).map((n) => n.name);
  const cls = pv.storageClass ? `class ${pv.storageClass}` : 'no class';
  const why =
    allowed === null
      ? `its volume ${pv.name ?? '?'} (${cls}) has no node affinity: any node can mount it`
      : allowed.length === 1 && allowed[0] === node
        ? `its volume ${pv.name ?? '?'} (${cls}) is node-local: the PV's nodeAffinity allows only ${node}`
        : `its volume ${pv.name ?? '?'} (${cls}) allows ${allowed.length ? allowed.join(', ') : 'no node'} (the PV's nodeAffinity)`;
  return { pv: pv.name, storageClass: pv.storageClass, allowedNodes: allowed, elsewhere, canMove: elsewhere.length > 0, why };
}

/**
 * ms after `since` until the DNS name first resolved to `ip` alone (the new pod's address, the old
 * one gone); null when it never did in what was recorded. An answer recorded before `since` counts
 * from `since` (the resolver records changes only, so its last answer still holds).
 */
export function dnsMovedAfter(answers: DnsAnswer[], since: number, ip: string | null): number | null {
  if (!ip) return null;
  const sorted = [...answers].sort((a, b) => a.t - b.t);
  for (const [i, a] of sorted.entries()) {
    const next = sorted[i + 1];
    if (next && next.t < since) continue;
    if (a.addresses.length === 1 && a.addresses[0] === ip) return Math.max(0, a.t - since);
  }
  return null;
}

/** ms after `since` during which the DNS name resolved to nothing (the pod out of the headless Service's endpoints). */
export function dnsGapAfter(answers: DnsAnswer[], since: number): number {
  const sorted = [...answers].sort((a, b) => a.t - b.t);
  let gap = 0;
  for (const [i, a] of sorted.entries()) {
    const end = sorted[i + 1]?.t;
    if (a.addresses.length || end === undefined || end <= since) continue;
    gap += end - Math.max(a.t, since);
  }
  return gap;
}

/**
 * ms the DNS name still resolved to `oldIp` after `gone` (the old pod deleted): 0 when it no longer
 * did then, null when it still did at the end of the record (or nothing to measure).
 */
export function staleAfter(answers: DnsAnswer[], gone: number | null, oldIp: string | null): number | null {
  if (gone === null || !oldIp) return null;
  const sorted = [...answers].sort((a, b) => a.t - b.t);
  const holding = sorted.filter((a) => a.t <= gone).at(-1);
  if (holding && !holding.addresses.includes(oldIp)) return 0;
  const next = sorted.find((a) => a.t > gone && !a.addresses.includes(oldIp));
  return next ? next.t - gone : null;
}

/** The first time at or after `since` the watch saw `type` for `pod` (ms since the start), or null. */
export function firstEvent(events: PodEvent[], pod: string, type: PodEvent['type'], since: number): number | null {
  const e = events.filter((x) => x.pod === pod && x.type === type && x.t >= since).sort((a, b) => a.t - b.t)[0];
  return e ? e.t : null;
}

/** The measured figures of one identity run, all ms; null when it was not seen. */
export interface IdentityFigures {
  /** From the delete until the new pod was Ready. */
  readyAgainMs: number | null;
  /** From the new pod's creation until it was scheduled: how long it stayed Pending. */
  pendingMs: number | null;
  /** From the delete until the DNS name resolved to the new IP alone (as the other pod saw it). */
  dnsMovedMs: number | null;
  /** From the new pod Ready until then. */
  dnsAfterReadyMs: number | null;
  /** How long, after the delete, the name resolved to nothing. */
  dnsGapMs: number;
  /** How long the name still resolved to the old IP after the old pod was gone (cached answers); null: to the end. */
  dnsStaleMs: number | null;
  failed: FailedRequests;
}

/** What the figures are computed from: the pod, when it was deleted and uncordoned, what the watch, the resolver and the probe saw. */
export interface IdentityEvents {
  pod: string;
  deletedAt: number;
  oldIp: string | null;
  newIp: string | null;
  podEvents: PodEvent[];
  dns: DnsAnswer[];
  samples: ProbeSample[];
}

export function identityFigures(run: IdentityEvents): IdentityFigures {
  const created = firstEvent(run.podEvents, run.pod, 'created', run.deletedAt);
  const scheduled = created === null ? null : firstEvent(run.podEvents, run.pod, 'scheduled', created);
  const ready = firstEvent(run.podEvents, run.pod, 'ready', run.deletedAt);
  const moved = dnsMovedAfter(run.dns, run.deletedAt, run.newIp);
  const readyAgainMs = ready === null ? null : ready - run.deletedAt;
  return {
    readyAgainMs,
    pendingMs: created === null || scheduled === null ? null : scheduled - created,
    dnsMovedMs: moved,
    dnsAfterReadyMs: moved === null || readyAgainMs === null ? null : moved - readyAgainMs,
    dnsGapMs: dnsGapAfter(run.dns, run.deletedAt),
    dnsStaleMs: staleAfter(run.dns, firstEvent(run.podEvents, run.pod, 'deleted', run.deletedAt), run.oldIp),
    failed: failedRequestsSince(run.samples, run.deletedAt),
  };
}

/** What stayed and what changed between before and after; `kept` must hold, `changed` may. */
export interface IdentityComparison {
  kept: { field: IdentityField; value: string }[];
  /** A field that must stay but did not. */
  broken: { field: IdentityField; before: string; after: string }[];
  /** IP, node, UID: changed, with both values. */
  changed: { field: IdentityField; before: string; after: string }[];
  /** IP, node, UID that stayed the same. */
  same: { field: IdentityField; value: string }[];
}

export type IdentityField = 'name' | 'hostname' | 'DNS name' | 'PVC' | 'PVC UID' | 'counter' | 'IP' | 'node' | 'UID';

const show = (v: string | number | null) => (v === null ? '—' : String(v));

export function compareIdentity(before: PodIdentityView, after: PodIdentityView): IdentityComparison {
  const out: IdentityComparison = { kept: [], broken: [], changed: [], same: [] };
  const mustKeep: [IdentityField, string | null, string | null][] = [
    ['name', before.pod, after.pod],
    ['hostname', before.hostname, after.hostname],
    ['DNS name', before.dnsName, after.dnsName],
    ['PVC', before.pvc, after.pvc],
    ['PVC UID', before.pvcUid, after.pvcUid],
  ];
  for (const [field, b, a] of mustKeep) {
    if (b !== null && b === a) out.kept.push({ field, value: b });
    else out.broken.push({ field, before: show(b), after: show(a) });
  }
  // The counter only grows: the probe's requests keep counting after the pod is back.
  if (before.counter !== null && after.counter !== null && after.counter >= before.counter)
    out.kept.push({ field: 'counter', value: `${before.counter} → ${after.counter}` });
  else out.broken.push({ field: 'counter', before: show(before.counter), after: show(after.counter) });
  const mayChange: [IdentityField, string | null, string | null][] = [
    ['IP', before.ip, after.ip],
    ['node', before.node, after.node],
    ['UID', before.uid, after.uid],
  ];
  for (const [field, b, a] of mayChange) {
    if (b === a) out.same.push({ field, value: show(b) });
    else out.changed.push({ field, before: show(b), after: show(a) });
  }
  return out;
}

export interface IdentityFacts {
  stop?: { message: string; interruptedIn?: string };
  before: PodIdentityView;
  after: PodIdentityView | null;
  volume: VolumePlacement;
  figures: IdentityFigures | null;
  dataChecks: DataCheck[];
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The verdict: the pod replaced (new UID), Ready again, the same name, hostname, DNS name, PVC and counter, its DNS name on its new IP, no data lost. */
export function decideIdentity(f: IdentityFacts): { verdict: LessonVerdict; reason: string } {
  if (f.stop) return { verdict: f.stop.interruptedIn ? 'interrupted' : 'failed', reason: f.stop.message };
  const { before, after, figures } = f;
  if (!after || !figures || figures.readyAgainMs === null) return { verdict: 'failed', reason: `${before.pod} was not seen Ready again` };
  if (after.uid === before.uid) return { verdict: 'failed', reason: `${before.pod} was not replaced (same pod UID ${show(before.uid)})` };
  const c = compareIdentity(before, after);
  if (c.broken.length)
    return { verdict: 'failed', reason: `${before.pod} did not keep its ${c.broken.map((b) => `${b.field} (${b.before} → ${b.after})`).join(', ')}` };
  if (figures.dnsMovedMs === null)
    return {
      verdict: 'failed',
      reason: `${before.dnsName} never resolved to the new IP ${show(after.ip)} alone (last answer from the other pod: ${after.resolved?.join(', ') || 'nothing'})`,
    };
  const moved = after.node !== before.node;
  if (f.volume.canMove && !moved)
    return { verdict: 'failed', reason: `${before.pod} came back on its cordoned node ${show(after.node)} although ${f.volume.why}` };
  const lost = f.dataChecks.filter((d) => !d.preserved);
  if (lost.length) return { verdict: 'failed', reason: `data lost: ${lost.map((d) => `${d.pod} ${d.reason}`).join('; ')}` };
  const changed = c.changed.map((x) => x.field).join(', ') || 'nothing else';
  const where = moved
    ? `moved ${before.node} → ${after.node}`
    : `stayed on ${show(after.node)} (${f.volume.why}${figures.pendingMs !== null ? `; Pending ${sec(figures.pendingMs)} while it was cordoned` : ''})`;
  return {
    verdict: 'passed',
    reason: `${before.pod} replaced: name, hostname, DNS name, PVC and counter kept; ${changed} changed; ${where}; its DNS name pointed at ${show(after.ip)} ${sec(figures.dnsMovedMs)} after the delete`,
  };
}

/** A FailedScheduling (or other) event of the replacement pod, as the API recorded it. */
export interface SchedulingNote {
  reason: string;
  message: string;
}

export interface IdentityRecord extends ProbedLessonRecord<'identity'> {
  pod: string;
  /** The pod the DNS name was resolved from. */
  resolver: string;
  options: { replicas: number; intervalMs: number; settleMs: number; pendingForMs: number };
  /** ms since the start: the delete was requested (-1: never), the node cordoned and uncordoned (null: not). */
  deletedAt: number;
  node: { name: string; cordonedAt: number | null; uncordonedAt: number | null };
  volume: VolumePlacement;
  /** Why the replacement could not be scheduled while the node was cordoned (the scheduler's events). */
  scheduling: SchedulingNote[];
  before: PodIdentityView;
  after: PodIdentityView | null;
  dns: DnsAnswer[];
  figures: IdentityFigures | null;
  comparison: IdentityComparison | null;
}

// The report's "Stable network identity" section from demo-identity's records: a table of what the
// replaced pod kept and what changed, the figures, and a picture of the pod over nodes and time.
// Pure: records in, Markdown and SVG out.

import type { IdentityRecord } from '../demos/identity-analysis.js';
import { firstEvent, identityFigures } from '../demos/identity-analysis.js';
import { escapeXml, formatDuration, inlineCode, markdownList, markdownTable, markdownText } from './format.js';
import { svgOpening, timeX, type LaneLayout } from './lane-svg.js';

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : formatDuration(ms));

/** The latest record of each kind of volume (one that can move, one that cannot), the latest first. */
export function identityRuns(records: IdentityRecord[]): IdentityRecord[] {
  const own = [...records].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return [true, false].flatMap((canMove) => own.filter((r) => r.volume.canMove === canMove).slice(0, 1)).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function identitySvgPath(dir: string, record: IdentityRecord): string {
  return `${dir}${record.id}.svg`;
}

/** One span of a lane: from, to (ms since the start), colour, label. */
interface Span {
  from: number;
  to: number;
  fill: string;
  label: string;
}

const COLOURS = { ready: '#2da44e', starting: '#d4a72c', leaving: '#bf8700', cordon: '#d0d7de', oldIp: '#8250df', newIp: '#2da44e', none: '#cf222e' };

/** The lanes of the picture: each node the pod was on, "not scheduled", and the DNS answer. */
export function identityLanes(r: IdentityRecord): { label: string; spans: Span[] }[] {
  const end = Math.max(r.durationMs, ...r.phases.map((p) => p.end));
  const pod = r.pod;
  const at = (type: Parameters<typeof firstEvent>[2], since: number) => firstEvent(r.podEvents, pod, type, since);
  const since = Math.max(0, r.deletedAt);
  const deleting = r.deletedAt >= 0 ? (at('deleting', since) ?? r.deletedAt) : end;
  const gone = r.deletedAt >= 0 ? (at('deleted', since) ?? end) : end;
  const created = r.deletedAt >= 0 ? at('created', since) : null;
  const scheduled = created === null ? null : at('scheduled', created);
  const ready = created === null ? null : at('ready', created);
  const oldNode = r.before.node ?? '?';
  const newNode = r.after?.node ?? null;
  const nodes = [oldNode, ...(newNode && newNode !== oldNode ? [newNode] : [])];
  const lanes = nodes.map((node) => ({ label: node, spans: [] as Span[] }));
  const lane = (node: string) => lanes.find((l) => l.label === node)!;
  if (r.node.cordonedAt !== null)
    lane(oldNode).spans.push({ from: r.node.cordonedAt, to: r.node.uncordonedAt ?? end, fill: COLOURS.cordon, label: `${oldNode} cordoned` });
  lane(oldNode).spans.push({ from: 0, to: deleting, fill: COLOURS.ready, label: `${pod} (UID ${r.before.uid ?? '?'}, ${r.before.ip ?? '?'}) Ready` });
  if (gone > deleting) lane(oldNode).spans.push({ from: deleting, to: gone, fill: COLOURS.leaving, label: `${pod} terminating` });
  const unscheduled = { label: 'not scheduled', spans: [] as Span[] };
  if (created !== null)
    unscheduled.spans.push({
      from: created,
      to: scheduled ?? end,
      fill: COLOURS.starting,
      label: `${pod} Pending: ${r.scheduling[0]?.message ?? 'not scheduled yet'}`,
    });
  if (scheduled !== null && newNode) {
    lane(newNode).spans.push({ from: scheduled, to: ready ?? end, fill: COLOURS.starting, label: `${pod} starting on ${newNode}` });
    if (ready !== null)
      lane(newNode).spans.push({ from: ready, to: end, fill: COLOURS.ready, label: `${pod} (UID ${r.after?.uid ?? '?'}, ${r.after?.ip ?? '?'}) Ready` });
  }
  const dns = { label: 'DNS answer', spans: [] as Span[] };
  r.dns.forEach((a, i) => {
    const to = r.dns[i + 1]?.t ?? end;
    const old = r.before.ip !== null && a.addresses.includes(r.before.ip);
    const fill = a.addresses.length === 0 ? COLOURS.none : old ? COLOURS.oldIp : COLOURS.newIp;
    dns.spans.push({ from: a.t, to, fill, label: `${r.before.dnsName} → ${a.addresses.join(', ') || 'nothing'}` });
  });
  return [...lanes, unscheduled, dns];
}

const IDENTITY_LAYOUT: LaneLayout = { width: 880, left: 170, plot: 680, laneHeight: 26, top: 44 };

/** The picture: a lane per node (the pod on it, the cordon), one for "not scheduled", one for the DNS answer seen from the other pod. */
export function renderIdentitySvg(r: IdentityRecord): string {
  const { width, left, plot, laneHeight, top } = IDENTITY_LAYOUT;
  const lanes = identityLanes(r);
  const end = Math.max(1000, r.durationMs, ...r.phases.map((p) => p.end));
  const x = timeX(IDENTITY_LAYOUT, end);
  const height = top + lanes.length * laneHeight + 40;
  const title = `${r.pod}: ${r.before.node ?? '?'} → ${r.after?.node ?? '?'}, DNS name on the new IP ${s(r.figures?.dnsMovedMs)} after the delete`;
  const out = svgOpening(width, height, title);
  const bottom = top + lanes.length * laneHeight;
  const marks: [number | null, string][] = [
    [r.deletedAt >= 0 ? r.deletedAt : null, 'delete'],
    [r.node.uncordonedAt, 'uncordon'],
  ];
  for (const [t, label] of marks) {
    if (t === null) continue;
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${bottom}" stroke="#8c959f" stroke-dasharray="2 2"/>`);
    out.push(`<text x="${(x(t) + 3).toFixed(1)}" y="${top - 8}" fill="#57606a">${label}</text>`);
  }
  lanes.forEach((lane, i) => {
    const y = top + i * laneHeight;
    out.push(`<text x="${left - 8}" y="${y + laneHeight / 2 + 4}" text-anchor="end" fill="#1f2328">${escapeXml(lane.label)}</text>`);
    out.push(`<line x1="${left}" y1="${y + laneHeight / 2}" x2="${left + plot}" y2="${y + laneHeight / 2}" stroke="#eaeef2"/>`);
    for (const span of lane.spans) {
      const w = Math.max(0.5, x(span.to) - x(span.from));
      out.push(
        `<rect x="${x(span.from).toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="16" fill="${span.fill}"><title>${escapeXml(`${span.label}: ${s(span.from)} – ${s(span.to)}`)}</title></rect>`,
      );
    }
  });
  const step = end > 60_000 ? 10_000 : 5_000;
  for (let t = 0; t <= end; t += step) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#57606a">${t / 1000} s</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function identityTable(r: IdentityRecord): string {
  const { before, after } = r;
  const resolved = (v: string[] | null | undefined) => (v ? v.join(', ') || 'nothing' : '—');
  const rows: [string, string | null | undefined, string | null | undefined, 'keep' | 'may change'][] = [
    ['Pod name', before.pod, after?.pod, 'keep'],
    ['Hostname inside the pod', before.hostname, after?.hostname, 'keep'],
    ['DNS name', before.dnsName, after?.dnsName, 'keep'],
    [`Resolves to (from ${r.resolver})`, resolved(before.resolved), resolved(after?.resolved), 'may change'],
    ['Pod IP', before.ip, after?.ip, 'may change'],
    ['Node', before.node, after?.node, 'may change'],
    ['Pod UID', before.uid, after?.uid, 'may change'],
    ['PVC', before.pvc, after?.pvc, 'keep'],
    ['PVC UID', before.pvcUid, after?.pvcUid, 'keep'],
    ['Counter', before.counter?.toString(), after?.counter?.toString(), 'keep'],
  ];
  return markdownTable(
    ['', 'Before', 'After', 'Promise', 'Seen'],
    rows.map(([label, b, a, promise]) => {
      const seen = !after ? '—' : label === 'Counter' ? (Number(a) >= Number(b) ? 'kept (not lower)' : 'LOWER') : a === b ? 'same' : 'changed';
      return [label, b ? inlineCode(b) : '—', a ? inlineCode(a) : '—', promise, seen];
    }),
  );
}

/** The figures, recomputed from what the record kept (a record of an older k8s-lab gets the same rules). */
function figuresOf(r: IdentityRecord): IdentityRecord['figures'] {
  if (r.deletedAt < 0) return null;
  return identityFigures({
    pod: r.pod,
    deletedAt: r.deletedAt,
    oldIp: r.before.ip,
    newIp: r.after?.ip ?? null,
    podEvents: r.podEvents,
    dns: r.dns,
    samples: r.samples,
  });
}

function identityFiguresList(r: IdentityRecord): string {
  const f = figuresOf(r);
  const items = [
    `Volume: ${markdownText(r.volume.why)}; ${r.volume.canMove ? `the pod could go to ${r.volume.elsewhere.map(inlineCode).join(', ')}` : 'the pod cannot leave its node'}.`,
    ...(r.scheduling[0] ? [`While ${inlineCode(r.node.name)} was cordoned the scheduler said: ${markdownText(r.scheduling[0].message)}`] : []),
    `Pending (created → scheduled): ${s(f?.pendingMs)}; Ready again ${s(f?.readyAgainMs)} after the delete.`,
    `DNS name on the new IP (seen from ${inlineCode(r.resolver)}): ${s(f?.dnsMovedMs)} after the delete, ${s(f?.dnsAfterReadyMs)} after the new pod was Ready; it resolved to nothing for ${s(f?.dnsGapMs)} and to the deleted pod's IP for ${f?.dnsStaleMs === null ? 'the rest of the run' : s(f?.dnsStaleMs)} after that pod was gone.`,
    `Requests through the Service: ${r.probe.requests}, ${r.probe.failures} failed${f?.failed.count ? ` (${f.failed.count} after the delete, over ${s(f.failed.spanMs)})` : ''}.`,
    `Verdict: **${r.verdict}**: ${markdownText(r.reason)}`,
  ];
  return markdownList(items);
}

/** The section's body: each run's table, figures and picture, or how to measure it. */
export function identitySection(records: IdentityRecord[], pictures: Map<string, string>): string {
  if (!records.length)
    return `A pod's stable network identity is measured by ${inlineCode('npx k8s-lab demo-identity')} on a cluster with two or more schedulable nodes; no run is recorded yet.`;
  const parts = [
    `${inlineCode('k8s-lab demo-identity')} deleted one pod under traffic with its node cordoned, and read it before and after: its hostname from inside it, its DNS name resolved from another pod of the release, its IP, node, UID, PVC and counter.`,
  ];
  for (const r of records) {
    parts.push(
      '',
      `### ${inlineCode(r.pod)}: ${r.volume.canMove ? 'a volume that can move' : 'a node-local volume'}`,
      '',
      identityTable(r),
      '',
      identityFiguresList(r),
    );
    const picture = pictures.get(r.id);
    if (picture) parts.push('', `![${markdownText(`${r.pod} over nodes and time`)}](${picture})`);
  }
  return parts.join('\n');
}

// The report's "Nodes: drain and loss" section: the drain part (demo-drain) with its table and a
// picture of pods × nodes × time. Pure: records in, Markdown and SVG out. The node-loss part is
// rendered beside it by its own function (see nodesSection's `parts`).

import type { DrainRecord, Placement } from '../demos/drain-analysis.js';
import { escapeXml, formatDuration, formatOffset, inlineCode, markdownTable, markdownText } from './format.js';
import { svgOpening, tickSeconds, timeX, type LaneLayout } from './lane-svg.js';

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : formatDuration(ms));

/** The latest drain record (records of one cluster, release and namespace). */
export function latestDrain(records: { lesson: string; startedAt: string }[]): DrainRecord | undefined {
  return records
    .filter((r): r is DrainRecord => r.lesson === 'drain')
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .at(0);
}

export function drainSvgPath(dir: string, record: DrainRecord): string {
  return `${dir}${record.id.replace(/[^A-Za-z0-9._-]/g, '-')}.svg`;
}

const STATE_FILL: Record<Exclude<Placement['state'], 'gone'>, string> = {
  ready: '#2da44e',
  starting: '#d4a72c',
  pending: '#bf8700',
  terminating: '#8c959f',
};
const STATE_LABEL: Record<Exclude<Placement['state'], 'gone'>, string> = {
  ready: 'Ready',
  starting: 'on the node, not Ready',
  pending: 'Pending (no node)',
  terminating: 'terminating',
};
const NO_NODE = 'no node (Pending)';

interface Segment {
  pod: string;
  node: string;
  state: Exclude<Placement['state'], 'gone'>;
  from: number;
  to: number;
}

/** Each pod's placements as segments: from one change to the next (the last one to `end`). */
export function placementSegments(placements: Placement[], end: number): Segment[] {
  const segments: Segment[] = [];
  const pods = [...new Set(placements.map((p) => p.pod))];
  for (const pod of pods) {
    const own = placements.filter((p) => p.pod === pod).sort((a, b) => a.t - b.t);
    own.forEach((p, i) => {
      if (p.state === 'gone') return;
      const to = own[i + 1]?.t ?? end;
      if (to > p.t) segments.push({ pod, node: p.node ?? NO_NODE, state: p.state, from: p.t, to });
    });
  }
  return segments;
}

/** Rows of the picture: one per node and pod that was ever on it, nodes in the record's order, then the Pending row. */
function rows(record: DrainRecord, segments: Segment[]): { node: string; pod: string }[] {
  const nodes = [...record.nodes, ...new Set(segments.map((x) => x.node).filter((n) => !record.nodes.includes(n) && n !== NO_NODE)), NO_NODE];
  return nodes.flatMap((node) =>
    [...new Set(segments.filter((x) => x.node === node).map((x) => x.pod))]
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
      .map((pod) => ({ node, pod })),
  );
}

const DRAIN_LAYOUT: LaneLayout = { width: 880, left: 250, plot: 610, laneHeight: 20, top: 48 };

/** The drain as a picture: a row per node and pod, coloured by the pod's state, the cordon shaded, evictions and refusals marked, the probe's failures below. */
export function renderDrainSvg(record: DrainRecord): string {
  const { width, left, plot, laneHeight: rowHeight, top } = DRAIN_LAYOUT;
  const end = Math.max(1000, record.durationMs);
  const segments = placementSegments(record.placements, end);
  const lanes = rows(record, segments);
  const x = timeX(DRAIN_LAYOUT, end);
  const bottom = top + lanes.length * rowHeight;
  const height = bottom + 80;
  const title = `Drain of ${record.node} (node of ${record.pod}), ${record.release}: ${record.verdict}`;
  const out = svgOpening(width, height, title);
  const drainedRows = lanes.map((l, i) => ({ ...l, i })).filter((l) => l.node === record.node);
  if (record.cordonedAt !== null && drainedRows.length) {
    const y = top + drainedRows[0]!.i * rowHeight;
    const to = record.uncordonedAt ?? end;
    out.push(
      `<rect x="${x(record.cordonedAt).toFixed(1)}" y="${y}" width="${(x(to) - x(record.cordonedAt)).toFixed(1)}" height="${drainedRows.length * rowHeight}" fill="#fff1e5"><title>${escapeXml(`${record.node} cordoned ${formatOffset(record.cordonedAt)} – ${record.uncordonedAt === null ? 'end' : formatOffset(record.uncordonedAt)}`)}</title></rect>`,
    );
  }
  for (const [t, label] of [
    [record.cordonedAt, 'cordon'],
    [record.uncordonedAt, 'uncordon'],
  ] as const) {
    if (t === null) continue;
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 10}" x2="${x(t).toFixed(1)}" y2="${bottom + 18}" stroke="#8c959f" stroke-dasharray="2 2"/>`);
    out.push(`<text x="${(x(t) + 3).toFixed(1)}" y="${top - 12}" fill="#57606a">${label}</text>`);
  }
  lanes.forEach((lane, i) => {
    const y = top + i * rowHeight;
    const label = `${lane.node === record.node ? `${lane.node} (drained)` : lane.node} · ${lane.pod}`;
    out.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end" fill="#1f2328">${escapeXml(label)}</text>`);
    out.push(`<line x1="${left}" y1="${y + 10}" x2="${left + plot}" y2="${y + 10}" stroke="#d0d7de"/>`);
    for (const seg of segments.filter((x2) => x2.node === lane.node && x2.pod === lane.pod)) {
      const tip = `${seg.pod} on ${seg.node}: ${STATE_LABEL[seg.state]} ${formatOffset(seg.from)} – ${formatOffset(seg.to)}`;
      out.push(
        `<rect x="${x(seg.from).toFixed(1)}" y="${y + 4}" width="${Math.max(0.5, x(seg.to) - x(seg.from)).toFixed(1)}" height="12" fill="${STATE_FILL[seg.state]}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
    const fromRow = lane.node === record.node;
    for (const e of fromRow ? record.evictions.filter((ev) => ev.pod === lane.pod) : []) {
      const fill = e.outcome === 'refused' ? '#cf222e' : '#0969da';
      out.push(
        `<path d="M${x(e.t).toFixed(1)} ${y + 1} l-3 -5 h6 z" fill="${fill}"><title>${escapeXml(`eviction of ${e.pod} at ${formatOffset(e.t)}: ${e.outcome}${e.message ? ` (${e.message})` : ''}`)}</title></path>`,
      );
    }
  });
  const failed = record.samples.filter((x2) => !x2.ok);
  out.push(`<text x="${left - 8}" y="${bottom + 14}" text-anchor="end" fill="#1f2328">failed requests (${failed.length})</text>`);
  for (const f of failed) out.push(`<line x1="${x(f.t).toFixed(1)}" y1="${bottom + 4}" x2="${x(f.t).toFixed(1)}" y2="${bottom + 16}" stroke="#cf222e"/>`);
  const step = tickSeconds(end);
  out.push(`<line x1="${left}" y1="${bottom + 22}" x2="${left + plot}" y2="${bottom + 22}" stroke="#8c959f"/>`);
  for (let i = 0; i * step * 1000 <= end; i++)
    out.push(`<text x="${x(i * step * 1000).toFixed(1)}" y="${bottom + 35}" text-anchor="middle" fill="#57606a">${i * step}</text>`);
  out.push(`<text x="${left + plot}" y="${bottom + 48}" text-anchor="end" fill="#57606a">seconds since the lesson started</text>`);
  let lx = 10;
  for (const [label, fill] of [
    ...Object.entries(STATE_LABEL).map(([k, v]) => [v, STATE_FILL[k as keyof typeof STATE_FILL]] as const),
    ['eviction accepted', '#0969da'],
    ['eviction refused (429)', '#cf222e'],
  ]) {
    out.push(
      `<rect x="${lx}" y="${bottom + 58}" width="12" height="10" fill="${fill}"/><text x="${lx + 17}" y="${bottom + 67}" fill="#1f2328">${label}</text>`,
    );
    lx += 17 + label.length * 6.2 + 14;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The drain table: one row per pod that was on the drained node. */
export function drainTable(record: DrainRecord): string {
  return markdownTable(
    ['Pod', 'From', 'Evictions refused', 'Refused for', 'Evicted at', 'Went to', 'Pending', 'Ready again after'],
    record.moves.map((m) => [
      inlineCode(m.pod),
      inlineCode(m.fromNode),
      String(m.refusals),
      s(m.refusedMs),
      m.evictedAt === null ? 'never (refused to the end)' : formatOffset(m.evictedAt),
      m.evictedAt === null ? 'stayed' : m.toNode ? inlineCode(m.toNode) : '—',
      m.pendingMs ? `${s(m.pendingMs)}${m.pendingUntilUncordon ? ', until the uncordon' : ''}` : '—',
      s(m.readyAfterMs),
    ]),
    'llrrrllr',
  );
}

/** The drain part of the section: what ran, the table, the picture, what it shows. */
export function drainPart(record: DrainRecord | undefined, svgPath: string | undefined): string {
  const heading = '### Draining a node';
  if (!record || !svgPath)
    return `${heading}\n\nWhat a node drain does to the release under traffic is measured by ${inlineCode('npx k8s-lab demo-drain')}; no run is recorded yet.`;
  const f = record.failedRequests;
  const budget = record.budget
    ? `The chart's PodDisruptionBudget ${inlineCode(record.budget.name)} (maxUnavailable ${record.budget.maxUnavailable ?? '—'}) allowed ${record.budget.disruptionsAllowed ?? '?'} disruption before the drain.`
    : 'The release had no PodDisruptionBudget: nothing limited the evictions.';
  const pending = record.moves.find((m) => m.pendingWhy);
  return [
    heading,
    '',
    `${inlineCode('k8s-lab demo-drain')} cordoned ${inlineCode(record.node)}, the node of ${inlineCode(record.pod)}, and evicted the release's pods there through the Eviction API, trying each refused eviction again every second, as ${inlineCode(`kubectl drain --pod-selector`)} does for the release's pods (a full ${inlineCode('kubectl drain')} also evicts every other pod on the node and skips DaemonSet pods). ${budget} A probe sent a request through the Service every ${record.options.intervalMs} ms: ${record.probe.requests} requests, ${f.count} failed from the cordon on.`,
    '',
    drainTable(record),
    '',
    ...(pending ? [`The scheduler said of ${inlineCode(pending.pod)}'s replacement: ${markdownText(pending.pendingWhy ?? '')}`, ''] : []),
    `![Pods × nodes × time during the drain](${svgPath})`,
    '',
    `Verdict: ${record.verdict}. ${markdownText(record.reason)}`,
  ].join('\n');
}

/**
 * The whole "Nodes: drain and loss" section: its heading, the drain part and any further parts
 * (the node-loss part), and the pictures to write.
 */
export function nodesSection(
  drain: DrainRecord | undefined,
  timelineDir: string,
  parts: string[] = [],
): { markdown: string; files: { path: string; content: string }[] } {
  const svgPath = drain && drainSvgPath(timelineDir, drain);
  const files = drain && svgPath ? [{ path: svgPath, content: renderDrainSvg(drain) }] : [];
  const markdown = ['## Nodes: drain and loss', '', drainPart(drain, svgPath), ...parts.flatMap((p) => ['', p])].join('\n');
  return { markdown, files };
}

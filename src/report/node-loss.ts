// The report's "Losing a node" part: demo-node-loss's records as a table and, per recovery, a
// picture of pods × nodes × time. Pure: records in, Markdown and SVG out.

import type { NodeLossRecord } from '../demos/node-loss-record.js';
import type { PodObservation } from '../demos/node-loss-analysis.js';
import { compareByOrdinal, escapeXml, formatDuration, inlineCode, markdownTable, markdownText } from './format.js';

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : formatDuration(ms));

/** The latest record of each recovery, `start` first. */
export function latestNodeLosses(records: NodeLossRecord[]): NodeLossRecord[] {
  const own = [...records].filter((r) => r.lesson === 'node-loss').sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return (['start', 'out-of-service'] as const).flatMap((recover) => own.filter((r) => r.recover === recover).slice(0, 1));
}

/** File name of a record's picture. */
export function nodeLossSvgPath(dir: string, record: NodeLossRecord): string {
  return `${dir}${record.id}.svg`;
}

/** What the API showed of the old pod while its node was down. */
function podStateRead(r: NodeLossRecord): string {
  const f = r.figures;
  if (!f) return '—';
  const parts = [f.podNotReadyMs === null ? 'stayed Ready' : `Ready=${f.podNotReadyStatus} after ${s(f.podNotReadyMs)}`];
  if (f.podTerminatingMs !== null) parts.push(`Terminating after ${s(f.podTerminatingMs)}`);
  return parts.join(', ');
}

function replacementCell(r: NodeLossRecord): string {
  const rep = r.figures?.replacement;
  if (!rep) return 'none';
  const where = rep.node ? `on ${inlineCode(rep.node)}` : 'never scheduled';
  return `${rep.early ? '**too early**: ' : ''}created ${s(rep.createdMs)}, ${where}, Ready ${s(rep.readyMs)}`;
}

/** The "### Losing a node" part; empty when no record. Its pictures are returned to be written next to the report. */
export function nodeLossPart(records: NodeLossRecord[], dir: string): { markdown: string; files: { path: string; content: string }[] } {
  const shown = latestNodeLosses(records);
  if (!shown.length)
    return {
      markdown: '### Losing a node\n\nNot measured yet: run `k8s-lab demo-node-loss` (on a cluster with two or more schedulable nodes).',
      files: [],
    };
  const files = shown.map((r) => ({ path: nodeLossSvgPath(dir, r), content: renderNodeLossSvg(r) }));
  const table = markdownTable(
    [
      'Recovery',
      'Pod on node',
      'Node NotReady after',
      'The pod as the API showed it',
      'Replacement (times after the stop)',
      'Failed requests',
      'Back Ready after',
      'Pod UID',
      'Verdict',
    ],
    shown.map((r) => {
      const f = r.figures;
      const failed = r.failedRequests;
      const uid = r.identity.after?.uid === r.identity.before.uid ? 'same' : r.identity.after ? 'new' : '—';
      return [
        inlineCode(`--recover ${r.recover}`),
        `${inlineCode(r.pod)} on ${inlineCode(r.node)}`,
        s(f?.notReadyMs),
        podStateRead(r),
        replacementCell(r),
        failed.count ? `${failed.count} over ${s(failed.spanMs)}` : '0',
        s(f?.podReadyAgainMs),
        uid,
        r.verdict,
      ];
    }),
  );
  const details = shown.flatMap((r, i) => [
    `**${inlineCode(`--recover ${r.recover}`)}** (${inlineCode(r.id)}): ${markdownText(r.reason)}. ${markdownText(r.dataMeaning)}`,
    '',
    `![pods × nodes × time, --recover ${r.recover}](${files[i]!.path})`,
    '',
  ]);
  const intro =
    'A StatefulSet keeps at most one pod per identity: when a node stops answering, its pods are marked not Ready once the node is NotReady (the controller manager waits out its `--node-monitor-grace-period`), but no replacement is created while the old pod may still run. `k8s-lab demo-node-loss` stops the node of one pod under the probe and recovers either by starting the node again (the same pod comes back) or with the `node.kubernetes.io/out-of-service` taint of non-graceful node shutdown (the old pod is removed and a replacement created).';
  return { markdown: ['### Losing a node', '', intro, '', table, '', ...details].join('\n').trimEnd(), files };
}

const COLORS = { ready: '#2da44e', notReady: '#d4a72c', unknown: '#8250df', terminating: '#8c959f', pending: '#cf222e' } as const;

function stateColor(o: PodObservation): string {
  if (o.deleting) return COLORS.terminating;
  if (!o.node) return COLORS.pending;
  if (o.ready === 'True') return COLORS.ready;
  return o.ready === 'Unknown' ? COLORS.unknown : COLORS.notReady;
}

interface Bar {
  row: string;
  from: number;
  to: number;
  fill: string;
  tip: string;
}

/** Each pod's reads as bars on the row of its node (or "no node"), from one read to the pod's next. */
function podBars(r: NodeLossRecord, end: number): Bar[] {
  const bars: Bar[] = [];
  const names = [...new Set(r.pods.map((o) => o.pod))];
  for (const name of names) {
    const own = r.pods.filter((o) => o.pod === name).sort((a, b) => a.t - b.t);
    own.forEach((o, i) => {
      if (!o.uid) return;
      const to = own[i + 1]?.t ?? end;
      const state = o.deleting ? 'Terminating' : !o.node ? 'Pending, no node' : `Ready=${o.ready ?? '?'}`;
      bars.push({ row: `${o.node ?? 'no node'}|${name}`, from: o.t, to, fill: stateColor(o), tip: `${name} (UID ${o.uid.slice(0, 8)}…) ${state}` });
    });
  }
  return bars;
}

/** The picture: a row per node and pod, coloured by what the API said of the pod; the node's down time shaded. */
export function renderNodeLossSvg(r: NodeLossRecord): string {
  const end = Math.max(1000, r.durationMs);
  const bars = podBars(r, end);
  const rows = [...new Set(bars.map((b) => b.row))].sort((a, b) => {
    const [na = '', pa = ''] = a.split('|');
    const [nb = '', pb = ''] = b.split('|');
    return na === nb ? compareByOrdinal(pa, pb) : na === 'no node' ? 1 : nb === 'no node' ? -1 : na.localeCompare(nb);
  });
  const width = 900;
  const left = 260;
  const plot = 610;
  const laneHeight = 24;
  const top = 46;
  const bottom = top + rows.length * laneHeight;
  const height = bottom + 64;
  const x = (t: number) => left + (Math.max(0, Math.min(t, end)) / end) * plot;
  const out: string[] = [];
  const title = `${r.node} stopped, --recover ${r.recover}: NotReady after ${s(r.figures?.notReadyMs)}, ${r.failedRequests.count} requests failed`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold" fill="#1f2328">${escapeXml(title)}</text>`,
  );
  const down = nodeDownSpans(r, end);
  rows.forEach((row, i) => {
    const [nodeName = '', pod = ''] = row.split('|');
    const y = top + i * laneHeight;
    if (nodeName === r.node)
      for (const [from, to] of down)
        out.push(`<rect x="${x(from).toFixed(1)}" y="${y}" width="${(x(to) - x(from)).toFixed(1)}" height="${laneHeight}" fill="#ffebe9"/>`);
    out.push(`<text x="${left - 8}" y="${y + laneHeight / 2 + 4}" text-anchor="end" fill="#1f2328">${escapeXml(`${nodeName} · ${pod}`)}</text>`);
    out.push(`<line x1="${left}" y1="${y + laneHeight / 2}" x2="${left + plot}" y2="${y + laneHeight / 2}" stroke="#d0d7de"/>`);
  });
  for (const b of bars) {
    const y = top + rows.indexOf(b.row) * laneHeight;
    out.push(
      `<rect x="${x(b.from).toFixed(1)}" y="${y + 5}" width="${Math.max(0.5, x(b.to) - x(b.from)).toFixed(1)}" height="14" fill="${b.fill}"><title>${escapeXml(b.tip)}</title></rect>`,
    );
  }
  const m = r.moments;
  const marks: [number | undefined, string][] = [
    [m.stop?.requestedAt, 'stop'],
    [m.taint?.requestedAt, 'taint'],
    [m.start?.requestedAt, 'start'],
    [m.untaint?.requestedAt, 'untaint'],
  ];
  for (const [t, label] of marks) {
    if (t === undefined) continue;
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${bottom}" stroke="#57606a" stroke-dasharray="2 2"/>`);
    out.push(`<text x="${(x(t) + 3).toFixed(1)}" y="${top - 8}" fill="#57606a">${label}</text>`);
  }
  out.push(`<text x="${left}" y="${bottom + 16}" fill="#57606a">0 s</text>`);
  out.push(`<text x="${left + plot}" y="${bottom + 16}" text-anchor="end" fill="#57606a">${escapeXml(s(end))}</text>`);
  let lx = 10;
  for (const [label, fill] of [
    ['Ready', COLORS.ready],
    ['not Ready', COLORS.notReady],
    ['Ready=Unknown', COLORS.unknown],
    ['Terminating', COLORS.terminating],
    ['Pending (no node)', COLORS.pending],
    [`${r.node} NotReady`, '#ffebe9'],
  ] as const) {
    out.push(
      `<rect x="${lx}" y="${bottom + 36}" width="12" height="10" fill="${fill}"/><text x="${lx + 17}" y="${bottom + 45}" fill="#1f2328">${escapeXml(label)}</text>`,
    );
    lx += 17 + label.length * 6.2 + 18;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The spans the stopped node was read not Ready. */
function nodeDownSpans(r: NodeLossRecord, end: number): [number, number][] {
  const own = r.nodes.filter((o) => o.node === r.node).sort((a, b) => a.t - b.t);
  const spans: [number, number][] = [];
  let from: number | null = null;
  for (const o of own) {
    if (o.ready !== 'True' && from === null) from = o.t;
    if (o.ready === 'True' && from !== null) {
      spans.push([from, o.t]);
      from = null;
    }
  }
  if (from !== null) spans.push([from, end]);
  return spans;
}

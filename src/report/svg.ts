import type { RunRecord } from '../demos/record.js';
import { escapeXml, formatDuration, formatOffset } from './format.js';
import { judged } from './strategy-sections.js';
import { podLanes, timelineEnd, type PodState } from './timeline.js';

// Layout, in SVG user units (pixels at 100%).
const WIDTH = 880;
const PLOT_LEFT = 150;
const PLOT_WIDTH = 700;
const TITLE_Y = 20;
const PHASE_LABEL_Y = 44;
const LANES_TOP = 54;
const LANE_HEIGHT = 24;
const BAR_HEIGHT = 14;
/** Probe samples are drawn one tick per column this wide at most, however many there are. */
const TICK_COLUMN = 2;

const COLOURS = {
  ready: '#2da44e',
  notReady: '#d4a72c',
  absentLine: '#d0d7de',
  ok: '#2da44e',
  failed: '#cf222e',
  outageFill: '#cf222e',
  phaseFills: ['#eef2f7', '#f8fafc'],
  text: '#1f2328',
  muted: '#57606a',
  axis: '#8c959f',
} as const;

const STATE_LABEL: Record<PodState, string> = { ready: 'Ready', 'not-ready': 'not Ready', absent: 'absent' };

/** A coordinate with at most one decimal, written without trailing zeros. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}="${typeof value === 'number' ? n(value) : escapeXml(value)}"`)
    .join(' ');
}

/** Shortens a label to about `width` pixels of 11px sans-serif text. */
function fit(text: string, width: number): string {
  const chars = Math.floor(width / 6.2);
  if (text.length <= chars) return text;
  return chars < 3 ? '' : `${text.slice(0, chars - 1)}…`;
}

/** An axis step (seconds) giving at most ten ticks. */
function axisStep(seconds: number): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((step) => seconds / step <= 10) ?? Math.ceil(seconds / 10 / 3600) * 3600;
}

/** Where things go on the plot, for one record. */
interface Layout {
  end: number;
  x: (t: number) => number;
  probeLaneTop: number;
  lanesBottom: number;
  axisY: number;
  legendY: number;
  height: number;
}

const laneBar = (top: number) => top + (LANE_HEIGHT - BAR_HEIGHT) / 2;

function layoutOf(record: RunRecord, laneCount: number): Layout {
  const end = timelineEnd(record);
  const probeLaneTop = LANES_TOP + laneCount * LANE_HEIGHT;
  const lanesBottom = probeLaneTop + LANE_HEIGHT;
  const axisY = lanesBottom + 4;
  const legendY = axisY + 40;
  return { end, x: (t) => PLOT_LEFT + (Math.min(Math.max(t, 0), end) / end) * PLOT_WIDTH, probeLaneTop, lanesBottom, axisY, legendY, height: legendY + 16 };
}

/** Phase bands behind everything, labelled above the lanes. */
function phaseBands(record: RunRecord, { x, lanesBottom }: Layout): string[] {
  return [
    '<g>',
    ...record.phases.flatMap((phase, i) => {
      const left = x(phase.start);
      const width = Math.max(x(phase.end) - left, 0.5);
      const tip = `${phase.name}: ${formatOffset(phase.start)} – ${formatOffset(phase.end)} (${formatDuration(phase.end - phase.start)})${phase.detail ? `, ${phase.detail}` : ''}`;
      const label = fit(phase.name, width - 6);
      return [
        `<g><title>${escapeXml(tip)}</title>`,
        `<rect ${attrs({ x: left, y: PHASE_LABEL_Y - 14, width, height: lanesBottom - PHASE_LABEL_Y + 14, fill: COLOURS.phaseFills[i % 2] ?? '#ffffff' })}/>`,
        `<line ${attrs({ x1: left, y1: PHASE_LABEL_Y - 14, x2: left, y2: lanesBottom, stroke: COLOURS.axis, 'stroke-dasharray': '2 2' })}/>`,
        ...(label ? [`<text ${attrs({ x: left + 3, y: PHASE_LABEL_Y, fill: COLOURS.muted })}>${escapeXml(label)}</text>`] : []),
        '</g>',
      ];
    }),
    '</g>',
  ];
}

/** Outage windows across every lane. */
function outageWindows(record: RunRecord, { x, lanesBottom }: Layout): string[] {
  return [
    '<g>',
    ...record.probe.outages.map((outage, i) => {
      const left = x(outage.start);
      const tip = `outage ${i + 1}: ${formatOffset(outage.start)} – ${formatOffset(outage.end)}, ${formatDuration(outage.durationMs)}, ${outage.failures} failed`;
      return `<g><title>${escapeXml(tip)}</title><rect ${attrs({ x: left, y: LANES_TOP, width: Math.max(x(outage.end) - left, 1), height: lanesBottom - LANES_TOP, fill: COLOURS.outageFill, 'fill-opacity': 0.12, stroke: COLOURS.outageFill, 'stroke-opacity': 0.5 })}/></g>`;
    }),
    '</g>',
  ];
}

/** One lane per pod: a bar per Ready or not-Ready stretch, labelled with its version where it fits. */
function podLaneMarks(lanes: ReturnType<typeof podLanes>, { x }: Layout): string[] {
  return lanes.flatMap((lane, i) => {
    const top = LANES_TOP + i * LANE_HEIGHT;
    const mid = top + LANE_HEIGHT / 2;
    const out = [
      '<g>',
      `<text ${attrs({ x: PLOT_LEFT - 8, y: mid + 4, 'text-anchor': 'end', fill: COLOURS.text })}>${escapeXml(lane.pod)}</text>`,
      `<line ${attrs({ x1: PLOT_LEFT, y1: mid, x2: PLOT_LEFT + PLOT_WIDTH, y2: mid, stroke: COLOURS.absentLine })}/>`,
    ];
    for (const segment of lane.segments) {
      if (segment.state === 'absent') continue;
      const left = x(segment.start);
      const width = Math.max(x(segment.end) - left, 0.5);
      const tip = `${lane.pod}${segment.version ? ` (${segment.version})` : ''}: ${STATE_LABEL[segment.state]} ${formatOffset(segment.start)} – ${formatOffset(segment.end)}`;
      out.push(
        `<rect ${attrs({ x: left, y: laneBar(top), width, height: BAR_HEIGHT, fill: segment.state === 'ready' ? COLOURS.ready : COLOURS.notReady })}><title>${escapeXml(tip)}</title></rect>`,
      );
      const label = segment.version ? fit(segment.version, width - 8) : '';
      if (label)
        out.push(
          `<text ${attrs({ x: left + 4, y: mid + 3.5, 'font-size': 10, fill: segment.state === 'ready' ? '#ffffff' : COLOURS.text })}>${escapeXml(label)}</text>`,
        );
    }
    out.push('</g>');
    return out;
  });
}

/** Probe requests: one tick per column, red if any request in the column failed. */
function probeLane(record: RunRecord, { x, probeLaneTop }: Layout): string[] {
  const columns = new Map<number, boolean>();
  for (const sample of record.samples) {
    const column = Math.min(Math.floor((x(sample.t) - PLOT_LEFT) / TICK_COLUMN), PLOT_WIDTH / TICK_COLUMN - 1);
    columns.set(column, (columns.get(column) ?? false) || !sample.ok);
  }
  const ticks = (failed: boolean) =>
    [...columns]
      .filter(([, f]) => f === failed)
      .sort(([a], [b]) => a - b)
      .map(([column]) => `M${n(PLOT_LEFT + column * TICK_COLUMN + TICK_COLUMN / 2)} ${n(laneBar(probeLaneTop))}v${BAR_HEIGHT}`)
      .join('');
  const probeTip = `probe: ${record.probe.requests} requests every ${formatDuration(record.probe.intervalMs)}, ${record.probe.failures} failed`;
  const ok = ticks(false);
  const failed = ticks(true);
  return [
    '<g>',
    `<title>${escapeXml(probeTip)}</title>`,
    `<text ${attrs({ x: PLOT_LEFT - 8, y: probeLaneTop + LANE_HEIGHT / 2 + 4, 'text-anchor': 'end', fill: COLOURS.text })}>probe requests</text>`,
    ...(ok ? [`<path ${attrs({ d: ok, stroke: COLOURS.ok, 'stroke-width': 1 })}/>`] : []),
    ...(failed ? [`<path ${attrs({ d: failed, stroke: COLOURS.failed, 'stroke-width': 1.5 })}/>`] : []),
    '</g>',
  ];
}

/** Time axis in seconds. */
function timeAxis({ x, end, axisY }: Layout): string[] {
  const step = axisStep(end / 1000);
  const out = ['<g>', `<line ${attrs({ x1: PLOT_LEFT, y1: axisY, x2: PLOT_LEFT + PLOT_WIDTH, y2: axisY, stroke: COLOURS.axis })}/>`];
  for (let i = 0; i * step * 1000 <= end + 1e-6; i++) {
    const seconds = i * step;
    const tx = x(seconds * 1000);
    out.push(`<line ${attrs({ x1: tx, y1: axisY, x2: tx, y2: axisY + 4, stroke: COLOURS.axis })}/>`);
    out.push(
      `<text ${attrs({ x: tx, y: axisY + 16, 'text-anchor': 'middle', fill: COLOURS.muted })}>${step < 1 ? seconds.toFixed(1) : String(seconds)}</text>`,
    );
  }
  out.push(`<text ${attrs({ x: PLOT_LEFT + PLOT_WIDTH, y: axisY + 30, 'text-anchor': 'end', fill: COLOURS.muted })}>seconds since the start</text>`);
  out.push('</g>');
  return out;
}

const LEGEND: { label: string; swatch: string }[] = [
  { label: 'Ready', swatch: `<rect ${attrs({ width: 12, height: 10, fill: COLOURS.ready })}/>` },
  { label: 'not Ready', swatch: `<rect ${attrs({ width: 12, height: 10, fill: COLOURS.notReady })}/>` },
  { label: 'absent', swatch: `<line ${attrs({ x1: 0, y1: 5, x2: 12, y2: 5, stroke: COLOURS.absentLine, 'stroke-width': 2 })}/>` },
  { label: 'request ok', swatch: `<line ${attrs({ x1: 6, y1: 0, x2: 6, y2: 10, stroke: COLOURS.ok, 'stroke-width': 2 })}/>` },
  { label: 'request failed', swatch: `<line ${attrs({ x1: 6, y1: 0, x2: 6, y2: 10, stroke: COLOURS.failed, 'stroke-width': 2 })}/>` },
  {
    label: 'outage',
    swatch: `<rect ${attrs({ width: 12, height: 10, fill: COLOURS.outageFill, 'fill-opacity': 0.12, stroke: COLOURS.outageFill, 'stroke-opacity': 0.5 })}/>`,
  },
];

function legend({ legendY }: Layout): string[] {
  const out = ['<g>'];
  let lx = 10;
  for (const item of LEGEND) {
    out.push(
      `<g transform="translate(${n(lx)} ${n(legendY - 9)})">${item.swatch}<text ${attrs({ x: 17, y: 9, fill: COLOURS.text })}>${escapeXml(item.label)}</text></g>`,
    );
    lx += 17 + item.label.length * 6.2 + 18;
  }
  out.push('</g>');
  return out;
}

/**
 * The run's timeline as a self-contained SVG: labelled phase bands, one lane per pod showing when
 * it was Ready, not Ready or absent, one lane of probe requests (green ok, red failed; downsampled
 * to one tick per two pixels, red wherever any request in it failed), outage windows, a time axis
 * in seconds and a legend. Every text from the record is escaped.
 */
export function renderTimelineSvg(record: RunRecord): string {
  const lanes = podLanes(record);
  const layout = layoutOf(record, lanes.length);
  const { height } = layout;
  const title = `${record.strategy} ${record.versions.from} → ${record.versions.to} (run ${record.id}): ${formatDuration(record.durationMs)}, ${judged(record).verdict}`;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" ${attrs({ width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${n(height)}`, 'font-family': 'Helvetica, Arial, sans-serif', 'font-size': 11, role: 'img' })}>`,
    `<title>${escapeXml(`Timeline of ${title}`)}</title>`,
    `<rect ${attrs({ width: WIDTH, height, fill: '#ffffff' })}/>`,
    `<text ${attrs({ x: 10, y: TITLE_Y, 'font-size': 13, 'font-weight': 'bold', fill: COLOURS.text })}>${escapeXml(title)}</text>`,
    ...phaseBands(record, layout),
    ...outageWindows(record, layout),
    ...podLaneMarks(lanes, layout),
    ...probeLane(record, layout),
    ...timeAxis(layout),
    ...legend(layout),
    '</svg>',
  ];
  return `${out.join('\n')}\n`;
}

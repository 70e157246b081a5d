import type { PodEvent, RunRecord } from '../demos/record.js';
import { compareByOrdinal } from './format.js';

export type PodState = 'ready' | 'not-ready' | 'absent';

/** A span of a run in which one pod stayed in one state; `t` in ms since the run started. */
export interface PodSegment {
  state: PodState;
  start: number;
  end: number;
  /** The app version the pod ran, where the events or the counters read before the run tell it. */
  version?: string;
}

export interface PodLane {
  pod: string;
  segments: PodSegment[];
}

/** Where a run's time axis ends: its duration, or later if something was recorded after it. */
export function timelineEnd(record: RunRecord): number {
  const times = [
    record.durationMs,
    ...record.phases.map((p) => p.end),
    ...record.podEvents.map((e) => e.t),
    ...record.probe.outages.map((o) => o.end),
    ...record.samples.map((s) => s.t),
  ];
  return Math.max(1, ...times.filter(Number.isFinite));
}

const STATE_AFTER: Record<PodEvent['type'], PodState> = {
  created: 'not-ready',
  scheduled: 'not-ready',
  ready: 'ready',
  'not-ready': 'not-ready',
  deleting: 'not-ready',
  deleted: 'absent',
};

/**
 * Each pod's state over the run, from the pod watch. The watch records changes only, so the state
 * before a pod's first event is inferred from that event: a pod first `created` did not exist yet,
 * a pod that first became `ready` was not Ready, and any other first event (not-ready, deleting,
 * deleted) means it was Ready. A pod with no event that was in the counters read before the run
 * stayed Ready throughout.
 */
export function podLanes(record: RunRecord): PodLane[] {
  const end = timelineEnd(record);
  const names = new Set([...record.counters.before.map((c) => c.pod), ...record.podEvents.map((e) => e.pod)]);
  return [...names].sort(compareByOrdinal).map((pod) => {
    const events = record.podEvents.filter((e) => e.pod === pod).sort((a, b) => a.t - b.t);
    const first = events[0];
    let state: PodState = !first ? 'ready' : first.type === 'created' || first.type === 'scheduled' ? 'absent' : first.type === 'ready' ? 'not-ready' : 'ready';
    let since = 0;
    let version = state === 'absent' ? undefined : (record.counters.before.find((c) => c.pod === pod)?.version ?? undefined);
    const segments: PodSegment[] = [];
    const close = (until: number) => {
      if (until > since) segments.push({ state, start: since, end: until, ...(version !== undefined && state !== 'absent' && { version }) });
    };
    for (const event of events) {
      const next = STATE_AFTER[event.type];
      if (next !== state) {
        const at = Math.min(Math.max(event.t, since), end);
        close(at);
        state = next;
        since = at;
      }
      if (event.version !== undefined) version = event.version;
      if (next === 'absent') version = undefined;
    }
    close(end);
    return { pod, segments };
  });
}

/** Text Mermaid's gantt grammar accepts in a task name or title (no `:`, `;`, `#`). */
function mermaidText(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/%%/g, '% %').replace(/\s+/g, ' ').trim() || '-';
}

/**
 * The run as a Mermaid gantt chart that GitHub renders: one bar per phase and a `crit` bar per
 * outage window. Times are milliseconds since the start (`dateFormat x`), shown as seconds on the
 * axis (`%s`, seconds since the epoch, so no time zone shifts them).
 */
export function renderMermaidGantt(record: RunRecord): string {
  const lines = [
    'gantt',
    `  title ${mermaidText(`${record.strategy} ${record.versions.from} → ${record.versions.to}, seconds since the start`)}`,
    '  dateFormat x',
    '  axisFormat %s',
    '  todayMarker off',
  ];
  lines.push('  section Phases');
  record.phases.forEach((phase, i) => {
    lines.push(`  ${mermaidText(phase.name)} :phase${i}, ${Math.round(phase.start)}, ${Math.round(Math.max(phase.end, phase.start))}`);
  });
  if (record.probe.outages.length) {
    lines.push('  section Outages');
    record.probe.outages.forEach((outage, i) => {
      const label = `no answer (${outage.failures} failed)`;
      lines.push(`  ${mermaidText(label)} :crit, outage${i}, ${Math.round(outage.start)}, ${Math.round(Math.max(outage.end, outage.start))}`);
    });
  }
  return lines.join('\n');
}

// The live panel: one frame drawn from the state (state.ts), pure. The driver (view.ts) redraws it
// in place; the unit tests render scripted sequences and compare whole frames.

import { Chalk, type ChalkInstance } from 'chalk';
import { EVENT_LINES, RECENT_MS, seconds, type EventLine, type LiveState, type PodStateName, type PodView } from './state.js';

export interface PanelOptions {
  /** Columns of the terminal: no line is longer. */
  width: number;
  /** Colour level (0: none), as chalk counts. */
  color: number | boolean;
  /** ms since the start (the events' clock). */
  now: number;
}

type Tone = 'good' | 'bad' | 'warn' | 'dim' | 'bold' | 'info';
/** A piece of a line and how to colour it. */
type Piece = [text: string, tone?: Tone];

/** The chalk style of each tone. */
const STYLE = { good: 'green', bad: 'red', warn: 'yellow', dim: 'dim', bold: 'bold', info: 'cyan' } as const satisfies Record<Tone, keyof ChalkInstance>;

function paint(chalk: ChalkInstance, tone: Tone | undefined, text: string): string {
  return tone ? chalk[STYLE[tone]](text) : text;
}

/** Joins the pieces, cut at `width` columns (the last one shown ends in …), trailing blanks dropped. */
function fit(pieces: Piece[], width: number, chalk: ChalkInstance): string {
  let left = width;
  let out = '';
  const plain = pieces.map(([text]) => text).join('');
  const cut = plain.length > width;
  for (const [text, tone] of pieces) {
    if (left <= 0) break;
    let shown = text.length > left ? text.slice(0, left) : text;
    left -= shown.length;
    if (cut && left === 0) shown = `${shown.slice(0, -1)}…`;
    out += paint(chalk, tone, shown);
  }
  return out.replace(/\s+$/, '');
}

const STATE_TONE: Record<PodStateName, Tone> = { Ready: 'good', 'not Ready': 'warn', Pending: 'warn', Terminating: 'warn', absent: 'bad' };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** The revision hash without the StatefulSet's name (`helm-python-7f9c6d5b8d` → `7f9c6d5b8d`). */
export function shortRevision(revision: string | undefined, release: string): string {
  if (!revision) return '';
  return (revision.startsWith(`${release}-`) ? revision.slice(release.length + 1) : revision).slice(0, 10);
}

/** What the current phase waits for, from the pods: one coming up, one going, else the phase's own words. */
export function waitingFor(state: LiveState): string {
  const live = [...state.pods.values()].sort((a, b) => b.ordinal - a.ordinal);
  const coming = live.filter((p) => p.state === 'Pending' || p.state === 'not Ready');
  if (coming.length) {
    const versions = [...new Set(coming.map((p) => p.version ?? state.to).filter(Boolean))];
    return `waiting for ${coming.map((p) => p.name).join(', ')} Ready${versions.length === 1 ? ` on ${versions[0]}` : ''}`;
  }
  const going = live.filter((p) => p.state === 'Terminating');
  if (going.length) return `waiting for ${going.map((p) => p.name).join(', ')} to go`;
  return state.phase?.detail ?? '';
}

function isCanary(state: LiveState, pod: PodView): boolean {
  return state.strategy === 'canary' && state.replicas !== undefined && pod.ordinal >= state.replicas;
}

/** One frame of the panel. */
export function renderPanel(state: LiveState, { width, color, now }: PanelOptions): string {
  const chalk = new Chalk({ level: color === true ? 1 : color === false ? 0 : (Math.max(0, Math.min(3, color)) as 0 | 1 | 2 | 3) });
  const lines: Piece[][] = [];
  const versions = state.from && state.to ? ` ${state.from} → ${state.to}` : '';
  lines.push([
    [`${state.title}${versions}`, 'bold'],
    [` · ${seconds(now)}`, 'dim'],
  ]);

  if (state.paused) {
    lines.push([['⏸ next: ', 'warn'], [state.paused.name, 'bold'], [` · ${state.paused.detail}`]]);
    lines.push([[`  why: ${state.paused.why}`]]);
    lines.push([['  press Enter to run it (the probe keeps measuring)', 'warn']]);
  } else if (state.phase) {
    lines.push([['▸ ', 'info'], [state.phase.name, 'bold'], [` · ${waitingFor(state)} · `], [seconds(now - state.phase.start), 'dim']]);
  }
  if (state.statefulSet) {
    const s = state.statefulSet;
    const revisions =
      s.currentRevision === s.updateRevision
        ? shortRevision(s.currentRevision, state.release)
        : `${shortRevision(s.currentRevision, state.release)} → ${shortRevision(s.updateRevision, state.release)}`;
    lines.push([[`statefulset: ${s.replicas ?? '?'} replicas (${s.readyReplicas ?? 0} ready), partition ${s.partition ?? 0}, revision ${revisions || '?'}`]]);
  }
  lines.push([]);

  const pods = [...state.pods.values()].sort((a, b) => a.ordinal - b.ordinal || a.name.localeCompare(b.name));
  const nameWidth = Math.max(3, ...pods.map((p) => p.name.length));
  const rows = pods.map((pod) => ({
    pod,
    version: [pod.version ?? '?', shortRevision(pod.revision, state.release)].filter(Boolean).join(' '),
    state: `${pod.state} ${seconds(now - pod.since)}`,
    recent: String(pod.answered.filter((t) => t > now - RECENT_MS && t <= now).length),
    counter: pod.counter === undefined ? '' : String(pod.counter),
  }));
  const versionWidth = Math.max(7, ...rows.map((r) => r.version.length));
  const stateWidth = Math.max(5, ...rows.map((r) => r.state.length));
  const req = `REQ/${RECENT_MS / 1000}s`;
  const gap = '  ';
  lines.push([
    [
      `${'POD'.padEnd(nameWidth)}${gap}${'VERSION'.padEnd(versionWidth)}${gap}${'STATE'.padEnd(stateWidth)}${gap}${'CANARY'}${gap}${req}${gap}${'COUNTER'}`,
      'dim',
    ],
  ]);
  for (const row of rows) {
    lines.push([
      [`${row.pod.name.padEnd(nameWidth)}${gap}${row.version.padEnd(versionWidth)}${gap}`],
      [row.state.padEnd(stateWidth), STATE_TONE[row.pod.state]],
      [gap],
      [(isCanary(state, row.pod) ? 'canary' : '').padEnd(6), 'info'],
      [`${gap}${row.recent.padStart(req.length)}${gap}${row.counter.padStart(7)}`],
    ]);
  }
  if (rows.length === 0) lines.push([['(no pods)', 'dim']]);
  lines.push([]);

  const { probe } = state;
  if (probe.sent > 0 || state.epochMs !== undefined) {
    const sorted = [...probe.latencies].sort((a, b) => a - b);
    const outage: Piece = probe.outage
      ? [`OUTAGE ${seconds(now - probe.outage.start)}`, 'bad']
      : [
          probe.outages ? `${probe.outages} outage${probe.outages > 1 ? 's' : ''}, longest ${seconds(probe.longestMs)}` : 'no outage',
          probe.outages ? 'warn' : 'good',
        ];
    lines.push([
      [`probe: ${probe.sent} sent, ${probe.ok} ok, `],
      [`${probe.failed} failed`, probe.failed ? 'bad' : undefined],
      [' · '],
      outage,
      [` · p50 ${Math.round(percentile(sorted, 50))} ms, p99 ${Math.round(percentile(sorted, 99))} ms`],
    ]);
  } else lines.push([['probe: off', 'dim']]);

  for (const event of state.events.slice(-EVENT_LINES)) lines.push(eventPieces(event));
  return lines.map((pieces) => fit(pieces, width, chalk)).join('\n');
}

function eventPieces(event: EventLine): Piece[] {
  return [[seconds(event.t).padStart(8), 'dim'], [`  ${event.subject}  `], [event.what, event.tone], [event.version ? `  ${event.version}` : '']];
}

/** An event as one line of plain text: what the panel lists and what is printed off a terminal. */
export function eventText(event: EventLine): string {
  return eventPieces(event)
    .map(([text]) => text)
    .join('');
}

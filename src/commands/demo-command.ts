import { packageVersion } from '../paths.js';
// What every demo command does around its demo: check the output folder, open the live view, run
// the demo while Ctrl-C undoes it, print the summary (or the record with --json), and end with the
// error its verdict maps to (exit 130 interrupted, 1 aborted or failed, via main()).
// demo-update uses it directly, every lesson command through runLessonCommand; a new demo command
// needs its run, summary and ending, and may use the summary tables below.

import { InterruptedError, LabError } from '../errors.js';
import { interrupts } from '../interrupt.js';
import type { Lab } from '../lab-context.js';
import { openDemoView, type DemoView } from '../live/demo-view.js';
import { checkOutputDir } from '../output-path.js';
import type { DemoTimings } from '../demos/harness.js';
import type { DataCheck, Phase } from '../demos/record.js';
import { renderTable } from '../ui/table.js';

export interface DemoCommand<R> {
  /** Where the record goes: checked before anything runs (`--record-dir`). */
  recordDir: string;
  /** What the demo does, said off a terminal when its first phase begins. */
  startLine: () => string;
  /** Runs the demo on the view's lab, stopping early on `signal` (Ctrl-C); events go to `live.feed`. */
  run: (lab: Lab, signal: AbortSignal, live: DemoView) => Promise<{ record: R; path: string }>;
  /** The human summary of the record (--json prints the record instead). */
  summary: (record: R, path: string) => string;
  /** The error a record that did not pass ends the command with: see demoEnding. */
  ending: (record: R, path: string) => LabError | undefined;
}

/** Runs a demo command: the record when it passed, else throws the error its verdict maps to. */
export async function runDemoCommand<R>(lab: Lab, command: DemoCommand<R>): Promise<R> {
  checkOutputDir(command.recordDir, '--record-dir');
  // The live panel on a terminal, else one line per event (phases, pods, outages) on stderr.
  const live = await openDemoView(lab, command.startLine);
  // Ctrl-C stops the demo only once it has put the release back (src/interrupt.ts).
  const { record, path } = await interrupts.whileUndoable((signal) => command.run(live.lab, signal, live)).finally(() => live.stop());
  lab.log.result(record, () => command.summary(record, path));
  const ending = command.ending(record, path);
  if (ending instanceof InterruptedError) throw ending;
  // A signal after the last step: the demo is complete, but the command still ends with 130.
  interrupts.signal.throwIfAborted();
  if (ending) throw ending;
  return record;
}

/**
 * The error a demo's verdict maps to, its reason once and the record's path as the hint:
 * interrupted → `<name> <reason>` (exit 130; the reason starts with "interrupted"), aborted →
 * `<name> aborted: <reason>`, failed → `<failed>: <reason>` (`<name> failed` unless given); passed → none.
 */
export function demoEnding(record: { verdict: string; reason: string }, path: string, name: string, failed = `${name} failed`): LabError | undefined {
  const hint = `see ${path}`;
  if (record.verdict === 'interrupted') return new InterruptedError(`${name} ${record.reason}`, hint);
  if (record.verdict === 'aborted') return new LabError(`${name} aborted: ${record.reason}`, hint);
  if (record.verdict === 'failed') return new LabError(`${failed}: ${record.reason}`, hint);
  return undefined;
}

/** The probe and time options every demo and lesson command takes, as its run takes them (ms), with k8s-lab's version. */
export function runTimings(options: { interval: number; timeout: number; settle: number; url?: string; recordDir: string }): DemoTimings {
  return {
    intervalMs: options.interval,
    timeoutMs: options.timeout,
    settleMs: options.settle,
    url: options.url,
    recordDir: options.recordDir,
    k8sLabVersion: packageVersion(),
  };
}

/** What a demo command says off a terminal as its first phase begins: what it does, and the probe. */
export const probingLine = (doing: string, intervalMs: number) => `${doing}: probing the Service every ${intervalMs} ms`;

/**
 * A lesson command: `run` with the lesson's options on the live view's lab, its events fed to the
 * view; `doing` in its start line, `name` in its ending (see demoEnding).
 */
export function runLessonCommand<O extends DemoTimings, R extends { verdict: string; reason: string }>(
  lab: Lab,
  name: string,
  lesson: {
    doing: string;
    run: (lab: Lab, options: O, signal: AbortSignal, hooks: { feed: DemoView['feed'] }) => Promise<{ record: R; path: string }>;
    options: O;
    summary: (record: R, path: string) => string;
  },
): Promise<R> {
  return runDemoCommand(lab, {
    recordDir: lesson.options.recordDir,
    startLine: () => probingLine(lesson.doing, lesson.options.intervalMs),
    run: (rl, signal, live) => lesson.run(rl, lesson.options, signal, { feed: live.feed }),
    summary: lesson.summary,
    ending: (record, path) => demoEnding(record, path, name),
  });
}

/** A duration in a summary: `12.3 s`, `—` for none. */
export const seconds = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** A summary's last lines: the verdict with its reason and the run's length, and where the record is. */
export function verdictLines(what: string, record: { verdict: string; reason: string; durationMs: number }, path: string): string[] {
  return [`${what}: ${record.verdict} — ${record.reason} (${seconds(record.durationMs)})`, `run record: ${path}`];
}

/** A summary's table of the demo's phases: when each began, how long it took, what it did. */
export function renderPhases(phases: Phase[]): string {
  return renderTable(
    ['PHASE', 'START', 'DURATION', 'WHAT'],
    phases.map((p) => [p.name, seconds(p.start), seconds(p.end - p.start), p.detail ?? '']),
  );
}

/** A summary's table of each pod's counter before and after, the requests it acknowledged, and whether its data was kept. */
export function renderDataChecks(checks: DataCheck[]): string {
  return renderTable(
    ['POD', 'BEFORE', 'AFTER', 'ACKNOWLEDGED', 'DATA'],
    checks.map((c) => [c.pod, c.before ?? '?', c.after ?? '?', c.acknowledged, c.preserved ? 'preserved' : `LOST: ${c.reason}`]),
  );
}

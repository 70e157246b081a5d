import { runDrain } from '../demos/drain.js';
import { whyNodeLessonCannotRun } from '../demos/node-lessons.js';
import type { DrainRecord } from '../demos/drain-analysis.js';
import type { Lab } from '../lab-context.js';
import { renderTable } from '../ui/table.js';
import { renderDataChecks, renderPhases, runLessonCommand, runTimings, seconds, verdictLines } from './demo-command.js';

export interface DrainCommandOptions {
  pod?: number;
  uncordonAfter?: number;
  interval: number;
  timeout: number;
  settle: number;
  url?: string;
  recordDir: string;
}

/** The human summary of a drain record. */
export function renderDrainSummary(record: DrainRecord, path: string): string {
  const f = record.failedRequests;
  const budget = record.budget
    ? `PodDisruptionBudget ${record.budget.name}: maxUnavailable ${record.budget.maxUnavailable ?? '—'}, ${record.budget.disruptionsAllowed ?? '?'} disruption(s) allowed before the drain`
    : 'no PodDisruptionBudget: nothing limits the evictions';
  return [
    renderPhases(record.phases),
    '',
    budget,
    renderTable(
      ['POD', 'FROM', 'REFUSED', 'REFUSED FOR', 'EVICTED AT', 'TO', 'PENDING', 'READY AFTER'],
      record.moves.map((m) => [
        m.pod,
        m.fromNode,
        String(m.refusals),
        seconds(m.refusedMs),
        seconds(m.evictedAt),
        m.evictedAt === null ? 'stayed (refused)' : (m.toNode ?? '—'),
        m.pendingMs ? `${seconds(m.pendingMs)}${m.pendingUntilUncordon ? ' (until uncordon)' : ''}` : '—',
        seconds(m.readyAfterMs),
      ]),
    ),
    ...record.moves.filter((m) => m.pendingWhy).map((m) => `${m.pod} Pending: ${m.pendingWhy}`),
    '',
    `probe: ${record.probe.requests} requests every ${record.probe.intervalMs} ms, ${record.probe.failures} failed; from the cordon on: ${f.count} failed${f.count ? ` over ${seconds(f.spanMs)}` : ''}`,
    `${record.node}: cordoned at ${seconds(record.cordonedAt)}, uncordoned at ${seconds(record.uncordonedAt)}; schedulable after the lesson: ${record.uncordonedAfter === null ? 'unknown' : record.uncordonedAfter ? 'yes' : 'NO'}`,
    renderDataChecks(record.dataChecks),
    ...record.notes.slice(1),
    ...verdictLines(`drain of ${record.node} (node of ${record.pod})`, record, path),
  ].join('\n');
}

export async function demoDrain(lab: Lab, options: DrainCommandOptions): Promise<DrainRecord> {
  return runLessonCommand(lab, 'drain', {
    doing: `drain in ${lab.release}`,
    run: runDrain,
    options: { pod: options.pod, uncordonAfterMs: options.uncordonAfter, ...runTimings(options) },
    summary: renderDrainSummary,
  });
}

/**
 * `lab`'s drain step: demo-drain where the cluster has two or more schedulable nodes, else one
 * line saying why it is skipped (kind's single node, or nodes the account may not read).
 */
export async function drainLesson(lab: Lab, options: DrainCommandOptions): Promise<DrainRecord | undefined> {
  const usable = await whyNodeLessonCannotRun(lab, 'a drain needs another one for the pods to go to');
  if ('why' in usable) {
    lab.log.info(`demo-drain skipped: ${usable.why}`);
    return undefined;
  }
  return demoDrain(lab, options);
}

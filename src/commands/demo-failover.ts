import { runFailover } from '../demos/failover.js';
import { type FailoverMode, type FailoverRecord } from '../demos/lessons.js';
import type { Lab } from '../lab-context.js';
import { renderTable } from '../ui/table.js';
import { renderDataChecks, renderPhases, runLessonCommand, runTimings, seconds, verdictLines } from './demo-command.js';

export interface FailoverCommandOptions {
  mode: FailoverMode;
  pod?: number;
  interval: number;
  timeout: number;
  settle: number;
  url?: string;
  recordDir: string;
}

/** The human summary of a failover record. */
export function renderFailoverSummary(record: FailoverRecord, path: string): string {
  const { before, after } = record.identity;
  const f = record.failedRequests;
  return [
    renderPhases(record.phases),
    '',
    renderTable(
      ['', 'POD', 'POD UID', 'PVC', 'PVC UID', 'RESTARTS', 'COUNTER'],
      [before, after].map((id, i) => [
        i ? 'after' : 'before',
        id?.pod ?? '—',
        id?.uid ?? '—',
        id?.pvc ?? '—',
        id?.pvcUid ?? '—',
        String(id?.restarts ?? '—'),
        String(id?.counter ?? '—'),
      ]),
    ),
    '',
    `probe: ${record.probe.requests} requests every ${record.probe.intervalMs} ms through the Service, ${record.probe.failures} failed; after the failure: ${f.count} failed${f.count ? ` over ${seconds(f.spanMs)} (first ${seconds(f.firstMs)}, last ${seconds(f.lastMs)} after it)` : ''}`,
    `${record.pod} Ready again ${seconds(record.readyAgainMs)} after the ${{ delete: 'delete', kill: 'SIGKILL', hang: 'SIGSTOP' }[record.mode]}`,
    renderDataChecks(record.dataChecks),
    '',
    ...(record.explanation ?? []).map((line) => `why: ${line}`),
    `what would shorten it: ${record.advice}`,
    ...record.notes.slice(1),
    ...verdictLines(`failover --mode ${record.mode} of ${record.pod}`, record, path),
  ].join('\n');
}

export async function demoFailover(lab: Lab, options: FailoverCommandOptions): Promise<FailoverRecord> {
  return runLessonCommand(lab, 'failover', {
    doing: `failover (--mode ${options.mode}) in ${lab.release}`,
    run: runFailover,
    options: { mode: options.mode, pod: options.pod, ...runTimings(options) },
    summary: renderFailoverSummary,
  });
}

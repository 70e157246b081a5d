import { runNodeLoss } from '../demos/node-loss.js';
import type { NodeLossRecovery } from '../demos/node-loss-analysis.js';
import type { NodeLossRecord } from '../demos/node-loss-record.js';
import type { Lab } from '../lab-context.js';
import { renderTable } from '../ui/table.js';
import { renderPhases, runLessonCommand, runTimings, seconds, verdictLines } from './demo-command.js';

export interface NodeLossCommandOptions {
  recover: NodeLossRecovery;
  pod?: number;
  /** Already split into words by the option's parser. */
  stopCommand?: string[];
  startCommand?: string[];
  interval: number;
  timeout: number;
  settle: number;
  url?: string;
  recordDir: string;
}

/** The human summary of a node-loss record. */
export function renderNodeLossSummary(record: NodeLossRecord, path: string): string {
  const f = record.figures;
  const r = f?.replacement;
  const { before, after } = record.identity;
  return [
    renderPhases(record.phases),
    '',
    renderTable(
      ['', 'POD', 'POD UID', 'NODE', 'PVC UID', 'COUNTER'],
      [before, after].map((id, i) => [i ? 'after' : 'before', id?.pod ?? '—', id?.uid ?? '—', id?.node ?? '—', id?.pvcUid ?? '—', String(id?.counter ?? '—')]),
    ),
    '',
    `${record.node} NotReady ${seconds(f?.notReadyMs)} after the stop; ${record.pod} Ready=${f?.podNotReadyStatus ?? '?'} after ${seconds(f?.podNotReadyMs)}${f?.podTerminatingMs != null ? `, Terminating after ${seconds(f.podTerminatingMs)}` : ''}`,
    r
      ? `replacement ${r.uid}: created ${seconds(r.createdMs)} after the stop${r.early ? ' — TOO EARLY, before the node was back or declared out of service' : ''}, on ${r.node ?? 'no node'}, Ready ${seconds(r.readyMs)}`
      : 'no replacement was created',
    `probe: ${record.probe.requests} requests every ${record.probe.intervalMs} ms, ${record.failedRequests.count} failed after the stop${record.failedRequests.count ? ` over ${seconds(record.failedRequests.spanMs)}` : ''}; ${record.pod} Ready again ${seconds(f?.podReadyAgainMs)} after the stop`,
    `data: ${record.dataMeaning}`,
    ...record.cleanup.map((line) => `put back: ${line}`),
    ...verdictLines(`node-loss --recover ${record.recover} of ${record.node} (${record.pod})`, record, path),
  ].join('\n');
}

export async function demoNodeLoss(lab: Lab, options: NodeLossCommandOptions): Promise<NodeLossRecord> {
  return runLessonCommand(lab, 'node loss', {
    doing: `node loss (--recover ${options.recover}) in ${lab.release}`,
    run: runNodeLoss,
    options: { recover: options.recover, pod: options.pod, stopCommand: options.stopCommand, startCommand: options.startCommand, ...runTimings(options) },
    summary: renderNodeLossSummary,
  });
}

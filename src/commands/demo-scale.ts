import { type PolicyChoice, type Retention, type ScaleRecord } from '../demos/lessons.js';
import { runScale } from '../demos/scale.js';
import type { Lab } from '../lab-context.js';
import { highlight } from '../ui/logger.js';
import { renderTable } from '../ui/table.js';
import { runLessonCommand, runTimings, seconds, verdictLines } from './demo-command.js';

export interface ScaleCommandOptions {
  to: number;
  policy: PolicyChoice;
  pvcRetention: Retention;
  keepPvcs?: boolean;
  nodePort?: number;
  interval: number;
  timeout: number;
  settle: number;
  url?: string;
  url2?: string;
  recordDir: string;
}

/** The human summary of a scale record: per policy, the pods' times, the scale-down order and the storage checks. */
export function renderScaleSummary(record: ScaleRecord, path: string): string {
  const lines: string[] = [];
  for (const run of record.runs) {
    lines.push(
      highlight.bold(
        `${run.policy}${run.temporary ? ` (temporary release ${run.release})` : ''}: ${run.from} → ${run.to}, all Ready ${seconds(run.up.allReadyMs)} after the request (${run.up.shape})`,
      ),
      renderTable(
        ['POD', 'CREATED', 'READY'],
        run.up.pods.map((p) => [p.pod, seconds(p.createdMs), seconds(p.readyMs)]),
      ),
      `ready order: ${run.up.readyOrder.join(', ')}`,
      `scale down ${run.to} → ${run.from}: ${run.down.order.map((o) => `${o.pod} (terminating ${seconds(o.deletingMs)}, gone ${seconds(o.deletedMs)})`).join(', ')}`,
      `probe: ${run.probe.requests} requests, ${run.failedUp} failed scaling up, ${run.failedDown} scaling down`,
      renderTable(
        ['POD', 'PVC', 'BEFORE', 'PVC AFTER SCALE-DOWN', 'RETURNED', 'EXPECTED', 'CHECK'],
        run.storage.map((c) => [
          c.pod,
          c.pvc,
          String(c.before.counter ?? '?'),
          c.pvcUidAfterScaleDown ?? 'deleted',
          `${c.returned.counter ?? '?'} (${c.returned.pvcUid === c.before.pvcUid ? 'same PVC' : 'new PVC'})`,
          c.expected,
          c.ok ? 'ok' : `FAILED: ${c.reason}`,
        ]),
      ),
      '',
    );
  }
  // A lesson that did not pass ends with its error line, which says why, what was undone and where
  // the record is (scaleEnding): said here as well, the same long sentence came twice.
  lines.push(...record.cleanup.filter((line) => !record.reason.includes(line)).map((line) => `afterwards: ${line}`));
  if (record.verdict === 'passed') lines.push(...verdictLines('scale', record, path));
  else lines.push(`scale: ${record.verdict} (${seconds(record.durationMs)})`);
  return lines.join('\n');
}

export async function demoScale(lab: Lab, options: ScaleCommandOptions): Promise<ScaleRecord> {
  return runLessonCommand(lab, 'scale', {
    doing: `scale ${lab.release} to ${options.to} (--policy ${options.policy}, PVCs ${options.pvcRetention === 'delete' ? 'deleted on scale-down' : 'retained'})`,
    run: runScale,
    options: {
      to: options.to,
      policy: options.policy,
      pvcRetention: options.pvcRetention,
      keepPvcs: Boolean(options.keepPvcs),
      nodePort: options.nodePort,
      url2: options.url2,
      ...runTimings(options),
    },
    summary: renderScaleSummary,
  });
}

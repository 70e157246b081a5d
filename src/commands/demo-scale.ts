import { type PolicyChoice, type Retention, type ScaleRecord } from '../demos/lessons.js';
import { runScale } from '../demos/scale.js';
import { InterruptedError, LabError } from '../errors.js';
import { interrupts } from '../interrupt.js';
import type { Lab } from '../lab-context.js';
import { checkOutputDir } from '../output-path.js';
import { packageVersion } from '../paths.js';
import { highlight } from '../ui/logger.js';
import { renderTable } from '../ui/table.js';
import { openDemoView } from '../live/demo-view.js';

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

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

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
  if (record.verdict === 'passed') lines.push(`scale: ${record.verdict} — ${record.reason} (${seconds(record.durationMs)})`, `run record: ${path}`);
  else lines.push(`scale: ${record.verdict} (${seconds(record.durationMs)})`);
  return lines.join('\n');
}

/** The error a lesson that did not pass ends with: its reason once, the record's path as the hint. */
export function scaleEnding(record: ScaleRecord, path: string): LabError | undefined {
  const hint = `see ${path}`;
  // The reason of an interrupted lesson starts with "interrupted (SIGINT)".
  if (record.verdict === 'interrupted') return new InterruptedError(`scale ${record.reason}`, hint);
  if (record.verdict === 'failed') return new LabError(`scale failed: ${record.reason}`, hint);
  return undefined;
}

export async function demoScale(lab: Lab, options: ScaleCommandOptions): Promise<ScaleRecord> {
  checkOutputDir(options.recordDir, '--record-dir');
  // The live panel on a terminal, else one line per event (phases, pods, outages) on stderr.
  const live = await openDemoView(lab);
  const { record, path } = await interrupts
    .whileUndoable((signal) =>
      runScale(
        live.lab,
        {
          to: options.to,
          policy: options.policy,
          pvcRetention: options.pvcRetention,
          keepPvcs: Boolean(options.keepPvcs),
          nodePort: options.nodePort,
          intervalMs: options.interval,
          timeoutMs: options.timeout,
          settleMs: options.settle,
          url: options.url,
          url2: options.url2,
          recordDir: options.recordDir,
          k8sLabVersion: packageVersion(),
        },
        // Said when the lesson starts, not before: a release that is not there fails with one line.
        () =>
          live.started(
            () =>
              `scale ${lab.release} to ${options.to} (--policy ${options.policy}, PVCs ${options.pvcRetention === 'delete' ? 'deleted on scale-down' : 'retained'}): probing the Service every ${options.interval} ms`,
          ),
        signal,
        { feed: live.feed },
      ),
    )
    .finally(() => live.stop());
  lab.log.result(record, () => renderScaleSummary(record, path));
  const ending = scaleEnding(record, path);
  if (ending instanceof InterruptedError) throw ending;
  interrupts.signal.throwIfAborted();
  if (ending) throw ending;
  return record;
}

import { Command, Option } from 'commander';
import { runFailover } from '../demos/failover.js';
import { FAILOVER_MODES, type FailoverMode, type FailoverRecord } from '../demos/lessons.js';
import { InterruptedError, LabError } from '../errors.js';
import { interrupts } from '../interrupt.js';
import { labFor, type Lab } from '../lab-context.js';
import { DEFAULTS, durationLabel } from '../defaults.js';
import { httpUrl, parseDuration, wholeNumber } from '../options.js';
import { checkOutputDir } from '../output-path.js';
import { packageVersion } from '../paths.js';
import { highlight } from '../ui/logger.js';
import { renderTable } from '../ui/table.js';

export interface FailoverCommandOptions {
  mode: FailoverMode;
  pod?: number;
  interval: number;
  timeout: number;
  settle: number;
  url?: string;
  recordDir: string;
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** The human summary of a failover record. */
export function renderFailoverSummary(record: FailoverRecord, path: string): string {
  const { before, after } = record.identity;
  const f = record.failedRequests;
  return [
    renderTable(['PHASE', 'START', 'DURATION', 'WHAT'], record.phases.map((p) => [p.name, seconds(p.start), seconds(p.end - p.start), p.detail ?? ''])),
    '',
    renderTable(
      ['', 'POD', 'POD UID', 'PVC', 'PVC UID', 'RESTARTS', 'COUNTER'],
      [before, after].map((id, i) => [i ? 'after' : 'before', id?.pod ?? '—', id?.uid ?? '—', id?.pvc ?? '—', id?.pvcUid ?? '—', String(id?.restarts ?? '—'), String(id?.counter ?? '—')]),
    ),
    '',
    `probe: ${record.probe.requests} requests every ${record.probe.intervalMs} ms through the Service, ${record.probe.failures} failed; after the failure: ${f.count} failed${f.count ? ` over ${seconds(f.spanMs)} (first ${seconds(f.firstMs)}, last ${seconds(f.lastMs)} after it)` : ''}`,
    `${record.pod} Ready again ${seconds(record.readyAgainMs)} after the ${record.mode === 'delete' ? 'delete' : 'SIGKILL'}`,
    renderTable(['POD', 'BEFORE', 'AFTER', 'ACKNOWLEDGED', 'DATA'], record.dataChecks.map((c) => [c.pod, String(c.before ?? '?'), String(c.after ?? '?'), String(c.acknowledged), c.preserved ? 'preserved' : `LOST: ${c.reason}`])),
    '',
    `what would shorten it: ${record.advice}`,
    ...record.notes.slice(1),
    `failover --mode ${record.mode} of ${record.pod}: ${record.verdict} — ${record.reason} (${seconds(record.durationMs)})`,
    `run record: ${path}`,
  ].join('\n');
}

export async function demoFailover(lab: Lab, options: FailoverCommandOptions): Promise<FailoverRecord> {
  checkOutputDir(options.recordDir, '--record-dir');
  let started = false;
  const { record, path } = await interrupts.whileUndoable((signal) =>
    runFailover(
      lab,
      { mode: options.mode, pod: options.pod, intervalMs: options.interval, timeoutMs: options.timeout, settleMs: options.settle, url: options.url, recordDir: options.recordDir, k8sLabVersion: packageVersion() },
      (name, detail) => {
        if (!started) lab.log.info(`failover (--mode ${options.mode}) in ${lab.release}: probing the Service every ${options.interval} ms`);
        started = true;
        lab.log.info(`${highlight.info('▸')} ${name}: ${detail}`);
      },
      signal,
    ),
  );
  lab.log.result(record, () => renderFailoverSummary(record, path));
  if (record.verdict === 'interrupted') throw new InterruptedError(`failover ${record.reason}`, `see ${path}`);
  interrupts.signal.throwIfAborted();
  if (record.verdict === 'failed') throw new LabError(`failover failed: ${record.reason}`, `see ${path}`);
  return record;
}

export const demoFailoverCommand = new Command('demo-failover')
  .addOption(new Option('--mode <mode>', 'delete: the pod is deleted and re-created under its name; kill: the app is SIGKILLed and restarts in the same pod').choices(FAILOVER_MODES).makeOptionMandatory())
  .addOption(new Option('--pod <n>', 'the ordinal of the pod to fail (default: the highest)').argParser(wholeNumber(0, 999)))
  .addOption(new Option('--interval <duration>', 'probe: time between two requests through the Service').argParser(parseDuration).default(DEFAULTS.demoFailover.interval, durationLabel(DEFAULTS.demoFailover.interval)))
  .addOption(new Option('--timeout <duration>', 'how long the pod may take to be Ready again').argParser(parseDuration).default(DEFAULTS.demoFailover.timeout, durationLabel(DEFAULTS.demoFailover.timeout)))
  .addOption(new Option('--settle <duration>', 'probe before the failure and after the pod is back').argParser(parseDuration).default(DEFAULTS.demoFailover.settle, durationLabel(DEFAULTS.demoFailover.settle)))
  .addOption(new Option('--url <url>', 'reach the Service here instead of finding the NodePort').argParser(httpUrl).env('K8S_LAB_URL'))
  .option('--record-dir <dir>', 'where the run record is written', DEFAULTS.demoFailover.recordDir)
  .action(async (options: FailoverCommandOptions, command: Command) => {
    await demoFailover(labFor(command), options);
  });

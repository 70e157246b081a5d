import type { RunRecord, Strategy } from '../demos/record.js';
import { runDemo } from '../demos/run.js';
import { durationLabel, FLOORS } from '../defaults.js';
import { UsageError } from '../errors.js';
import { interrupts } from '../interrupt.js';
import type { Lab } from '../lab-context.js';
import { packageVersion } from '../paths.js';
import { isInteractive } from '../live/view.js';
import { StepGate, whyPhase } from '../live/step.js';
import { demoEnding, probingLine, renderDataChecks, renderPhases, runDemoCommand, seconds, verdictLines } from './demo-command.js';

export interface DemoCommandOptions {
  strategy: Strategy;
  to?: string;
  canaryPercent: number;
  check: number;
  interval: number;
  timeout: number;
  readyTimeout: number;
  settle: number;
  broken?: boolean;
  keepCanaryPvcs?: boolean;
  /** `--no-recover` sets it false; undefined means true. */
  recover?: boolean;
  url?: string;
  recordDir: string;
  emulateRecreate?: boolean;
  maxUnavailable?: number | string;
  /** Wait for Enter before each phase (a terminal only). */
  step?: boolean;
}

/** Options that belong to one strategy: given with another, they are a usage error (nothing runs). */
export function checkStrategyOptions(
  options: Pick<DemoCommandOptions, 'strategy' | 'emulateRecreate' | 'maxUnavailable'> & Partial<Pick<DemoCommandOptions, 'check' | 'interval'>>,
): void {
  const { check, interval, strategy } = options;
  const least = interval === undefined ? 0 : FLOORS.checkIntervals * interval;
  if ((strategy === 'canary' || strategy === 'partition') && check !== undefined && check < least) {
    throw new UsageError(
      `--check ${durationLabel(check)} spans fewer than ${FLOORS.checkIntervals} probe requests (one every ${interval} ms): the new pods may see none, and the ${strategy} would stop after changing the release`,
      `pass --check ${durationLabel(least)} or more, or a shorter --interval`,
    );
  }
  if (options.emulateRecreate && options.strategy !== 'recreate') {
    throw new UsageError(`--emulate-recreate applies to --strategy recreate only, not ${options.strategy}`, 'leave it out, or pass --strategy recreate');
  }
  if (options.maxUnavailable !== undefined && options.strategy !== 'rolling') {
    throw new UsageError(`--max-unavailable applies to --strategy rolling only, not ${options.strategy}`, 'leave it out, or pass --strategy rolling');
  }
}

/** The human summary of a run record. */
export function renderSummary(record: RunRecord, path: string): string {
  const { probe } = record;
  return [
    renderPhases(record.phases),
    '',
    `probe: ${probe.requests} requests every ${probe.intervalMs} ms through the Service: ${probe.ok} ok, ${probe.failures} failed (${(probe.successRatio * 100).toFixed(2)} %), longest outage ${probe.longestOutageMs} ms`,
    `most pods down at once: ${record.maxPodsDown}`,
    '',
    renderDataChecks(record.dataChecks),
    '',
    ...(record.method ? [`recreate: ${record.method.label} (${record.method.why})`] : []),
    // A demo that did not pass ends with its error line, which gives the reason and the record's path once.
    ...(record.verdict === 'passed'
      ? [...verdictLines(`${record.strategy} ${record.versions.from} → ${record.versions.to}`, record, path)]
      : [`${record.strategy} ${record.versions.from} → ${record.versions.to}: ${record.verdict} (${seconds(record.durationMs)})`]),
  ].join('\n');
}

export async function demoUpdate(lab: Lab, options: DemoCommandOptions): Promise<void> {
  checkStrategyOptions(options);
  if (options.step && !(isInteractive({ stream: lab.stderr, json: lab.json }) && lab.stdin.isTTY)) {
    throw new UsageError(
      '--step waits for Enter before each phase, which needs a terminal: stdin and stderr are not one (a pipe, CI or --json)',
      'leave out --step, or run it in a terminal',
    );
  }
  await runDemoCommand(lab, {
    recordDir: options.recordDir,
    startLine: () => probingLine(`${options.strategy} update of ${lab.release}`, options.interval),
    run: async (rl, signal, live) => {
      const gate = options.step ? new StepGate(lab.stdin) : undefined;
      const beforePhase = gate
        ? async (name: string, detail: string) => {
            live.feed({ kind: 'paused', t: live.clock(), next: { name, detail, why: whyPhase(name) } });
            await gate.wait(interrupts.signal);
          }
        : undefined;
      gate?.start();
      try {
        return await runDemo(
          rl,
          {
            strategy: options.strategy,
            to: options.to,
            canaryPercent: options.canaryPercent,
            checkMs: options.check,
            intervalMs: options.interval,
            timeoutMs: options.timeout,
            readyTimeoutMs: options.readyTimeout,
            settleMs: options.settle,
            broken: Boolean(options.broken),
            keepCanaryPvcs: Boolean(options.keepCanaryPvcs),
            recover: options.recover !== false,
            url: options.url,
            recordDir: options.recordDir,
            k8sLabVersion: packageVersion(),
            emulateRecreate: Boolean(options.emulateRecreate),
            maxUnavailable: options.maxUnavailable,
          },
          signal,
          { feed: live.feed, beforePhase },
        );
      } finally {
        gate?.stop();
      }
    },
    summary: renderSummary,
    ending: (record, path) => demoEnding(record, path, record.strategy, `${record.strategy} update failed`),
  });
}

import { join } from 'node:path';
import { MINUTE, SECOND } from './limits.js';

// The defaults of the options users choose, in one table: the option declarations (commands/*.ts)
// and the steps of `lab` read them from here. Durations in milliseconds.

const RECORD_DIR = join('lab-report', 'runs');
/** The lessons' run records (demo-failover, demo-scale): a directory of their own, apart from the update demos'. */
const LESSON_DIR = join('lab-report', 'lessons');

export const DEFAULTS = {
  deploy: { timeout: 5 * MINUTE },
  traffic: { requests: 20, concurrency: 4, requestTimeout: 5 * SECOND },
  demoUpdate: { canaryPercent: 25, check: 10 * SECOND, interval: 100, timeout: 5 * MINUTE, readyTimeout: 2 * MINUTE, settle: SECOND, recordDir: RECORD_DIR },
  demoFailover: { interval: 100, timeout: 5 * MINUTE, settle: 2 * SECOND, recordDir: LESSON_DIR },
  demoScale: { to: 6, interval: 100, timeout: 5 * MINUTE, settle: 2 * SECOND, recordDir: LESSON_DIR },
  report: { output: join('lab-report', 'README.md'), recordDir: RECORD_DIR, lessonDir: LESSON_DIR },
  teardown: { timeout: 2 * MINUTE },
  lab: { requests: 40 },
};

/**
 * The shortest values the options take: a value of the right type below these would be found out
 * only once the demo has changed the release (bench/probe-floor.mjs and the README say how each was
 * chosen).
 */
export const FLOORS = {
  /**
   * The probe sends one request every --interval, open loop, and in a rolling update of two pods
   * one pod answers them all. Measured with bench/probe-floor.mjs (the chart's server.py on one
   * core, its counter on the disk): every 20 ms (50 a second) it answers as fast as at 100 ms, p50
   * 5-10 ms, none failed in 3 runs; every 10 ms the p99 rose 5-30x and 1 run in 2 failed requests;
   * every 5 ms or less the app saturates (120-240 a second answered, 2-85 % failed). 20 ms keeps
   * the probe at half the rate where it starts to measure itself.
   */
  probeIntervalMs: 20,
  /**
   * --timeout and --ready-timeout wait on pods. Replacing one pod of the chart took 6.7-8.0 s in the
   * update demos on the project's cluster (lab-report/runs: its 5 s preStop drain, then start and
   * the first readiness check): a wait shorter than that times out after the change was made, so
   * 10 s is the least that any wait on pods can meet.
   */
  podWaitMs: 10 * SECOND,
  /**
   * canary and partition: --check must span this many --interval, so that the new pods see requests:
   * with 2 replicas and 1 canary each request reaches it with p = 1/3, and 20 requests all miss it
   * with p = (2/3)^20 < 0.1 %, when the check aborts with "no request reached the canary pods".
   */
  checkIntervals: 20,
};

/** How a default duration reads in --help: `100ms`, `10s`, `5m`. */
export function durationLabel(ms: number): string {
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  if (ms % SECOND === 0) return `${ms / SECOND}s`;
  return `${ms}ms`;
}

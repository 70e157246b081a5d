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
  demoIdentity: { interval: 100, timeout: 5 * MINUTE, settle: 2 * SECOND, pendingFor: 10 * SECOND, recordDir: LESSON_DIR },
  demoDrain: { interval: 100, timeout: 5 * MINUTE, settle: 2 * SECOND, recordDir: LESSON_DIR },
  demoNodeLoss: { interval: 100, timeout: 5 * MINUTE, settle: 3 * SECOND, recordDir: LESSON_DIR },
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
   * The probe sends one request every --interval, open loop, and in a rolling update of two pods one
   * pod answers them all. Measured with bench/probe-floor.mjs, 5 s per rate, on a machine whose 2
   * cores also run the cluster and other jobs (load average 10-14): the chart's server.py alone on one
   * core, and one pod of the chart on the cluster through its NodePort. Every 50 ms (20 a second) no
   * request failed in 5 runs and the p50 stayed as at 100 ms (8-19 ms). Every 20-25 ms the pod on the
   * cluster fell behind in 2 runs of 4 (64 % and 93 % failed, the rest timing out); every 10 ms half
   * failed there; every 5 ms or less the app saturates everywhere. 50 ms keeps the probe clear of the
   * rate where it measures itself, with that machine's noise.
   */
  probeIntervalMs: 50,
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

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

/** How a default duration reads in --help: `100ms`, `10s`, `5m`. */
export function durationLabel(ms: number): string {
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  if (ms % SECOND === 0) return `${ms / SECOND}s`;
  return `${ms}ms`;
}

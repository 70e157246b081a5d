import type { Strategy } from '../demos/record.js';
import { FAILOVER_MODES, LESSONS, type Lesson } from '../demos/lessons.js';
import { InterruptedError, LabError } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import type { Lab } from '../lab-context.js';
import { checkOutputDir, checkOutputFile } from '../output-path.js';
import { highlight } from '../ui/logger.js';
import { counters } from './counters.js';
import { demoFailover } from './demo-failover.js';
import { demoNodeLoss } from './demo-node-loss.js';
import { demoScale } from './demo-scale.js';
import { nodeLossUnavailable } from '../demos/node-loss.js';
import { demoUpdate } from './demo-update.js';
import { deploy } from './deploy.js';
import { doctor } from './doctor.js';
import { report } from './report.js';
import { traffic } from './traffic.js';

export interface LabOptions {
  image?: { repository: string; tag?: string };
  replicas?: number;
  requests: number;
  strategies: Strategy[];
  url?: string;
  output: string;
  recordDir: string;
  /** The lessons run after the update demos; empty with `--lessons none`. */
  lessons?: Lesson[];
  lessonDir?: string;
}

/** The whole lab in one go; stops at the first step that fails, naming it. */
export async function runLab(lab: Lab, options: LabOptions): Promise<void> {
  // Where the last steps write is checked before the first step.
  checkOutputFile(options.output, '--output');
  checkOutputDir(options.recordDir, '--record-dir');
  const lessons = options.lessons ?? [...LESSONS];
  const lessonDir = options.lessonDir ?? DEFAULTS.report.lessonDir;
  if (lessons.length) checkOutputDir(lessonDir, '--lesson-dir');
  const steps: [string, () => Promise<unknown>][] = [
    ['doctor', () => doctor(lab, { url: options.url })],
    ['deploy', () => deploy(lab, { ...DEFAULTS.deploy, replicas: options.replicas, image: options.image, set: [], values: [] })],
    ['traffic', () => traffic(lab, { ...DEFAULTS.traffic, requests: options.requests, url: options.url })],
    ['counters', () => counters(lab)],
    ...options.strategies.map((strategy): [string, () => Promise<unknown>] => [
      `demo-update --strategy ${strategy}`,
      () => demoUpdate(lab, { ...DEFAULTS.demoUpdate, strategy, url: options.url, recordDir: options.recordDir }),
    ]),
    ...lessons.flatMap((lesson): [string, () => Promise<unknown>][] =>
      lesson === 'node-loss'
        ? [['demo-node-loss --recover start', () => nodeLossStep(lab, options.url, lessonDir)]]
        : lesson === 'scale'
          ? [
              [
                'demo-scale --policy both',
                () =>
                  demoScale(lab, {
                    ...DEFAULTS.demoScale,
                    to: Math.max(DEFAULTS.demoScale.to, (options.replicas ?? 2) + 1),
                    policy: 'both',
                    pvcRetention: 'retain',
                    url: options.url,
                    recordDir: lessonDir,
                  }),
              ],
            ]
          : FAILOVER_MODES.map((mode): [string, () => Promise<unknown>] => [
              `demo-failover --mode ${mode}`,
              () => demoFailover(lab, { ...DEFAULTS.demoFailover, mode, url: options.url, recordDir: lessonDir }),
            ]),
    ),
    ['report', () => report(lab, { output: options.output, recordDir: options.recordDir, lessonDir })],
  ];
  for (const [index, [name, step]] of steps.entries()) {
    lab.log.info(highlight.bold(`\n[${index + 1}/${steps.length}] ${name}`));
    try {
      await step();
    } catch (error) {
      if (error instanceof LabError) {
        // Interrupted stays interrupted (exit 130); any other failure of a step is the lab's (exit 1).
        const Stopped = error instanceof InterruptedError ? InterruptedError : LabError;
        throw new Stopped(`lab stopped at step ${index + 1} (${name}): ${error.message}`, error.hint, error.detail);
      }
      throw error;
    }
  }
}

/** demo-node-loss where the cluster has two or more schedulable nodes and k8s-lab can stop one; else one line saying why not. */
async function nodeLossStep(lab: Lab, url: string | undefined, lessonDir: string): Promise<unknown> {
  const why = await nodeLossUnavailable(lab);
  if (why) {
    lab.log.warn(`node-loss skipped: ${why}`);
    return undefined;
  }
  return demoNodeLoss(lab, { ...DEFAULTS.demoNodeLoss, recover: 'start', url, recordDir: lessonDir });
}

import type { Strategy } from '../demos/record.js';
import { FAILOVER_MODES, LESSONS, type Lesson } from '../demos/lessons.js';
import { InterruptedError, LabError } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import type { Lab } from '../lab-context.js';
import { checkOutputDir, checkOutputFile } from '../output-path.js';
import { highlight } from '../ui/logger.js';
import { counters } from './counters.js';
import { drainLesson } from './demo-drain.js';
import { demoFailover } from './demo-failover.js';
import { labIdentity } from './demo-identity.js';
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

type Step = [string, () => Promise<unknown>];

/** Each lesson's steps in `lab`, in the order of LESSONS; a node lesson skips itself, in one line, where it cannot run. */
const LESSON_STEPS: Record<Lesson, (lab: Lab, options: LabOptions, recordDir: string) => Step[]> = {
  failover: (lab, { url }, recordDir) =>
    FAILOVER_MODES.map((mode): Step => [`demo-failover --mode ${mode}`, () => demoFailover(lab, { ...DEFAULTS.demoFailover, mode, url, recordDir })]),
  scale: (lab, { url, replicas }, recordDir) => [
    [
      'demo-scale --policy both',
      () =>
        demoScale(lab, {
          ...DEFAULTS.demoScale,
          to: Math.max(DEFAULTS.demoScale.to, (replicas ?? 2) + 1),
          policy: 'both',
          pvcRetention: 'retain',
          url,
          recordDir,
        }),
    ],
  ],
  identity: (lab, { url }, recordDir) => [['demo-identity', () => labIdentity(lab, { url, recordDir })]],
  'node-loss': (lab, { url }, recordDir) => [['demo-node-loss --recover start', () => nodeLossStep(lab, url, recordDir)]],
  drain: (lab, { url }, recordDir) => [['demo-drain', () => drainLesson(lab, { ...DEFAULTS.demoDrain, url, recordDir })]],
};

/** The whole lab in one go; stops at the first step that fails, naming it. */
export async function runLab(lab: Lab, options: LabOptions): Promise<void> {
  // Where the last steps write is checked before the first step.
  checkOutputFile(options.output, '--output');
  checkOutputDir(options.recordDir, '--record-dir');
  const lessons = options.lessons ?? [...LESSONS];
  const lessonDir = options.lessonDir ?? DEFAULTS.report.lessonDir;
  if (lessons.length) checkOutputDir(lessonDir, '--lesson-dir');
  const steps: Step[] = [
    ['doctor', () => doctor(lab, { url: options.url })],
    ['deploy', () => deploy(lab, { ...DEFAULTS.deploy, replicas: options.replicas, image: options.image, set: [], values: [] })],
    ['traffic', () => traffic(lab, { ...DEFAULTS.traffic, requests: options.requests, url: options.url })],
    ['counters', () => counters(lab)],
    ...options.strategies.map((strategy): Step => [
      `demo-update --strategy ${strategy}`,
      () => demoUpdate(lab, { ...DEFAULTS.demoUpdate, strategy, url: options.url, recordDir: options.recordDir }),
    ]),
    ...lessons.flatMap((lesson) => LESSON_STEPS[lesson](lab, options, lessonDir)),
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
    lab.log.info(`demo-node-loss skipped: ${why}`);
    return undefined;
  }
  return demoNodeLoss(lab, { ...DEFAULTS.demoNodeLoss, recover: 'start', url, recordDir: lessonDir });
}

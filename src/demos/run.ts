import { appVersionViolation } from '../chart-schema.js';
import { LabError, UsageError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { RolloutTimeout } from '../rollout.js';
import { offersMaxUnavailable, offersRecreate, RECREATE_METHODS, type RecreateMethod } from '../features.js';
import { nextVersion } from './analysis.js';
import { runOnHarness, snapshot, withDemoReader, writeRecord, type DemoHooks, type DemoSteps, type Seen, type DemoTimings } from './harness.js';
import { checkDeployedRelease } from './lesson-checks.js';
import { buildRunRecord } from './outcome.js';
import type { RunMethod, RunRecord, Strategy } from './record.js';
import type { DemoSession } from './session.js';
import { strategies, type StrategyOutcome } from './strategies.js';
import { explainNotReady, notReadyPods, recoveryCommands, undoDemo, type StartingPoint } from './undo.js';

export interface DemoOptions extends DemoTimings {
  strategy: Strategy;
  to?: string;
  canaryPercent: number;
  checkMs: number;
  readyTimeoutMs: number;
  broken: boolean;
  keepCanaryPvcs: boolean;
  /** A stuck update is reverted and its stuck pods replaced (the documented recovery). */
  recover: boolean;
  /** recreate: emulate it (OnDelete + delete) even where the server has the Recreate strategy. */
  emulateRecreate?: boolean;
  /** rolling: `rollingUpdate.maxUnavailable` for this update. */
  maxUnavailable?: number | string;
}

interface ReleaseValues {
  replicaCount?: number;
  app?: { version?: string; broken?: boolean };
  updateStrategy?: { type?: string; partition?: number; maxUnavailable?: number | string | null };
}

/** Checks with helm that the release can be updated now and returns what it runs. */
async function checkRelease(lab: Lab, options: DemoOptions) {
  const { revision, values } = await checkDeployedRelease(lab);
  const { app, replicaCount, updateStrategy } = values as ReleaseValues;
  const from = app?.version ?? 'v1';
  const to = options.to ?? nextVersion(from);
  if (to === from) throw new UsageError(`the release already runs ${from}`, 'pass another --to version');
  const invalid = options.to === undefined ? appVersionViolation(to) : undefined;
  if (invalid) throw new UsageError(`the version after ${from}, "${to}", is not a valid app version: ${invalid}`, 'pass --to with a version such as v2');
  const replicas = replicaCount ?? 2;
  if (replicas < 1) throw new LabError(`release ${lab.release} has 0 replicas: nothing to update`, 'deploy with --replicas 2 first');
  if ((updateStrategy?.partition ?? 0) !== 0 || (updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    throw new LabError(
      `release ${lab.release} is mid-update (updateStrategy ${updateStrategy?.type} partition ${updateStrategy?.partition})`,
      'finish or undo it first: `k8s-lab deploy` with your usual options resets it',
    );
  }
  return { from, to, replicas, revision, previousMaxUnavailable: updateStrategy?.maxUnavailable ?? null };
}

/**
 * How the strategy can run on this server, asked before anything changes: recreate natively where
 * the API server accepts updateStrategy Recreate, and a maxUnavailable only where the server keeps
 * it (a server-side dry-run patch of the release's StatefulSet each; nothing is stored).
 */
export async function chooseMethod(
  lab: Lab,
  options: Pick<DemoOptions, 'strategy' | 'emulateRecreate' | 'maxUnavailable'>,
): Promise<{ recreate: RecreateMethod; method?: RunMethod }> {
  const subject = { kind: 'patch', name: lab.release } as const;
  if (options.strategy === 'rolling' && options.maxUnavailable !== undefined) {
    const offer = await offersMaxUnavailable(lab.kubectl, subject, options.maxUnavailable);
    if (offer.state === 'no')
      throw new UsageError(
        `--max-unavailable ${options.maxUnavailable}: ${offer.why}; nothing was changed`,
        'leave out --max-unavailable, or turn on MaxUnavailableStatefulSet (on by default from Kubernetes 1.37)',
      );
    if (offer.state === 'unknown')
      throw new LabError(
        `--max-unavailable ${options.maxUnavailable}: ${offer.why}; nothing was changed`,
        'check that you may patch the StatefulSet (`kubectl auth can-i patch statefulsets`), or leave out --max-unavailable',
      );
  }
  if (options.strategy !== 'recreate') return { recreate: 'emulated' };
  if (options.emulateRecreate)
    return { recreate: 'emulated', method: { id: 'emulated-recreate', label: RECREATE_METHODS.emulated, why: '--emulate-recreate' } };
  const offer = await offersRecreate(lab.kubectl, subject);
  if (offer.state === 'yes') return { recreate: 'native', method: { id: 'native-recreate', label: RECREATE_METHODS.native, why: offer.why } };
  return { recreate: 'emulated', method: { id: 'emulated-recreate', label: RECREATE_METHODS.emulated, why: offer.why } };
}

interface StopContext {
  interruptedIn?: string;
  finished: boolean;
  undone: string[] | Error;
  start: StartingPoint;
  to: string;
}

/** What became of the release after the demo stopped. */
function afterStop(session: DemoSession, failure: Error, { interruptedIn, finished, undone, start, to }: StopContext): string {
  if (undone instanceof Error) return `undoing failed: ${undone.message}`;
  if (undone.length) return `${interruptedIn ? 'undone' : 'recovered'}: ${undone.join('; ')}`;
  if (finished) return `the update to ${to} had completed: nothing to undo`;
  if (!session.changed) return 'nothing had been changed';
  const stuck = failure instanceof RolloutTimeout ? notReadyPods(failure.state) : [];
  return `left as it is (--no-recover); to recover: ${recoveryCommands(session, start, stuck)}`;
}

/** Why the demo stopped and what was put back, as the record's reason. */
async function explainStop(session: DemoSession, failure: Error, context: StopContext): Promise<string> {
  const afterwards = afterStop(session, failure, context);
  if (context.interruptedIn) return `${failure.message} during ${context.interruptedIn}; ${afterwards}`;
  const why = failure instanceof RolloutTimeout ? await explainNotReady(session, failure.state) : '';
  return `${failure.message}${why ? ` (${why})` : ''}; ${afterwards}`;
}

/** Runs one measured update demo and returns its run record (also written to recordDir). */
export async function runDemo(lab: Lab, options: DemoOptions, signal?: AbortSignal, hooks: DemoHooks = {}): Promise<{ record: RunRecord; path: string }> {
  return withDemoReader(
    lab,
    options.timeoutMs,
    async (lab) => {
      const release = await checkRelease(lab, options);
      return { ...release, ...(await chooseMethod(lab, options)) };
    },
    async (demo, plan) => {
      const steps = updateSteps(plan, options);
      const seen = await runOnHarness(
        demo,
        {
          ...options,
          waitingFor: `pods of ${lab.release} (before the demo)`,
          start: {
            title: `${options.strategy} update of ${lab.release}:`,
            release: lab.release,
            from: plan.from,
            to: plan.to,
            replicas: plan.replicas,
            strategy: options.strategy,
          },
          hooks,
          signal,
        },
        steps,
      );
      const record = updateRecord(seen, steps.outcome, plan, options);
      return { record, path: writeRecord(options.recordDir, record) };
    },
  );
}

interface DemoPlan {
  from: string;
  to: string;
  replicas: number;
  /** The release's revision before the demo: what undoing rolls back to. */
  revision: number;
  previousMaxUnavailable: number | string | null;
  recreate: RecreateMethod;
  method?: RunMethod;
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** The update's phases on the harness; `outcome` is set once the strategy finished. */
function updateSteps(plan: DemoPlan, options: DemoOptions): DemoSteps<Snapshot> & { outcome?: StrategyOutcome } {
  const steps: DemoSteps<Snapshot> & { outcome?: StrategyOutcome } = {
    read: snapshot,
    prepare: ({ lab }) => {
      if (plan.method) lab.log.info(`${options.strategy}: ${plan.method.label} (${plan.method.why})`);
    },
    phases: async ({ session }) => {
      await session.phase('baseline', 'traffic before any change', () => session.hold(options.settleMs));
      steps.outcome = await strategies[options.strategy](session, {
        replicas: plan.replicas,
        from: plan.from,
        to: plan.to,
        canaryPercent: options.canaryPercent,
        checkMs: options.checkMs,
        readyTimeoutMs: options.readyTimeoutMs,
        broken: options.broken,
        keepCanaryPvcs: options.keepCanaryPvcs,
        recreate: plan.recreate,
        maxUnavailable: options.strategy === 'rolling' ? options.maxUnavailable : undefined,
        previousMaxUnavailable: plan.previousMaxUnavailable,
      });
      await session.phase('settle', 'traffic after the last change', () => session.hold(options.settleMs));
    },
    // Stopped halfway (Ctrl-C, a stuck rollout, a failed step): put the release back where it was,
    // with the probe still running, so the record shows what undoing cost.
    undo: async ({ session, start }, failure, interruptedIn) => {
      const startingPoint: StartingPoint = { revision: plan.revision, version: plan.from, replicas: plan.replicas, claims: start.claims };
      let undone: string[] | Error = [];
      if (session.changed && !steps.outcome && (interruptedIn || options.recover)) {
        session.undoing = true;
        undone = await session
          .phase(interruptedIn ? 'undo' : 'recover', `back to ${plan.from}: helm rollback to revision ${plan.revision}, pods not Ready replaced`, () =>
            undoDemo(session, startingPoint, { keepNewClaims: options.keepCanaryPvcs }),
          )
          .catch((error: Error) => error);
      }
      return explainStop(session, failure, { interruptedIn, finished: Boolean(steps.outcome), undone, start: startingPoint, to: plan.to });
    },
  };
  return steps;
}

/** The update's run record from what the harness saw. */
function updateRecord(seen: Seen<Snapshot>, outcome: StrategyOutcome | undefined, plan: DemoPlan, options: DemoOptions): RunRecord {
  const { frame, failure } = seen;
  return buildRunRecord({
    strategy: options.strategy,
    release: frame.lab.release,
    namespace: seen.namespace,
    cluster: seen.cluster,
    ...(frame.target.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    controlPlane: seen.controlPlane,
    versions: { from: plan.from, to: plan.to },
    replicas: plan.replicas,
    options,
    environment: seen.environment,
    startedAt: seen.startedAt,
    endedAt: seen.endedAt,
    phases: frame.session.phases,
    podEvents: seen.podEvents,
    initiallyReady: frame.start.ready,
    samples: seen.samples,
    counters: { before: frame.start.counters, after: seen.after?.counters ?? [] },
    notes: frame.session.notes,
    stop: failure && { message: failure.message, explanation: seen.stopMessage, interruptedIn: seen.interruptedIn },
    outcome,
    recreate: plan.recreate,
    method: plan.method,
  });
}

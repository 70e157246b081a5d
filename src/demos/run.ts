import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentVolumeClaim } from '../adapters/kube-objects.js';
import { isPodReady } from '../adapters/kube-objects.js';
import { inNamespace } from '../adapters/kubectl.js';
import { appVersionViolation } from '../chart-schema.js';
import { openProxiedReader, readCounters, statefulSetPods, type FileReader } from '../counters.js';
import { LabError, UsageError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { demoLimits } from '../limits.js';
import { makeDirs } from '../output-path.js';
import { Probe } from '../probe/probe.js';
import { checkUrlServes, resolveTarget, type ServiceTarget } from '../probe/target.js';
import { RolloutTimeout, waitForStatefulSet } from '../rollout.js';
import { refuseStale } from '../governing-service.js';
import { offersMaxUnavailable, offersRecreate, RECREATE_METHODS, type RecreateMethod } from '../features.js';
import { nextVersion } from './analysis.js';
import { buildRunRecord } from './outcome.js';
import { controlPlaneWindows } from './control-plane.js';
import type { CounterSnapshot, PodEvent, RunMethod, RunRecord, Strategy } from './record.js';
import { DemoSession } from './session.js';
import { strategies, type StrategyOutcome } from './strategies.js';
import { explainNotReady, notReadyPods, recoveryCommands, undoDemo, type StartingPoint } from './undo.js';
import { PodWatch } from './watch.js';
import type { LiveEvent } from '../live/state.js';

/** A pod watch's event as the live view takes it. */
export function podEvent(e: PodEvent & { baseline?: boolean }): LiveEvent {
  return { kind: 'pod', t: e.t, pod: e.pod, change: e.type, revision: e.revision, version: e.version, baseline: e.baseline };
}

/** A probe of the Service at `intervalMs`, each sample also fed to the live view. */
export function demoProbe(target: ServiceTarget, intervalMs: number, clock: () => number, feed?: (event: LiveEvent) => void): Probe {
  return new Probe(target, {
    intervalMs,
    timeoutMs: demoLimits.probeRequestMs(intervalMs),
    clock,
    onSample: feed && ((sample) => feed({ kind: 'sample', sample })),
  });
}

/** What a live view gets from a demo: its events, and a say before each phase (--step). */
export interface DemoHooks {
  feed?: (event: LiveEvent) => void;
  /** Awaited before each phase but those undoing the demo; it throws to stop the demo. */
  beforePhase?: (name: string, detail: string) => Promise<void>;
}

export interface DemoOptions {
  strategy: Strategy;
  to?: string;
  canaryPercent: number;
  checkMs: number;
  intervalMs: number;
  timeoutMs: number;
  readyTimeoutMs: number;
  broken: boolean;
  keepCanaryPvcs: boolean;
  /** A stuck update is reverted and its stuck pods replaced (the documented recovery). */
  recover: boolean;
  url?: string;
  recordDir: string;
  /** Probe before the first change and after the last, so the record shows steady state. */
  settleMs: number;
  k8sLabVersion: string;
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

/**
 * Every pod's counter with its PVC's UID (a re-created claim has a new UID and no data), the pods
 * Ready and the release's PVCs, from one read of each.
 */
export async function snapshot(lab: Lab, files: FileReader): Promise<{ counters: CounterSnapshot[]; ready: string[]; claims: string[] }> {
  const [pods, claims] = await Promise.all([
    statefulSetPods(lab.kubectl, lab.release),
    lab.kubectl.list<PersistentVolumeClaim & { metadata: { uid?: string } }>('persistentvolumeclaims', lab.releaseSelector),
  ]);
  const readings = await readCounters(lab.kubectl, pods, 8, files);
  const counters = readings.map((r) => ({
    pod: r.pod,
    ordinal: r.ordinal,
    counter: r.counter,
    pvc: r.pvc,
    pvcUid: claims.find((c) => c.metadata.name === r.pvc)?.metadata.uid ?? null,
    revision: r.revision,
    version: r.version,
  }));
  return { counters, ready: pods.filter(isPodReady).map((p) => p.metadata.name), claims: claims.map((c) => c.metadata.name) };
}

/** Checks with helm that the release can be updated now and returns what it runs. */
async function checkRelease(lab: Lab, options: DemoOptions) {
  const [release, values, statefulSet] = await Promise.all([
    lab.helm.find(lab.release),
    lab.helm.values(lab.release).catch(() => undefined),
    lab.kubectl.statefulSet(lab.release).catch(() => undefined),
  ]);
  const where = inNamespace(lab.target);
  if (!release) throw new LabError(`release ${lab.release} is not installed${where}`, 'deploy it first: `k8s-lab deploy`');
  if (release.status !== 'deployed')
    throw new LabError(`release ${lab.release} is ${release.status}, not deployed`, 'bring it back with `k8s-lab deploy` (or `helm rollback`) first');
  refuseStale(lab, statefulSet);
  const { app, replicaCount, updateStrategy } = (values ?? (await lab.helm.values(lab.release))) as ReleaseValues;
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
  return { from, to, replicas, revision: Number(release.revision), previousMaxUnavailable: updateStrategy?.maxUnavailable ?? null };
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
export async function runDemo(
  lab: Lab,
  options: DemoOptions,
  onPhase: (name: string, detail: string) => void,
  signal?: AbortSignal,
  hooks: DemoHooks = {},
): Promise<{ record: RunRecord; path: string }> {
  // One kubectl proxy for the whole demo: its reads of the StatefulSet, pods, PVCs and counter
  // files are HTTP GETs rather than a kubectl process each, which was most of what a demo cost
  // beyond the update itself. When it does not start, kubectl reads everything as before.
  const opening = openProxiedReader(lab, demoLimits.proxyMs(options.timeoutMs));
  try {
    const [reader, { release, method }, helm, kubectlClient] = await Promise.all([
      opening,
      checkRelease(lab, options).then(async (release) => ({ release, method: await chooseMethod(lab, options) })),
      lab.helm.version(),
      lab.kubectl.clientVersion(),
    ]);
    return await measure(
      reader ? { ...lab, kubectl: reader.kubectl } : lab,
      reader ?? lab.kubectl,
      { ...release, ...method, helm: helm.version, kubectlClient },
      options,
      onPhase,
      signal,
      hooks,
    );
  } finally {
    await (await opening)?.close();
  }
}

interface DemoPlan {
  from: string;
  to: string;
  replicas: number;
  /** The release's revision before the demo: what undoing rolls back to. */
  revision: number;
  helm: string;
  kubectlClient: string;
  previousMaxUnavailable: number | string | null;
  recreate: RecreateMethod;
  method?: RunMethod;
}

async function measure(
  lab: Lab,
  files: FileReader,
  plan: DemoPlan,
  options: DemoOptions,
  onPhase: (name: string, detail: string) => void,
  signal: AbortSignal | undefined,
  { feed, beforePhase }: DemoHooks,
): Promise<{ record: RunRecord; path: string }> {
  const { from, to, replicas, revision } = plan;
  await waitForStatefulSet(lab.kubectl, lab.release, {
    timeoutMs: demoLimits.readyBeforeMs,
    pollMs: demoLimits.readyBeforePollMs,
    waitingFor: `pods of ${lab.release} (before the demo)`,
    signal,
  });
  const [server, namespace, cluster, target, start] = await Promise.all([
    lab.kubectl.serverVersion(),
    lab.kubectl.namespace(),
    lab.kubectl.clusterIdentity(),
    resolveTarget(lab.kubectl, lab.release, options.url),
    snapshot(lab, files),
  ]);
  if (options.url) await checkUrlServes(target, lab.release);
  const before = start.counters;
  signal?.throwIfAborted();

  const startedAt = new Date();
  const t0 = Date.now();
  const clock = () => Date.now() - t0;
  feed?.({
    kind: 'start',
    t: 0,
    epochMs: t0,
    title: `${options.strategy} update of ${lab.release}:`,
    release: lab.release,
    from,
    to,
    replicas,
    strategy: options.strategy,
  });
  const watch = new PodWatch(lab.kubectl, lab.releaseSelector, clock, feed && ((e) => feed(podEvent(e))));
  const probe = demoProbe(target, options.intervalMs, clock, feed);
  const phaseBegins = (name: string, detail: string) => {
    onPhase(name, detail);
    feed?.({ kind: 'phase', t: clock(), name, detail });
  };
  const session = new DemoSession(lab, probe, watch, clock, options.timeoutMs, phaseBegins, files, signal);
  session.beforePhase = beforePhase;
  session.notes.push(`Probe: GET / through ${target.description} every ${options.intervalMs} ms.`);
  if (plan.method) lab.log.info(`${options.strategy}: ${plan.method.label} (${plan.method.why})`);

  let outcome: StrategyOutcome | undefined;
  let failure: Error | undefined;
  await watch.start(demoLimits.watchMs(options.timeoutMs));
  probe.start();
  try {
    await session.phase('baseline', 'traffic before any change', () => session.hold(options.settleMs));
    outcome = await strategies[options.strategy](session, {
      replicas,
      from,
      to,
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
  } catch (error) {
    failure = error as Error;
  }

  // Stopped halfway (Ctrl-C, a stuck rollout, a failed step): put the release back where it was,
  // with the probe still running, so the record shows what undoing cost.
  const interruptedIn = signal?.aborted ? (session.phases.at(-1)?.name ?? 'the start') : undefined;
  const startingPoint: StartingPoint = { revision, version: from, replicas, claims: start.claims };
  let undone: string[] | Error = [];
  if (failure && session.changed && !outcome && (interruptedIn || options.recover)) {
    session.undoing = true;
    undone = await session
      .phase(interruptedIn ? 'undo' : 'recover', `back to ${from}: helm rollback to revision ${revision}, pods not Ready replaced`, () =>
        undoDemo(session, startingPoint, { keepNewClaims: options.keepCanaryPvcs }),
      )
      .catch((error: Error) => error);
  }
  const stopReason = failure && (await explainStop(session, failure, { interruptedIn, finished: Boolean(outcome), undone, start: startingPoint, to }));
  const samples = await probe.stop();
  const podEvents = await watch.stop();
  const endedAt = new Date();
  const after = await snapshot(lab, files).then(
    (s) => s.counters,
    () => [] as CounterSnapshot[],
  );

  const record = buildRunRecord({
    strategy: options.strategy,
    release: lab.release,
    namespace,
    cluster,
    ...(target.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    controlPlane: controlPlaneWindows(watch.breaks, lab.changeFaults ?? [], startedAt.getTime(), endedAt.getTime() - startedAt.getTime()),
    versions: { from, to },
    replicas,
    options,
    environment: { kubernetes: server ?? 'unknown', helm: plan.helm, kubectl: plan.kubectlClient, k8sLab: options.k8sLabVersion, node: process.version },
    startedAt,
    endedAt,
    phases: session.phases,
    podEvents,
    initiallyReady: start.ready,
    samples,
    counters: { before, after },
    notes: session.notes,
    stop: failure && { message: failure.message, explanation: stopReason, interruptedIn },
    outcome,
    recreate: plan.recreate,
    method: plan.method,
  });
  makeDirs(options.recordDir);
  const path = join(options.recordDir, `${record.id}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return { record, path };
}

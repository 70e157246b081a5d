import { kubectlChanges } from '../adapters/changes.js';
import {
  containerProbes,
  containerRestart,
  isPodReady,
  podClaim,
  podRestarts,
  type PersistentVolumeClaim,
  type Pod,
  type ProbeSettings,
} from '../adapters/kube-objects.js';
import type { ProcessSignal } from '../adapters/kubectl.js';
import { APP_CONTAINER, type FileReader } from '../counters.js';
import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { demoLimits } from '../limits.js';
import { summarizeProbe } from '../probe/stats.js';
import { isStatefulSetSettled } from '../adapters/kube-objects.js';
import { checkData } from './analysis.js';
import { explainFailover, failoverFigures, hangDetectionWindow, podClockWithin, type FailureMoment } from './failover-analysis.js';
import { decideFailover, type FailoverMode, type FailoverRecord, type PodIdentity } from './lessons.js';
import type { CounterSnapshot } from './record.js';
import { lessonRun, runOnHarness, snapshot, type Lesson, type Seen } from './harness.js';
import { checkLessonRelease, lessonOrdinal, type LessonOptions } from './lesson-checks.js';
import { DemoSession } from './session.js';

/** The app's command line in the chart (chart/templates/statefulset.yaml): what --mode kill SIGKILLs and --mode hang SIGSTOPs. */
export const APP_COMMAND = ['python3', '/app/server.py'];

export interface FailoverOptions extends LessonOptions {
  mode: FailoverMode;
}

/** The pod's identity: its UID, claim and claim's UID, restarts and counter. */
function identify(
  pod: Pod | undefined,
  name: string,
  claims: (PersistentVolumeClaim & { metadata: { uid?: string } })[],
  counters: CounterSnapshot[],
): PodIdentity | null {
  if (!pod) return null;
  const pvc = podClaim(pod) ?? null;
  return {
    pod: name,
    uid: (pod.metadata as { uid?: string }).uid ?? null,
    pvc,
    pvcUid: claims.find((c) => c.metadata.name === pvc)?.metadata.uid ?? null,
    restarts: podRestarts(pod),
    counter: counters.find((c) => c.pod === name)?.counter ?? null,
    container: containerRestart(pod, APP_CONTAINER),
  };
}

async function readIdentity(lab: Lab, files: FileReader, name: string): Promise<{ identity: PodIdentity | null; counters: CounterSnapshot[] }> {
  const [snap, pods, claims] = await Promise.all([
    snapshot(lab, files),
    lab.kubectl.pods(lab.releaseSelector),
    lab.kubectl.list<PersistentVolumeClaim & { metadata: { uid?: string } }>('persistentvolumeclaims', lab.releaseSelector),
  ]);
  const pod = pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
  return { identity: identify(pod, name, claims, snap.counters), counters: snap.counters };
}

/** Every check before anything changes: the release deployed, a pod to fail, --pod in range. */
async function checkFailover(lab: Lab, options: Pick<FailoverOptions, 'pod'>): Promise<FailoverPlan> {
  const { replicas } = await checkLessonRelease(lab);
  if (replicas < 1) throw new LabError(`release ${lab.release} has 0 replicas: no pod to fail`, 'deploy with --replicas 2 first');
  return { replicas, ordinal: lessonOrdinal(lab.release, options.pod, replicas) };
}

/** Runs the failover lesson and returns its run record (also written to recordDir). */
export const runFailover = lessonRun(checkFailover, measureFailover);

interface FailoverPlan {
  replicas: number;
  ordinal: number;
}

/** The probes of the app container, read from the live StatefulSet (not from chart defaults). */
interface LiveProbes {
  readiness: ProbeSettings | null;
  liveness: ProbeSettings | null;
}

const FAIL_WHAT: Record<FailoverMode, (name: string) => string> = {
  delete: (name) => `kubectl delete pod ${name} (graceful: preStop, SIGTERM, drain)`,
  kill: (name) => `SIGKILL to the app (${APP_COMMAND.join(' ')}) in ${name}: no SIGTERM, no drain`,
  hang: (name) => `SIGSTOP to the app (${APP_COMMAND.join(' ')}) in ${name}: it keeps its port and answers nothing`,
};

/** Whether the pods share their process namespace: a signal from inside reaches the app only then (it is not PID 1). */
function checkSharedProcesses(mode: FailoverMode, statefulSet: Parameters<typeof containerProbes>[0], release: string): void {
  if (mode === 'delete' || statefulSet.spec.template?.spec?.shareProcessNamespace) return;
  throw new LabError(
    `--mode ${mode}: the pods of ${release} do not share their process namespace, so the app is PID 1 of its container, which ignores a ${mode === 'kill' ? 'SIGKILL' : 'SIGSTOP'} sent from inside; nothing was changed`,
    'deploy again with this version of k8s-lab (its chart sets shareProcessNamespace: true), or use --mode delete',
  );
}

/** Sends `signal` to the app in `pod` through kubectl exec, timing it with the run's clock and the pod's. */
async function signalApp(
  lab: Lab,
  pod: string,
  signal: ProcessSignal,
  clock: () => number,
  t0: number,
): Promise<{ moment: FailureMoment; found: boolean; states: string[] }> {
  const requestedAt = clock();
  const result = await lab.kubectl.signalProcess(pod, APP_CONTAINER, APP_COMMAND, signal);
  const doneAt = clock();
  const podClockAt = result.atEpochMs === null ? null : podClockWithin(requestedAt, doneAt, result.atEpochMs - t0);
  return { moment: { requestedAt, doneAt, podClockAt }, found: result.found, states: result.states };
}

/** What the phases of a run leave behind for its record. */
interface FailoverRun {
  failure?: FailureMoment;
  /** hang: the SIGCONT (null: none sent yet) and the app's states after it. */
  resume: (FailureMoment & { states: string[] }) | null;
  /** hang: a SIGSTOP may have reached the app, so it must get a SIGCONT before the lesson ends. */
  mayBeStopped: boolean;
}

/** Until the watch sees `name` not Ready after `since`, or `deadlineMs` passes; then `afterMs` more, and at least until `untilMs`. */
async function holdWhileHung(
  session: DemoSession,
  name: string,
  since: number,
  limits: { deadlineMs: number; afterMs: number; untilMs: number },
): Promise<void> {
  const out = () => session.watch.events.some((e) => e.pod === name && e.t >= since && e.type !== 'ready' && e.type !== 'created' && e.type !== 'scheduled');
  while (!out() && session.clock() < since + limits.deadlineMs) await session.hold(100);
  await session.hold(limits.afterMs);
  while (session.clock() < since + limits.untilMs) await session.hold(100);
}

/**
 * How long a hang lasts: until the pod is seen not Ready (at most three times the readiness probe's
 * longest detection, at least 10 s, at most --timeout), then the settle time to show
 * the Service has stopped sending it requests (at least 1 s); with a liveness probe, long enough for it to act.
 */
function hangLimits(probes: LiveProbes, settleMs: number, timeoutMs: number): { deadlineMs: number; afterMs: number; untilMs: number } {
  const detect = probes.readiness ? hangDetectionWindow(probes.readiness).maxMs : 10_000;
  const l = probes.liveness;
  // Its failureThreshold failures, as hangDetectionWindow counts them, a period more, and 3 s for the restart.
  const liveness = l ? Math.min(timeoutMs, hangDetectionWindow(l).maxMs + 3000) : 0;
  return { deadlineMs: Math.min(timeoutMs, Math.max(10_000, 3 * detect)), afterMs: Math.max(settleMs, 1000), untilMs: liveness };
}

/** The phases: baseline traffic, the failure, (hang: the stop held, then SIGCONT,) the pod back, settle. */
async function failoverPhases(
  lab: Lab,
  session: DemoSession,
  name: string,
  mode: FailoverMode,
  options: FailoverOptions,
  probes: LiveProbes,
  t0: number,
  run: FailoverRun,
  back: (state: { statefulSet: Parameters<typeof isStatefulSetSettled>[0]; pods: Pod[] }) => boolean,
): Promise<void> {
  await session.phase('baseline', 'traffic before the failure', () => session.hold(options.settleMs));
  await session.phase('fail', FAIL_WHAT[mode](name), async () => {
    session.checkpoint();
    session.changed = true;
    if (mode === 'delete') {
      const requestedAt = session.clock();
      await lab.apply(kubectlChanges.deletePods(lab.kubectl, [name]));
      run.failure = { requestedAt, doneAt: session.clock(), podClockAt: null };
      return;
    }
    run.mayBeStopped = mode === 'hang';
    const sent = await signalApp(lab, name, mode === 'kill' ? 'SIGKILL' : 'SIGSTOP', session.clock, t0);
    run.failure = sent.moment;
    if (!sent.found) throw new LabError(`no process "${APP_COMMAND.join(' ')}" found in ${name}`, 'check the pod: kubectl describe pod');
  });
  if (mode === 'hang') {
    const r = probes.readiness;
    const limits = hangLimits(probes, options.settleMs, options.timeoutMs);
    await session.phase(
      'hang',
      r
        ? `until ${name} is out of the Service (readiness probe: periodSeconds ${r.periodSeconds}, failureThreshold ${r.failureThreshold}, timeoutSeconds ${r.timeoutSeconds}), then ${(limits.afterMs / 1000).toFixed(1)} s more`
        : `${name} has no readiness probe: ${(limits.deadlineMs / 1000).toFixed(1)} s stopped`,
      () => holdWhileHung(session, name, run.failure!.requestedAt, limits),
    );
    await session.phase('resume', `SIGCONT to the app in ${name}`, () => resumeApp(lab, session, name, t0, run));
  }
  const how = { delete: 're-created by the StatefulSet', kill: 'the container restarted by the kubelet', hang: 'its readiness probe passing again' }[mode];
  await session.phase('recover', `until ${name} is Ready again (${how})`, () => session.waitFor({ until: back, waitingFor: `${name} Ready again` }));
  await session.phase('settle', 'traffic after the pod is back', () => session.hold(Math.max(options.settleMs, 1000)));
}

/** SIGCONT to the app; records it and the app's state after it. */
async function resumeApp(lab: Lab, session: DemoSession, name: string, t0: number, run: FailoverRun): Promise<void> {
  const sent = await signalApp(lab, name, 'SIGCONT', session.clock, t0);
  run.resume = { ...sent.moment, states: sent.states };
  run.mayBeStopped = sent.states.includes('T');
}

async function measureFailover({ demo, lab, plan, options, spec }: Lesson<FailoverOptions, FailoverPlan>): Promise<FailoverRecord> {
  const name = `${lab.release}-${plan.ordinal}`;
  let probes: LiveProbes = { readiness: null, liveness: null };
  const run: FailoverRun = { resume: null, mayBeStopped: false };
  const back = (state: { statefulSet: Parameters<typeof isStatefulSetSettled>[0]; pods: Pod[] }, before: PodIdentity) => {
    const pod = state.pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
    if (!pod || !isPodReady(pod) || !isStatefulSetSettled(state.statefulSet, state.pods)) return false;
    const uid = (pod.metadata as { uid?: string }).uid ?? null;
    if (options.mode === 'delete') return uid !== before.uid;
    return options.mode === 'kill' ? podRestarts(pod) > before.restarts : uid === before.uid;
  };
  const seen = await runOnHarness(
    demo,
    {
      ...spec,
      start: { title: `failover (${options.mode}) of ${name}`, release: lab.release, replicas: plan.replicas },
    },
    {
      read: (lab, files) => readIdentity(lab, files, name),
      inspect: (before) => {
        checkSharedProcesses(options.mode, before.statefulSet, lab.release);
        probes = containerProbes(before.statefulSet, APP_CONTAINER);
      },
      prepare: ({ start, session }) => {
        if (!start.identity) throw new LabError(`pod ${name} is not there`, `check it: kubectl get pod ${name}`);
        if (options.mode === 'kill' && start.identity.restarts > 0) {
          // kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts
          const n = start.identity.restarts;
          session.notes.push(
            `${name}'s container had restarted ${n} time${n > 1 ? 's' : ''} before: the kubelet's restart back-off (10 s, doubling, reset after 10 min running) may hold this restart back.`,
          );
        }
      },
      phases: ({ session, t0, start }) => failoverPhases(lab, session, name, options.mode, options, probes, t0, run, (state) => back(state, start.identity!)),
      undo: ({ session, t0, start }, failure, interruptedIn) =>
        undoFailover(lab, session, name, failure, interruptedIn, t0, run, (state) => back(state, start.identity!)),
    },
  );
  return failoverRecord({ seen, name, options, plan, probes, run });
}

/**
 * After the phases: a stopped app gets its SIGCONT whatever happened (an error, Ctrl-C); after
 * Ctrl-C, the pod is waited for until it is Ready again (the StatefulSet or the kubelet brings it
 * back by itself). Returns the message to stop with, when the phases failed.
 */
async function undoFailover(
  lab: Lab,
  session: DemoSession,
  name: string,
  failure: Error,
  interruptedIn: string | undefined,
  t0: number,
  run: FailoverRun,
  back: (state: { statefulSet: Parameters<typeof isStatefulSetSettled>[0]; pods: Pod[] }) => boolean,
): Promise<string> {
  const said: string[] = [];
  if (run.mayBeStopped) {
    session.undoing = true;
    said.push(
      await session
        .phase('undo', `SIGCONT to the app in ${name}`, () => resumeApp(lab, session, name, t0, run))
        .then(
          () => (run.mayBeStopped ? `SIGCONT sent, but ${name}'s app is still stopped` : `SIGCONT sent: ${name}'s app resumed`),
          (error: Error) => `SIGCONT to ${name}'s app failed (${error.message}): it may still be stopped; \`kubectl delete pod ${name}\` replaces it`,
        ),
    );
  }
  if (session.changed && interruptedIn) {
    session.undoing = true;
    said.push(
      await session
        .phase('undo', `until ${name} is Ready again`, () => session.waitFor({ until: back, waitingFor: `${name} Ready again` }))
        .then(
          () => `${name} is Ready again`,
          (error: Error) => `waiting for ${name} failed: ${error.message}`,
        ),
    );
  }
  const where = interruptedIn ? ` during ${interruptedIn}` : '';
  return said.length || where ? `${failure.message}${where}${said.length ? `; ${said.join('; ')}` : ''}` : failure.message;
}

interface RecordInputs {
  seen: Seen<{ identity: PodIdentity | null; counters: CounterSnapshot[] }>;
  name: string;
  options: FailoverOptions;
  plan: FailoverPlan;
  probes: LiveProbes;
  run: FailoverRun;
}

/** The run record: what was measured, the figures, the explanation they support and the verdict. */
function failoverRecord(i: RecordInputs): FailoverRecord {
  const { options, run, name, seen } = i;
  const { frame, samples, podEvents } = seen;
  const before = frame.start.identity!;
  const after = seen.after ?? { identity: null, counters: [] as CounterSnapshot[] };
  const failure = run.failure;
  const requestTimeoutMs = demoLimits.probeRequestMs(options.intervalMs);
  const figures = failure ? failoverFigures({ pod: name, failure, resume: run.resume, podEvents, samples }) : undefined;
  const dataChecks = checkData(frame.start.counters, after.counters, samples);
  const explanation = figures
    ? explainFailover(figures, {
        mode: options.mode,
        pod: name,
        replicas: i.plan.replicas,
        readiness: i.probes.readiness,
        liveness: i.probes.liveness,
        restarts: { before: before.restarts, after: after.identity?.restarts ?? null },
        requestTimeoutMs,
        restart: options.mode === 'kill' ? after.identity?.container : undefined,
      })
    : undefined;
  const readyAgainMs = figures?.readyAgainMs ?? null;
  const { verdict, reason } = decideFailover({
    mode: options.mode,
    stop: seen.failure && { message: seen.stopMessage ?? seen.failure.message, interruptedIn: seen.interruptedIn },
    before,
    after: after.identity,
    readyAgainMs,
    dataChecks,
    resumed: run.resume,
    liveness: i.probes.liveness !== null,
  });
  const none = { count: 0, firstMs: null, lastMs: null, spanMs: 0 };
  return {
    schema: 1,
    lesson: 'failover',
    id: `${seen.startedAt.toISOString().replace(/[:.]/g, '-')}-failover-${options.mode}`,
    release: frame.lab.release,
    namespace: seen.namespace,
    cluster: seen.cluster,
    ...(frame.target.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    ...(seen.controlPlane && { controlPlane: seen.controlPlane }),
    mode: options.mode,
    pod: name,
    options: { replicas: i.plan.replicas, intervalMs: options.intervalMs, settleMs: options.settleMs },
    environment: seen.environment,
    startedAt: seen.startedAt.toISOString(),
    endedAt: seen.endedAt.toISOString(),
    durationMs: seen.endedAt.getTime() - seen.startedAt.getTime(),
    phases: frame.session.phases,
    podEvents,
    failedAt: failure?.requestedAt ?? -1,
    ...(failure && { failure }),
    ...(options.mode === 'hang' && { resume: run.resume }),
    readyAgainMs,
    failedRequests: figures
      ? { count: figures.failed.count, firstMs: figures.failed.firstMs, lastMs: figures.failed.lastMs, spanMs: figures.failed.spanMs }
      : none,
    identity: { before, after: after.identity },
    readiness: i.probes.readiness,
    liveness: i.probes.liveness,
    requestTimeoutMs,
    ...(explanation && { explanation: explanation.lines }),
    advice: explanation?.advice ?? 'nothing was failed, so nothing was measured',
    probe: summarizeProbe(samples, options.intervalMs),
    samples: samples,
    counters: { before: frame.start.counters, after: after.counters },
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    verdict,
    reason,
    notes: frame.session.notes,
  };
}

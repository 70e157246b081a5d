import { kubectlChanges } from '../adapters/changes.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPodReady, podClaim, podRestarts, type PersistentVolumeClaim, type Pod } from '../adapters/kube-objects.js';
import { inNamespace } from '../adapters/kubectl.js';
import { APP_CONTAINER, openProxiedReader, type FileReader } from '../counters.js';
import { LabError, UsageError } from '../errors.js';
import { refuseStale } from '../governing-service.js';
import type { Lab } from '../lab-context.js';
import { demoLimits } from '../limits.js';
import { makeDirs } from '../output-path.js';
import { summarizeProbe } from '../probe/stats.js';
import { resolveTarget } from '../probe/target.js';
import { isStatefulSetSettled } from '../adapters/kube-objects.js';
import { waitForStatefulSet } from '../rollout.js';
import { checkData } from './analysis.js';
import {
  crashAdvice,
  decideFailover,
  failedRequestsSince,
  readyAgainAfter,
  type FailoverMode,
  type FailoverRecord,
  type PodIdentity,
  type ReadinessSettings,
} from './lessons.js';
import type { CounterSnapshot } from './record.js';
import { demoProbe, podEvent, snapshot, type DemoHooks } from './run.js';
import { DemoSession } from './session.js';
import { PodWatch } from './watch.js';

/** The app's command line in the chart (chart/templates/statefulset.yaml): what --mode kill SIGKILLs. */
export const APP_COMMAND = ['python3', '/app/server.py'];

export interface FailoverOptions {
  mode: FailoverMode;
  /** The ordinal; undefined: the highest. */
  pod?: number;
  intervalMs: number;
  timeoutMs: number;
  settleMs: number;
  url?: string;
  recordDir: string;
  k8sLabVersion: string;
}

interface LessonValues {
  replicaCount?: number;
  readinessProbe?: Partial<ReadinessSettings>;
}

/** The release as a lesson finds it: deployed, its replica count and readiness probe. */
export async function checkLessonRelease(
  lab: Lab,
): Promise<{ replicas: number; revision: number; values: Record<string, unknown>; readiness: ReadinessSettings }> {
  const [release, values, statefulSet] = await Promise.all([
    lab.helm.find(lab.release),
    lab.helm.values(lab.release).catch(() => undefined),
    lab.kubectl.statefulSet(lab.release).catch(() => undefined),
  ]);
  if (!release) throw new LabError(`release ${lab.release} is not installed${inNamespace(lab.target)}`, 'deploy it first: `k8s-lab deploy`');
  if (release.status !== 'deployed')
    throw new LabError(`release ${lab.release} is ${release.status}, not deployed`, 'bring it back with `k8s-lab deploy` (or `helm rollback`) first');
  refuseStale(lab, statefulSet);
  const all = values ?? (await lab.helm.values(lab.release));
  const { replicaCount, readinessProbe } = all as LessonValues;
  const replicas = replicaCount ?? 2;
  const readiness = {
    periodSeconds: readinessProbe?.periodSeconds ?? 10,
    failureThreshold: readinessProbe?.failureThreshold ?? 3,
    timeoutSeconds: readinessProbe?.timeoutSeconds ?? 1,
  };
  return { replicas, revision: Number(release.revision), values: all, readiness };
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

/** Runs the failover lesson and returns its run record (also written to recordDir). */
export async function runFailover(
  lab: Lab,
  options: FailoverOptions,
  onPhase: (name: string, detail: string) => void,
  signal?: AbortSignal,
  hooks: Pick<DemoHooks, 'feed'> = {},
): Promise<{ record: FailoverRecord; path: string }> {
  const opening = openProxiedReader(lab, demoLimits.proxyMs(options.timeoutMs));
  try {
    const [reader, release, helm, kubectlClient] = await Promise.all([opening, checkLessonRelease(lab), lab.helm.version(), lab.kubectl.clientVersion()]);
    const { replicas } = release;
    if (replicas < 1) throw new LabError(`release ${lab.release} has 0 replicas: no pod to fail`, 'deploy with --replicas 2 first');
    const ordinal = options.pod ?? replicas - 1;
    if (ordinal >= replicas)
      throw new UsageError(
        `--pod ${ordinal}: release ${lab.release} has ${replicas} replicas (pods 0-${replicas - 1}); nothing was changed`,
        `pass --pod 0 to ${replicas - 1}, or leave it out for the highest`,
      );
    const rl = reader ? { ...lab, kubectl: reader.kubectl } : lab;
    return await measureFailover(rl, reader ?? lab.kubectl, { ...release, ordinal, helm: helm.version, kubectlClient }, options, onPhase, signal, hooks);
  } finally {
    await (await opening)?.close();
  }
}

interface FailoverPlan {
  replicas: number;
  ordinal: number;
  readiness: ReadinessSettings;
  helm: string;
  kubectlClient: string;
}

async function measureFailover(
  lab: Lab,
  files: FileReader,
  plan: FailoverPlan,
  options: FailoverOptions,
  onPhase: (name: string, detail: string) => void,
  signal: AbortSignal | undefined,
  { feed }: Pick<DemoHooks, 'feed'>,
): Promise<{ record: FailoverRecord; path: string }> {
  const name = `${lab.release}-${plan.ordinal}`;
  const sts = await waitForStatefulSet(lab.kubectl, lab.release, {
    timeoutMs: demoLimits.readyBeforeMs,
    pollMs: demoLimits.readyBeforePollMs,
    waitingFor: `pods of ${lab.release} (before the lesson)`,
    signal,
  });
  if (
    options.mode === 'kill' &&
    !(sts.statefulSet.spec as { template?: { spec?: { shareProcessNamespace?: boolean } } }).template?.spec?.shareProcessNamespace
  ) {
    throw new LabError(
      `--mode kill: the pods of ${lab.release} do not share their process namespace, so the app is PID 1 of its container, which ignores a SIGKILL sent from inside; nothing was changed`,
      'deploy again with this version of k8s-lab (its chart sets shareProcessNamespace: true), or use --mode delete',
    );
  }
  const [server, namespace, target, start] = await Promise.all([
    lab.kubectl.serverVersion(),
    lab.kubectl.namespace(),
    resolveTarget(lab.kubectl, lab.release, options.url),
    readIdentity(lab, files, name),
  ]);
  if (!start.identity) throw new LabError(`pod ${name} is not there`, `check it: kubectl get pod ${name}`);
  const before = start.identity;
  signal?.throwIfAborted();

  const startedAt = new Date();
  const t0 = Date.now();
  const clock = () => Date.now() - t0;
  feed?.({ kind: 'start', t: 0, epochMs: t0, title: `failover (${options.mode}) of ${name}`, release: lab.release, replicas: plan.replicas });
  const watch = new PodWatch(lab.kubectl, lab.releaseSelector, clock, feed && ((e) => feed(podEvent(e))));
  const probe = demoProbe(target, options.intervalMs, clock, feed);
  const phaseBegins = (phase: string, detail: string) => {
    onPhase(phase, detail);
    feed?.({ kind: 'phase', t: clock(), name: phase, detail });
  };
  const session = new DemoSession(lab, probe, watch, clock, options.timeoutMs, phaseBegins, files, signal);
  session.notes.push(`Probe: GET / through ${target.description} every ${options.intervalMs} ms.`);
  if (options.mode === 'kill' && before.restarts > 0) {
    session.notes.push(
      `${name}'s container had restarted ${before.restarts} time${before.restarts > 1 ? 's' : ''} before: the kubelet's restart back-off (10 s, doubling, reset after 10 min running) may hold this restart back.`,
    );
  }

  const back = (state: { statefulSet: Parameters<typeof isStatefulSetSettled>[0]; pods: Pod[] }) => {
    const pod = state.pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
    if (!pod || !isPodReady(pod) || !isStatefulSetSettled(state.statefulSet, state.pods)) return false;
    const uid = (pod.metadata as { uid?: string }).uid ?? null;
    return options.mode === 'delete' ? uid !== before.uid : podRestarts(pod) > before.restarts;
  };

  let failedAt = -1;
  let failure: Error | undefined;
  await watch.start(demoLimits.watchMs(options.timeoutMs));
  probe.start();
  try {
    await session.phase('baseline', 'traffic before the failure', () => session.hold(options.settleMs));
    const what =
      options.mode === 'delete'
        ? `kubectl delete pod ${name} (graceful: preStop, SIGTERM, drain)`
        : `SIGKILL to the app (${APP_COMMAND.join(' ')}) in ${name}: no SIGTERM, no drain`;
    await session.phase('fail', what, async () => {
      session.checkpoint();
      session.changed = true;
      failedAt = clock();
      if (options.mode === 'delete') await lab.apply(kubectlChanges.deletePods(lab.kubectl, [name]));
      else {
        const { killed } = await lab.kubectl.killProcess(name, APP_CONTAINER, APP_COMMAND);
        if (!killed) throw new LabError(`no process "${APP_COMMAND.join(' ')}" found in ${name}`, 'check the pod: kubectl describe pod');
      }
    });
    await session.phase(
      'recover',
      `until ${name} is Ready again (${options.mode === 'delete' ? 're-created by the StatefulSet' : 'the container restarted by the kubelet'})`,
      () => session.waitFor({ until: back, waitingFor: `${name} Ready again` }),
    );
    await session.phase('settle', 'traffic after the pod is back', () => session.hold(Math.max(options.settleMs, 1000)));
  } catch (error) {
    failure = error as Error;
  }
  const interruptedIn = signal?.aborted ? (session.phases.at(-1)?.name ?? 'the start') : undefined;
  let stopMessage = failure?.message;
  if (failure && session.changed && interruptedIn) {
    // Nothing to roll back: the StatefulSet or the kubelet brings the pod back by itself; wait for it.
    session.undoing = true;
    const waited = await session
      .phase('undo', `until ${name} is Ready again`, () => session.waitFor({ until: back, waitingFor: `${name} Ready again` }))
      .then(
        () => `${name} is Ready again`,
        (error: Error) => `waiting for ${name} failed: ${error.message}`,
      );
    stopMessage = `${failure.message} during ${interruptedIn}; ${waited}`;
  }
  const samples = await probe.stop();
  const podEvents = await watch.stop();
  const endedAt = new Date();
  const after = await readIdentity(lab, files, name).catch(() => ({ identity: null, counters: [] as CounterSnapshot[] }));

  const failedRequests = failedAt < 0 ? { count: 0, firstMs: null, lastMs: null, spanMs: 0 } : failedRequestsSince(samples, failedAt);
  const readyAgainMs = failedAt < 0 ? null : readyAgainAfter(podEvents, name, failedAt);
  const dataChecks = checkData(start.counters, after.counters, samples);
  const { verdict, reason } = decideFailover({
    mode: options.mode,
    stop: failure && { message: stopMessage ?? failure.message, interruptedIn },
    before,
    after: after.identity,
    readyAgainMs,
    dataChecks,
  });
  const record: FailoverRecord = {
    schema: 1,
    lesson: 'failover',
    id: `${startedAt.toISOString().replace(/[:.]/g, '-')}-failover-${options.mode}`,
    release: lab.release,
    namespace,
    mode: options.mode,
    pod: name,
    options: { replicas: plan.replicas, intervalMs: options.intervalMs, settleMs: options.settleMs },
    environment: { kubernetes: server ?? 'unknown', helm: plan.helm, kubectl: plan.kubectlClient, k8sLab: options.k8sLabVersion, node: process.version },
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    phases: session.phases,
    podEvents,
    failedAt,
    readyAgainMs,
    failedRequests,
    identity: { before, after: after.identity },
    readiness: plan.readiness,
    advice: crashAdvice(options.mode, plan.readiness, failedRequests, plan.replicas),
    probe: summarizeProbe(samples, options.intervalMs),
    samples,
    counters: { before: start.counters, after: after.counters },
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    verdict,
    reason,
    notes: session.notes,
  };
  makeDirs(options.recordDir);
  const path = join(options.recordDir, `${record.id}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return { record, path };
}

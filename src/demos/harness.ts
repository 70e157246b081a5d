import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPodReady, type PersistentVolumeClaim } from '../adapters/kube-objects.js';
import type { ClusterIdentity } from '../adapters/kubectl.js';
import { openProxiedReader, readCounters, statefulSetPods, type FileReader } from '../counters.js';
import type { Lab } from '../lab-context.js';
import { demoLimits } from '../limits.js';
import type { LiveEvent } from '../events.js';
import { makeDirs } from '../output-path.js';
import { Probe } from '../probe/probe.js';
import type { ProbeSample } from '../probe/sample.js';
import { checkUrlServes, resolveTarget, type ServiceTarget } from '../probe/target.js';
import { waitForStatefulSet, type RolloutState } from '../rollout.js';
import type { CounterSnapshot, PodEvent, RunRecord } from './record.js';
import { DemoSession } from './session.js';
import { PodWatch } from './watch.js';
import { controlPlaneWindows, type ControlPlaneRecord } from './control-plane.js';
import { resumeRead, type ResumeOptions } from '../adapters/transient.js';

/**
 * One harness for every demo and lesson: it opens the demo (API reader, pod watch, probe, clock,
 * session feeding the live view), runs the demo's phases, undoes them when they stop half-way
 * (an error, Ctrl-C) with the probe still running, closes everything and returns what was seen.
 * What a demo adds is its checks, its phases, its undo and a pure function from `Seen` to its record.
 */

/** A pod watch's event as the live view takes it. */
export function podEvent(e: PodEvent & { baseline?: boolean }): LiveEvent {
  return { kind: 'pod', t: e.t, pod: e.pod, change: e.type, revision: e.revision, version: e.version, ...(e.node && { node: e.node }), baseline: e.baseline };
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

/** The versions of the tools a demo runs, for its record's environment. */
export interface ToolVersions {
  helm: string;
  kubectl: string;
}

/** What a demo reads with: the lab reading through the demo's reader, that reader's counter files, and the tools' versions. */
export interface DemoReader {
  lab: Lab;
  files: FileReader;
  tools: ToolVersions;
}

/** How a demo's reads go on across a control plane that is away: within a step's limit, each outage kept on the lab for the record. */
function resumeWithin(lab: Lab, stepTimeoutMs: number): ResumeOptions {
  return { limitMs: demoLimits.readResumeMs(stepTimeoutMs), onOutage: (outage) => lab.readOutages?.push(outage) };
}

/**
 * Opens the demo's reader (one API connection for reads and counter files; kubectl when the
 * kubeconfig needs it) and asks the tools' versions while `check` runs against the cluster, then
 * runs `body` with them, and closes the reader whatever happens. `check` is where every option is
 * checked before anything changes.
 */
export async function withDemoReader<P, T>(
  lab: Lab,
  timeoutMs: number,
  check: (lab: Lab) => Promise<P>,
  body: (demo: DemoReader, plan: P) => Promise<T>,
): Promise<T> {
  const opening = openProxiedReader(lab, demoLimits.proxyMs(timeoutMs), resumeWithin(lab, timeoutMs));
  try {
    const [reader, helm, kubectl, plan] = await Promise.all([opening, lab.helm.version(), lab.kubectl.clientVersion(), check(lab)]);
    const demo = reader ? { lab: { ...lab, kubectl: reader.kubectl }, files: reader } : { lab, files: lab.kubectl };
    return await body({ ...demo, tools: { helm: helm.version, kubectl } }, plan);
  } finally {
    await (await opening)?.close();
  }
}

/** The probe and time options every demo and lesson takes (ms), with k8s-lab's version. */
export interface DemoTimings {
  intervalMs: number;
  timeoutMs: number;
  /** Probe before the first change and after the last, so the record shows steady state. */
  settleMs: number;
  url?: string;
  recordDir: string;
  k8sLabVersion: string;
}

/** A lesson's harness spec, all but its live view's start event. */
export type LessonSpec = Omit<HarnessSpec, 'start'>;

/** What a lesson's measured part works with: the demo's reader and its lab, the plan its check made, its options and harness spec. */
export interface Lesson<O, P> {
  demo: DemoReader;
  lab: Lab;
  plan: P;
  options: O;
  spec: LessonSpec;
}

/**
 * A lesson's run from its check (every option checked against the cluster, nothing changed) and
 * its measured part, which runs on the reader withDemoReader opened beside the check and returns
 * the record, written here.
 */
export function lessonRun<O extends DemoTimings, P, R extends { id: string }>(
  check: (lab: Lab, options: O) => Promise<P>,
  measure: (lesson: Lesson<O, P>) => Promise<R>,
): (lab: Lab, options: O, signal?: AbortSignal, hooks?: DemoHooks) => Promise<{ record: R; path: string }> {
  return (lab, options, signal, hooks = {}) =>
    withDemoReader(
      lab,
      options.timeoutMs,
      (lab) => check(lab, options),
      async (demo, plan) => {
        const spec = { ...options, waitingFor: `pods of ${lab.release} (before the lesson)`, hooks, signal };
        const record = await measure({ demo, lab: demo.lab, plan, options, spec });
        return { record, path: writeRecord(options.recordDir, record) };
      },
    );
}

/** What a demo is, for the harness. */
export interface HarnessSpec {
  intervalMs: number;
  timeoutMs: number;
  url?: string;
  /** Where the probe goes when the demo found that itself (demo-scale's temporary release); else found from `url`. */
  target?: ServiceTarget;
  k8sLabVersion: string;
  /** What the wait before the demo waits for, in its timeout message: `pods of helm-python (before the lesson)`. */
  waitingFor: string;
  /** The live view's start event, less its time. */
  start: Omit<Extract<LiveEvent, { kind: 'start' }>, 'kind' | 't' | 'epochMs'>;
  /** The live view's feed gets every phase as it begins (a command's view says its start line at the first). */
  hooks: DemoHooks;
  signal?: AbortSignal;
}

/** What the demo's steps work with. */
export interface DemoFrame<R> {
  lab: Lab;
  files: FileReader;
  session: DemoSession;
  clock: () => number;
  /** Date.now() at the clock's 0. */
  t0: number;
  target: ServiceTarget;
  /** The StatefulSet and its pods, settled, before the demo. */
  before: RolloutState;
  /** The demo's own read before anything changed (counters, identities). */
  start: R;
}

/** A demo's parts: its before/after read, its phases and its undo. */
export interface DemoSteps<R> {
  /** Read before the demo starts and again after it ends (for the record's before and after). */
  read: (lab: Lab, files: FileReader) => Promise<R>;
  /** Checks on the settled StatefulSet, before anything else is read; nothing changes here. */
  inspect?: (before: RolloutState) => void;
  /** Checks on the first read and notes for the record, before the probe starts; nothing changes here. */
  prepare?: (frame: DemoFrame<R>) => void | Promise<void>;
  phases: (frame: DemoFrame<R>) => Promise<void>;
  /**
   * After the phases threw (an error, or Ctrl-C: `interruptedIn` names the phase): put things back
   * (set `session.undoing` first, so Ctrl-C no longer stops the steps) and return the message to stop
   * with. Without it, the failure's own message.
   */
  undo?: (frame: DemoFrame<R>, failure: Error, interruptedIn: string | undefined) => Promise<string | undefined>;
}

/** What the harness saw: the input of a demo's pure record builder. */
export interface Seen<R> {
  frame: DemoFrame<R>;
  samples: ProbeSample[];
  podEvents: PodEvent[];
  failure?: Error;
  /** Ctrl-C: the phase it came in. */
  interruptedIn?: string;
  /** Why the demo stopped and what undoing did (when it failed). */
  stopMessage?: string;
  /** The demo's read after it ended; undefined when that read failed. */
  after?: R;
  startedAt: Date;
  endedAt: Date;
  environment: RunRecord['environment'];
  namespace: string;
  cluster: ClusterIdentity;
  /** When the control plane was away (the pod watch broken, changes failing with its fault); absent when never. */
  controlPlane?: ControlPlaneRecord;
}

/** Runs a demo on the harness: see the module's comment. Throws only before anything changed. */
export async function runOnHarness<R>(demo: DemoReader, spec: HarnessSpec, steps: DemoSteps<R>): Promise<Seen<R>> {
  const { lab, files, tools } = demo;
  const { signal, hooks } = spec;
  // This run's faults only: `lab` runs several demos on one Lab.
  const [changesBefore, readsBefore] = [lab.changeFaults?.length ?? 0, lab.readOutages?.length ?? 0];
  const before = await waitForStatefulSet(lab.kubectl, lab.release, {
    timeoutMs: demoLimits.readyBeforeMs,
    pollMs: demoLimits.readyBeforePollMs,
    waitingFor: spec.waitingFor,
    signal,
  });
  steps.inspect?.(before);
  const [server, namespace, cluster, target, start] = await Promise.all([
    lab.kubectl.serverVersion(),
    lab.kubectl.namespace(),
    lab.kubectl.clusterIdentity(),
    spec.target ?? resumeRead('finding the Service', () => resolveTarget(lab.kubectl, lab.release, spec.url), resumeWithin(lab, spec.timeoutMs)),
    steps.read(lab, files),
  ]);
  if (spec.url && !spec.target) await checkUrlServes(target, lab.release);
  signal?.throwIfAborted();

  const startedAt = new Date();
  const t0 = startedAt.getTime();
  const clock = () => Date.now() - t0;
  const { feed } = hooks;
  // Its lists are tried once each: the watch lists again every second itself, and says it was broken.
  const watch = new PodWatch(lab.kubectl.readingOnce(), lab.releaseSelector, clock, feed && ((e) => feed(podEvent(e))));
  const probe = demoProbe(target, spec.intervalMs, clock, feed);
  const phaseBegins = (name: string, detail: string) => feed?.({ kind: 'phase', t: clock(), name, detail });
  const session = new DemoSession(lab, probe, watch, clock, spec.timeoutMs, phaseBegins, files, signal);
  session.beforePhase = hooks.beforePhase;
  session.notes.push(`Probe: GET / through ${target.description} every ${spec.intervalMs} ms.`);
  const frame: DemoFrame<R> = { lab, files, session, clock, t0, target, before, start };
  await steps.prepare?.(frame);
  feed?.({ kind: 'start', t: 0, epochMs: t0, ...spec.start });

  await watch.start(demoLimits.watchMs(spec.timeoutMs));
  probe.start();
  let failure: Error | undefined;
  try {
    await steps.phases(frame);
  } catch (error) {
    failure = error as Error;
  }
  const interruptedIn = failure && signal?.aborted ? (session.phases.at(-1)?.name ?? 'the start') : undefined;
  const stopMessage = failure && ((await steps.undo?.(frame, failure, interruptedIn)) ?? failure.message);
  const samples = await probe.stop();
  const podEvents = await watch.stop();
  const endedAt = new Date();
  const after = await steps.read(lab, files).catch(() => undefined);
  return {
    frame,
    samples,
    podEvents,
    failure,
    interruptedIn,
    stopMessage,
    after,
    startedAt,
    endedAt,
    environment: { kubernetes: server ?? 'unknown', helm: tools.helm, kubectl: tools.kubectl, k8sLab: spec.k8sLabVersion, node: process.version },
    namespace,
    cluster,
    controlPlane: controlPlaneWindows(
      watch.breaks,
      (lab.changeFaults ?? []).slice(changesBefore),
      t0,
      endedAt.getTime() - t0,
      (lab.readOutages ?? []).slice(readsBefore),
    ),
  };
}

/** The one place a run record is written: `<dir>/<id>.json`. */
export function writeRecord(dir: string, record: { id: string }): string {
  makeDirs(dir);
  const path = join(dir, `${record.id}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

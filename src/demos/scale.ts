import { helmChanges, kubectlChanges } from '../adapters/changes.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLAIM_TEMPLATE, podOrdinal, type PersistentVolumeClaim, type StatefulSet } from '../adapters/kube-objects.js';
import { readCounters, statefulSetPods, type CounterReading, type FileReader } from '../counters.js';
import { LabError, UsageError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { DELETE_PVCS_MS, ROUTE_WAIT_MS } from '../limits.js';
import { chartDir } from '../paths.js';
import { summarizeProbe } from '../probe/stats.js';
import { untilRouted, urlTarget, type ServiceTarget } from '../probe/target.js';
import type { RolloutState } from '../rollout.js';
import { checkLessonRelease } from './lesson-checks.js';
import { checkBeforeScaling } from './scale-checks.js';
import {
  allReadyMs,
  checkStorage,
  decideScale,
  podTimes,
  readyOrder,
  rolloutShape,
  scaleDownOrder,
  type PodManagementPolicy,
  type PolicyChoice,
  type Retention,
  type ScaleRecord,
  type ScaleRun,
  type StorageFacts,
} from './lessons.js';
import type { Phase, PodEvent, ProbeSample } from './record.js';
import { DemoSession } from './session.js';
import { runOnHarness, withDemoReader, writeRecord, type DemoHooks, type DemoReader, type DemoSteps, type DemoTimings } from './harness.js';

export interface ScaleOptions extends DemoTimings {
  to: number;
  policy: PolicyChoice;
  pvcRetention: Retention;
  keepPvcs: boolean;
  /** The temporary release's NodePort; undefined: the release's own plus one. */
  nodePort?: number;
  /** The temporary release's URL (--url-2); else derived from `url` (see temporaryUrl). */
  url2?: string;
}

/**
 * How the temporary release is reached when the user chose how the main one is: --url-2 as given;
 * else --url with its port swapped for the temporary release's NodePort, when --url is on the
 * release's own NodePort (a node address, a kind/k3d port mapping: both NodePorts are there);
 * else nothing (found as without --url), with the reason. Pure.
 */
export function temporaryUrl(
  options: Pick<ScaleOptions, 'url' | 'url2'>,
  ownPort: number | undefined,
  nodePort: number | undefined,
): { url?: string; how: string } | undefined {
  if (options.url2) return { url: options.url2, how: 'given with --url-2' };
  if (!options.url) return undefined;
  const url = new URL(options.url);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (ownPort !== undefined && nodePort !== undefined && port === String(ownPort)) {
    url.port = String(nodePort);
    return { url: url.href.replace(/\/+$/, ''), how: `--url on NodePort ${nodePort}, the temporary release's` };
  }
  return {
    how: `--url ${options.url} is not on the release's NodePort${ownPort ? ` ${ownPort}` : ''}, so the temporary release (NodePort ${nodePort ?? 'any'}) was found as without --url; pass --url-2 to choose`,
  };
}

type ClaimWithUid = PersistentVolumeClaim & { metadata: { uid?: string } };

/** The same lab, acting on another release of the chart in the same namespace. */
export function labOfRelease(lab: Lab, release: string): Lab {
  return {
    ...lab,
    release,
    releaseSelector: lab.releaseSelector.replace(`app.kubernetes.io/instance=${lab.release}`, `app.kubernetes.io/instance=${release}`),
  };
}

/** The temporary release that runs the other pod management policy: `<release>-ordered` / `-parallel`. */
export function temporaryRelease(release: string, policy: PodManagementPolicy): string {
  return `${release}-${policy === 'OrderedReady' ? 'ordered' : 'parallel'}`;
}

const POLICIES: Record<PolicyChoice, PodManagementPolicy[]> = { parallel: ['Parallel'], ordered: ['OrderedReady'], both: ['Parallel', 'OrderedReady'] };

interface Retained {
  whenDeleted?: string;
  whenScaled?: string;
}

/** What the lesson found before its first change: the release, its policy, and the reads for the record. */
interface ScalePlan {
  replicas: number;
  values: Record<string, unknown>;
  own: PodManagementPolicy;
  nodePort?: number;
  secondUrl?: { url?: string; how: string };
  server: string | undefined;
  namespace: string;
  cluster: ScaleRecord['cluster'];
}

/** Every check before the first change (issue 22), with the reads the record needs; throws a one-line error, having changed nothing. */
async function planScale(lab: Lab, options: ScaleOptions): Promise<ScalePlan> {
  const [release, sts, server, namespace, cluster] = await Promise.all([
    checkLessonRelease(lab),
    lab.kubectl.statefulSet(lab.release),
    lab.kubectl.serverVersion(),
    lab.kubectl.namespace(),
    lab.kubectl.clusterIdentity(),
  ]);
  const { replicas } = release;
  if (!sts) throw new LabError(`release ${lab.release} has no StatefulSet ${lab.release}`, 'deploy it first: `k8s-lab deploy`');
  if (replicas < 1) throw new LabError(`release ${lab.release} has 0 replicas`, 'deploy with --replicas 2 first');
  if (options.to <= replicas)
    throw new UsageError(
      `--to ${options.to}: release ${lab.release} already has ${replicas} replicas; nothing was changed`,
      `pass --to ${replicas + 1} or more`,
    );
  const own = (sts.spec.podManagementPolicy ?? 'OrderedReady') as PodManagementPolicy;
  const temporaries = POLICIES[options.policy].filter((p) => p !== own).map((p) => temporaryRelease(lab.release, p));
  for (const name of temporaries) {
    if (await lab.helm.find(name))
      throw new LabError(
        `release ${name} already exists: demo-scale installs its temporary release under that name`,
        `remove it first: helm uninstall ${name}${lab.target.namespace ? ` -n ${lab.target.namespace}` : ''}`,
      );
  }
  const { nodePort, ownPort } = await checkBeforeScaling(lab, options, { own, temporaries: temporaries.length });
  return { replicas, values: release.values, own, nodePort, secondUrl: temporaryUrl(options, ownPort, nodePort), server, namespace, cluster };
}

/** Runs the scale lesson and returns its run record (also written to recordDir). */
export async function runScale(
  lab: Lab,
  options: ScaleOptions,
  signal?: AbortSignal,
  { feed }: Pick<DemoHooks, 'feed'> = {},
): Promise<{ record: ScaleRecord; path: string }> {
  const policies = POLICIES[options.policy];
  // One reader for the whole lesson: its policies' runs follow each other.
  return withDemoReader(
    lab,
    options.timeoutMs * policies.length,
    (lab) => planScale(lab, options),
    async (demo, plan) => {
      const { replicas } = plan;
      const startedAt = new Date();
      const t0 = startedAt.getTime();
      const clock = () => Date.now() - t0;
      const lesson = { phases: [] as Phase[], notes: [] as string[], cleanup: [] as string[] };
      const runs: ScaleRun[] = [];
      let stop: { failure?: Error; interruptedIn?: string } = {};
      for (const policy of policies) {
        const temporary = policy !== plan.own;
        const release = temporary ? temporaryRelease(lab.release, policy) : lab.release;
        const context = { ...plan, ...lesson, policy, temporary, clock, epochMs: t0, feed };
        const reader = { ...demo, lab: labOfRelease(demo.lab, release) };
        const outcome = await scalePolicy(labOfRelease(lab, release), reader, context, options, signal);
        if (outcome.run) runs.push(outcome.run);
        if (outcome.failure) {
          stop = outcome;
          break;
        }
      }
      const { tools } = demo;
      const environment = {
        kubernetes: plan.server ?? 'unknown',
        helm: tools.helm,
        kubectl: tools.kubectl,
        k8sLab: options.k8sLabVersion,
        node: process.version,
      };
      const record = scaleRecord(
        { lab, options, replicas, namespace: plan.namespace, cluster: plan.cluster, environment },
        { startedAt, endedAt: new Date(), runs, ...lesson, failure: stop.failure, interruptedIn: stop.interruptedIn },
      );
      return { record, path: writeRecord(options.recordDir, record) };
    },
  );
}

/** The lesson's record, from what it was asked and what its runs saw. Pure. */
export function scaleRecord(
  asked: {
    lab: Pick<Lab, 'release'>;
    options: ScaleOptions;
    replicas: number;
    namespace: string;
    cluster: ScaleRecord['cluster'];
    environment: ScaleRecord['environment'];
  },
  seen: { startedAt: Date; endedAt: Date; phases: Phase[]; runs: ScaleRun[]; cleanup: string[]; notes: string[]; failure?: Error; interruptedIn?: string },
): ScaleRecord {
  const { options, replicas } = asked;
  const { startedAt, endedAt, failure, interruptedIn, cleanup } = seen;
  const { verdict, reason } = decideScale(
    seen.runs,
    failure && {
      message: `${failure.message}${interruptedIn ? ` during ${interruptedIn}` : ''}; ${cleanup.join('; ') || 'nothing had been changed'}`,
      interruptedIn,
    },
  );
  return {
    schema: 1,
    lesson: 'scale',
    id: `${startedAt.toISOString().replace(/[:.]/g, '-')}-scale`,
    release: asked.lab.release,
    namespace: asked.namespace,
    cluster: asked.cluster,
    options: {
      replicas,
      to: options.to,
      policy: options.policy,
      pvcRetention: options.pvcRetention,
      keepPvcs: options.keepPvcs,
      intervalMs: options.intervalMs,
    },
    environment: asked.environment,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    phases: seen.phases,
    runs: seen.runs,
    cleanup,
    verdict,
    reason,
    notes: seen.notes,
  };
}

interface PolicyContext {
  policy: PodManagementPolicy;
  temporary: boolean;
  replicas: number;
  values: Record<string, unknown>;
  nodePort?: number;
  /** How a temporary release is reached when the user gave --url or --url-2 (temporaryUrl). */
  secondUrl?: { url?: string; how: string };
  clock: () => number;
  /** Date.now() at the clock's 0, for the live view. */
  epochMs: number;
  phases: Phase[];
  notes: string[];
  cleanup: string[];
  feed?: DemoHooks['feed'];
}

/**
 * Where the temporary release's probe goes: as the user said, once its new NodePort answers;
 * undefined to find it as without --url (saying why in the notes).
 */
async function temporaryTarget(context: PolicyContext, log: Lab['log']): Promise<ServiceTarget | undefined> {
  const chosen = context.secondUrl;
  if (!chosen?.url) {
    if (chosen) context.notes.push(chosen.how);
    return undefined;
  }
  const target = urlTarget(chosen.url, chosen.how);
  await untilRouted(target, ROUTE_WAIT_MS, (reason) => log.info(`waiting up to ${ROUTE_WAIT_MS / 1000} s for ${target.description} to answer (${reason})`));
  return target;
}

/** The claims of the release by name, with their UIDs. */
async function claimsOf(lab: Lab): Promise<Map<string, string | null>> {
  const claims = await lab.kubectl.list<ClaimWithUid>('persistentvolumeclaims', lab.releaseSelector);
  return new Map(claims.map((c) => [c.metadata.name, c.metadata.uid ?? null]));
}

const claimName = (release: string, ordinal: number) => `${CLAIM_TEMPLATE}-${release}-${ordinal}`;

/** Installs the temporary release: the user's values, the other policy, its own NodePort. */
async function installTemporary(lab: Lab, context: PolicyContext, options: ScaleOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-scale-'));
  try {
    const file = join(dir, 'values.json');
    // The release's values as they are (YAML reads JSON), so the temporary pods run what the user's do.
    writeFileSync(file, JSON.stringify(context.values));
    const retention = options.pvcRetention === 'delete' ? ['persistentVolumeClaimRetentionPolicy.whenScaled=Delete'] : [];
    await lab.apply(
      helmChanges.upgradeInstall(
        lab.helm,
        await lab.helm.major(),
        {
          release: lab.release,
          chart: chartDir,
          valuesFiles: [file],
          sets: [`replicaCount=${context.replicas}`, `service.nodePort=${context.nodePort ?? 'null'}`],
          setStrings: [`podManagementPolicy=${context.policy}`, 'fullnameOverride=', ...retention],
        },
        options.timeoutMs,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Until the StatefulSet has exactly `count` pods, all Ready (none still terminating). */
const exactly = (count: number) => (state: RolloutState) =>
  state.pods.length === count &&
  state.pods.every((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** When each measured step began (the run's clock), to split the probe's samples and the pod events. */
interface ScaleMarks {
  upAt: number;
  readEnd: number;
  downAt: number;
  againAt: number;
  againReadyAt: number;
  returnedAt: number;
  restoreAt: number;
}

/** What the steps read of the added pods: counters and claims before, after the scale-down, after the return. */
interface ScaleReads {
  readings: CounterReading[];
  claimsBefore: Map<string, string | null>;
  claimsDown: Map<string, string | null>;
  returned: CounterReading[];
  claimsAgain: Map<string, string | null>;
}

/** A policy's run under way: its session, the phase runner named after the policy, what it changed. */
interface PolicyRun {
  s: DemoSession;
  phase: <T>(name: string, detail: string, body: () => Promise<T>) => Promise<T>;
  rl: Lab;
  files: FileReader;
  added: number[];
  changes: { retentionChanged: boolean };
  /** The harness's clock, the one of the probe's samples and the pod events. */
  clock: () => number;
}

/** The counters of the pods at or above `replicas` (the ordinals the lesson added) and the release's claims. */
async function readAdded(rl: Lab, release: string, replicas: number, files: FileReader): Promise<[CounterReading[], Map<string, string | null>]> {
  const pods = (await statefulSetPods(rl.kubectl, release)).filter((p) => podOrdinal(p.metadata.name) >= replicas);
  return Promise.all([readCounters(rl.kubectl, pods, 8, files), claimsOf(rl)]);
}

/** Temporary release only: installs it with the other policy. */
async function installPhase(rl: Lab, lab: Lab, context: PolicyContext, options: ScaleOptions): Promise<void> {
  const { policy, replicas, clock } = context;
  const what = `helm install ${lab.release}: podManagementPolicy ${policy} (it cannot be changed on a live StatefulSet), ${replicas} replicas, NodePort ${context.nodePort ?? 'any'}; removed afterwards with its PVCs`;
  const start = clock();
  context.feed?.({ kind: 'phase', t: start, name: `${policy}: install`, detail: what });
  await installTemporary(rl, context, options);
  context.phases.push({ name: `${policy}: install`, start, end: clock(), detail: what });
  context.notes.push(`${policy} ran on the temporary release ${lab.release} (${what}).`);
}

/** --pvc-retention delete: the release's own StatefulSet gets whenScaled Delete; either way the server must keep it. */
async function retentionPhase(run: PolicyRun, lab: Lab, context: PolicyContext, options: ScaleOptions): Promise<void> {
  if (options.pvcRetention !== 'delete') return;
  if (!context.temporary) {
    await run.phase('retention', 'persistentVolumeClaimRetentionPolicy.whenScaled Delete (helm upgrade; no pod changes)', async () => {
      run.changes.retentionChanged = true;
      await run.s.upgrade({ 'persistentVolumeClaimRetentionPolicy.whenScaled': 'Delete' });
    });
  }
  const sts = (await run.rl.kubectl.statefulSet(lab.release)) as (StatefulSet & { spec: { persistentVolumeClaimRetentionPolicy?: Retained } }) | undefined;
  if (sts?.spec.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') {
    throw new LabError(
      '--pvc-retention delete: the server dropped persistentVolumeClaimRetentionPolicy (it has no StatefulSetAutoDeletePVC)',
      'leave out --pvc-retention, or use Kubernetes 1.32+',
    );
  }
}

/** Scale up, read the added pods, scale down, read their claims, scale up again, read them again. */
async function scaleSteps(
  run: PolicyRun,
  lab: Lab,
  context: PolicyContext,
  options: ScaleOptions,
): Promise<{ marks: Omit<ScaleMarks, 'restoreAt'>; reads: ScaleReads }> {
  const { s, phase, rl, files, added, clock } = run;
  const { replicas } = context;
  const to = options.to;
  const upAt = clock();
  await phase('scale up', `${replicas} → ${to} (helm upgrade replicaCount=${to})`, async () => {
    await s.upgrade({ replicaCount: to });
    await s.waitFor({ until: exactly(to), waitingFor: `${to} pods of ${lab.release} Ready` });
  });
  await phase('traffic', 'the added pods serve', () => s.hold(options.settleMs));
  const names = added.map((o) => `${lab.release}-${o}`).join(', ');
  const [readings, claimsBefore] = await phase('read', `counters and PVCs of ${names}`, () => readAdded(rl, lab.release, replicas, files));
  const readEnd = clock();
  await phase('traffic', 'more increments the added pods acknowledge before they go', () => s.hold(options.settleMs));

  const downAt = clock();
  await phase('scale down', `${to} → ${replicas}`, async () => {
    await s.upgrade({ replicaCount: replicas });
    await s.waitFor({ until: exactly(replicas), waitingFor: `${lab.release} back at ${replicas} pods` });
  });
  const removed = added.map((o) => claimName(lab.release, o));
  const deleting = options.pvcRetention === 'delete';
  const claimsDown = await phase('claims', deleting ? "until the StatefulSet has deleted the removed pods' PVCs" : "the removed pods' PVCs", async () => {
    const deadline = Date.now() + Math.min(options.timeoutMs, 60_000);
    for (;;) {
      const claims = await claimsOf(rl);
      if (!deleting || removed.every((c) => !claims.has(c)) || Date.now() > deadline) return claims;
      await s.hold(250);
    }
  });

  const againAt = clock();
  await phase('scale up again', `${replicas} → ${to}: the removed ordinals return`, async () => {
    await s.upgrade({ replicaCount: to });
    await s.waitFor({ until: exactly(to), waitingFor: `${to} pods of ${lab.release} Ready again` });
  });
  const againReadyAt = clock();
  const [returned, claimsAgain] = await phase('read again', "the returning pods' counters and PVCs", () => readAdded(rl, lab.release, replicas, files));
  const returnedAt = clock();
  return { marks: { upAt, readEnd, downAt, againAt, againReadyAt, returnedAt }, reads: { readings, claimsBefore, claimsDown, returned, claimsAgain } };
}

/** What one policy's run measured, from its samples, pod events, marks and reads. Pure. */
export function scaleRun(
  seen: {
    policy: PodManagementPolicy;
    release: string;
    temporary: boolean;
    viaApiServer?: boolean;
    replicas: number;
    to: number;
    intervalMs: number;
    retention: Retention;
  },
  marks: ScaleMarks,
  reads: ScaleReads,
  samples: ProbeSample[],
  events: PodEvent[],
): ScaleRun {
  const { release, replicas, to } = seen;
  const { upAt, readEnd, downAt, againAt, againReadyAt, returnedAt, restoreAt } = marks;
  const added = Array.from({ length: to - replicas }, (_, i) => replicas + i);
  const pods = added.map((o) => `${release}-${o}`);
  const acks = (pod: string, from: number, until: number) => samples.filter((x) => x.ok && x.pod === pod && x.t > from && x.t < until).length;
  const failedBetween = (from: number, until: number) => samples.filter((x) => !x.ok && x.t >= from && x.t < until).length;
  const storage = added.map((ordinal) => {
    const pod = `${release}-${ordinal}`;
    const pvc = claimName(release, ordinal);
    const facts: StorageFacts = {
      pod,
      pvc,
      retention: seen.retention,
      before: { counter: reads.readings.find((r) => r.pod === pod)?.counter ?? null, pvcUid: reads.claimsBefore.get(pvc) ?? null },
      acknowledgedAfterRead: acks(pod, readEnd, againAt),
      pvcUidAfterScaleDown: reads.claimsDown.get(pvc) ?? null,
      returned: { counter: reads.returned.find((r) => r.pod === pod)?.counter ?? null, pvcUid: reads.claimsAgain.get(pvc) ?? null },
      acknowledgedSinceReturn: acks(pod, againAt - 1, returnedAt + 1),
    };
    return checkStorage(facts);
  });
  const upTimes = podTimes(events, pods, upAt);
  const againTimes = podTimes(events, pods, againAt);
  const order = scaleDownOrder(events, pods, downAt);
  const doneDown = order.every((o) => o.deletedMs !== null) ? Math.max(0, ...order.map((o) => o.deletedMs ?? 0)) : null;
  return {
    policy: seen.policy,
    release,
    temporary: seen.temporary,
    ...(seen.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    from: replicas,
    to,
    up: { requestedAt: upAt, allReadyMs: allReadyMs(upTimes), pods: upTimes, readyOrder: readyOrder(upTimes), shape: rolloutShape(upTimes) },
    down: { requestedAt: downAt, doneMs: doneDown, order },
    again: { requestedAt: againAt, allReadyMs: allReadyMs(againTimes), pods: againTimes },
    probe: summarizeProbe(samples, seen.intervalMs),
    failedUp: failedBetween(upAt, downAt) + failedBetween(againAt, againReadyAt),
    failedDown: failedBetween(downAt, againAt) + failedBetween(restoreAt, Number.POSITIVE_INFINITY),
    storage,
  };
}

/** Phases and marks of a run on the harness's clock, moved onto the lesson's (its runs follow each other). */
function onLessonClock(phases: Phase[], run: ScaleRun | undefined, offset: number): { phases: Phase[]; run?: ScaleRun } {
  const moved = phases.map((p) => ({ ...p, start: p.start + offset, end: p.end + offset }));
  if (!run) return { phases: moved };
  return {
    phases: moved,
    run: {
      ...run,
      up: { ...run.up, requestedAt: run.up.requestedAt + offset },
      down: { ...run.down, requestedAt: run.down.requestedAt + offset },
      again: { ...run.again, requestedAt: run.again.requestedAt + offset },
    },
  };
}

/** What one policy's run shares between its steps, its undo and its end. */
interface PolicyState {
  /** A temporary release is installed and not yet removed. */
  installed: boolean;
  /** The release's own retention policy was changed and not yet put back. */
  retentionChanged: boolean;
  /** What the steps measured, once they have. */
  measured?: { marks: Omit<ScaleMarks, 'restoreAt'>; reads: ScaleReads; restoreAt: number };
  putBack: (session: DemoSession) => Promise<void>;
  say: (line: string) => void;
}

/** The harness's steps for one policy: baseline, retention, the scale steps, then (own release) restore and settle; the undo. */
function policySteps(lab: Lab, rl: Lab, files: FileReader, context: PolicyContext, options: ScaleOptions, state: PolicyState): DemoSteps<undefined> {
  const { policy } = context;
  const added = Array.from({ length: options.to - context.replicas }, (_, i) => context.replicas + i);
  return {
    read: async () => undefined,
    phases: async ({ session: s, clock }) => {
      const run: PolicyRun = { s, phase: (name, detail, body) => s.phase(`${policy}: ${name}`, detail, body), rl, files, added, changes: state, clock };
      await run.phase('baseline', 'traffic before scaling', () => s.hold(options.settleMs));
      await retentionPhase(run, lab, context, options);
      const { marks, reads } = await scaleSteps(run, lab, context, options);
      state.measured = { marks, reads, restoreAt: clock() };
      if (context.temporary) return;
      await state.putBack(s);
      state.retentionChanged = false;
      await run.phase('settle', 'traffic after the release is back', () => s.hold(options.settleMs));
    },
    undo: async ({ session }) => {
      session.undoing = true;
      try {
        if (session.changed || state.installed || state.retentionChanged) await state.putBack(session);
        state.installed = false;
      } catch (undoError) {
        state.say(`putting ${lab.release} back failed: ${(undoError as Error).message}`);
      }
      return undefined;
    },
  };
}

/**
 * Runs the lesson on one policy's release, on the demo harness: a temporary release is installed
 * first and removed after its probe stopped (its Service goes with it); the release's own is
 * scaled back and settled within the phases. On failure or Ctrl-C the harness runs the undo.
 */
async function scalePolicy(
  lab: Lab,
  demo: DemoReader,
  context: PolicyContext,
  options: ScaleOptions,
  signal?: AbortSignal,
): Promise<{ run?: ScaleRun; failure?: Error; interruptedIn?: string }> {
  const { policy, replicas, feed } = context;
  const original: Retained = ((context.values.persistentVolumeClaimRetentionPolicy ?? {}) as Retained) || {};
  const removed = Array.from({ length: options.to - replicas }, (_, i) => claimName(lab.release, replicas + i));
  const state: PolicyState = {
    installed: false,
    retentionChanged: false,
    say: (line) => {
      context.cleanup.push(line);
      lab.log.info(`  ${line}`);
    },
    putBack: (session) => restore(session, lab, context, options, { retentionChanged: state.retentionChanged, original, removed, say: state.say }),
  };
  const title = `scale of ${lab.release}: ${replicas} → ${options.to} (${policy})`;
  try {
    const { lab: rl, files } = demo;
    if (context.temporary) {
      signal?.throwIfAborted();
      feed?.({ kind: 'start', t: context.clock(), epochMs: context.epochMs, title, release: lab.release, replicas });
      state.installed = true;
      await installPhase(rl, lab, context, options);
    }
    const spec = {
      ...options,
      ...(context.temporary ? { url: undefined, target: await temporaryTarget(context, lab.log) } : {}),
      waitingFor: `pods of ${lab.release} (before scaling)`,
      start: { title, release: lab.release, replicas },
      hooks: { feed },
      signal,
    };
    const seen = await runOnHarness(demo, spec, policySteps(lab, rl, files, context, options, state));
    const { session, target } = seen.frame;
    if (context.temporary && state.installed) {
      // Not to be stopped half-way: the lesson is measured, this only removes what it installed.
      session.undoing = true;
      await state.putBack(session);
      state.installed = false;
    }
    // Each note says which policy's run it is about: `OrderedReady: probe GET / through … every 100 ms.`
    context.notes.push(...session.notes.map((note) => `${policy}: ${note.replace(/^Probe: /, 'probe ')}`));
    const facts = {
      policy,
      release: lab.release,
      temporary: context.temporary,
      viaApiServer: target.viaApiServer,
      replicas,
      to: options.to,
      intervalMs: options.intervalMs,
      retention: options.pvcRetention,
    };
    const { measured } = state;
    const run =
      !seen.failure && measured
        ? scaleRun(facts, { ...measured.marks, restoreAt: measured.restoreAt }, measured.reads, seen.samples, seen.podEvents)
        : undefined;
    const moved = onLessonClock(session.phases, run, seen.startedAt.getTime() - context.epochMs);
    context.phases.push(...moved.phases);
    return seen.failure ? { failure: seen.failure, interruptedIn: seen.interruptedIn } : { run: moved.run };
  } catch (error) {
    // The harness throws only before its first change; an installed temporary release still goes.
    if (state.installed)
      await removeTemporary(lab, options, state.say).catch((undoError: Error) => state.say(`removing ${lab.release} failed: ${undoError.message}`));
    return { failure: error as Error, interruptedIn: signal?.aborted ? 'the start' : undefined };
  }
}

/**
 * Puts the release back: at its replica count with its own retention policy, the PVCs of the
 * ordinals the lesson added deleted unless --keep-pvcs; a temporary release uninstalled with its PVCs.
 */
async function restore(
  session: DemoSession,
  lab: Lab,
  context: PolicyContext,
  options: ScaleOptions,
  { retentionChanged, original, removed, say }: { retentionChanged: boolean; original: Retained; removed: string[]; say: (line: string) => void },
): Promise<void> {
  const { replicas, policy } = context;
  await session.phase(
    `${policy}: restore`,
    context.temporary ? `helm uninstall ${lab.release} and delete its PVCs` : `back to ${replicas} replicas${options.keepPvcs ? '' : ', added PVCs deleted'}`,
    async () => {
      if (context.temporary) {
        await removeTemporary(session.lab, options, say);
        return;
      }
      await session.upgrade({
        replicaCount: replicas,
        ...(retentionChanged && { 'persistentVolumeClaimRetentionPolicy.whenScaled': original.whenScaled ?? '' }),
      });
      await session.waitFor({ until: exactly(replicas), waitingFor: `${lab.release} back at ${replicas} pods` });
      say(`${lab.release} back at ${replicas} replicas${retentionChanged ? `, whenScaled ${original.whenScaled || 'unset (Retain)'}` : ''}`);
      const claims = await claimsOf(session.lab);
      const left = removed.filter((c) => claims.has(c));
      if (left.length && options.keepPvcs) say(`kept ${left.join(', ')} (--keep-pvcs): a later scale-up finds each value again`);
      else if (left.length) {
        await session.lab.apply(kubectlChanges.deletePvcs(session.lab.kubectl, left, DELETE_PVCS_MS));
        say(`deleted ${left.join(', ')} (made for the ordinals the lesson added)`);
      }
    },
  );
}

/** Uninstalls the temporary release and deletes its PVCs (the StatefulSet leaves them behind). */
async function removeTemporary(lab: Lab, options: ScaleOptions, say: (line: string) => void): Promise<void> {
  if (await lab.helm.find(lab.release)) {
    await lab.apply(helmChanges.uninstall(lab.helm, await lab.helm.major(), lab.release, options.timeoutMs));
  }
  const claims = [...(await claimsOf(lab)).keys()];
  if (claims.length) await lab.apply(kubectlChanges.deletePvcs(lab.kubectl, claims, DELETE_PVCS_MS));
  say(`temporary release ${lab.release} uninstalled${claims.length ? `, its PVCs deleted (${claims.join(', ')})` : ''}`);
}

// demo-identity: replaces one pod under the probe, its node cordoned for the time of the demo, and
// records what it kept (name, hostname, DNS name, PVC, counter) and what changed (IP, node, UID),
// with the time until its DNS name pointed at the new IP, resolved from another pod of the release.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPodReady, isStatefulSetSettled, podClaim, type PersistentVolumeClaim, type Pod } from '../adapters/kube-objects.js';
import { kubectlArgs } from '../adapters/kubectl.js';
import { kubectlChanges } from '../adapters/changes.js';
import { APP_CONTAINER, openProxiedReader, type FileReader } from '../counters.js';
import { LabError, UsageError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { demoLimits } from '../limits.js';
import { makeDirs } from '../output-path.js';
import type { ToolStream } from '../process/runner.js';
import { summarizeProbe } from '../probe/stats.js';
import { checkUrlServes, resolveTarget } from '../probe/target.js';
import { waitForStatefulSet, type RolloutState } from '../rollout.js';
import { checkData } from './analysis.js';
import { checkLessonRelease } from './failover.js';
import {
  compareIdentity,
  decideIdentity,
  identityFigures,
  volumePlacement,
  type DnsAnswer,
  type IdentityRecord,
  type PodIdentityView,
  type SchedulingNote,
  type VolumeNodeAffinity,
  type VolumePlacement,
} from './identity-analysis.js';
import { nodeChanges, schedulableNodes, type SchedulingNode } from './identity-nodes.js';
import type { LessonEnvironment } from './lessons.js';
import type { CounterSnapshot } from './record.js';
import { demoProbe, podEvent, snapshot, type DemoHooks } from './run.js';
import { DemoSession } from './session.js';
import { PodWatch } from './watch.js';

export interface IdentityOptions {
  /** The ordinal; undefined: the highest. */
  pod?: number;
  intervalMs: number;
  timeoutMs: number;
  settleMs: number;
  /** Node-local volume: how long the replacement is shown Pending on its cordoned node before the uncordon. */
  pendingForMs: number;
  url?: string;
  recordDir: string;
  k8sLabVersion: string;
}

type Claim = PersistentVolumeClaim & { metadata: { uid?: string } };
type PersistentVolume = { metadata: { name: string }; spec?: { storageClassName?: string; nodeAffinity?: VolumeNodeAffinity } };

/** The headless Service's DNS name of a pod (chart: serviceName `<release>-headless`). */
export function podDnsName(pod: string, release: string, namespace: string): string {
  return `${pod}.${release}-headless.${namespace}.svc.cluster.local`;
}

/**
 * The resolver run in the other pod: resolves the name every `every` seconds and prints a JSON line
 * each time the answer changes; it ends by itself after `limit` seconds (an exec whose kubectl is
 * stopped may leave its process running in the container).
 */
export const RESOLVER = [
  'import json,socket,sys,time',
  'name,every,limit=sys.argv[1],float(sys.argv[2]),float(sys.argv[3])',
  'end=time.time()+limit',
  'last=None',
  'while time.time()<end:',
  '  try:',
  '    a,e=sorted({i[4][0] for i in socket.getaddrinfo(name,None,socket.AF_INET)}),None',
  '  except OSError as x:',
  '    a,e=[],str(x)',
  '  if a!=last:',
  '    print(json.dumps({"addresses":a,"error":e}),flush=True)',
  '    last=a',
  '  time.sleep(every)',
].join('\n');

/** Polls the DNS name from `from` (another pod) with one long-running exec: its answers, timed on the run's clock. */
export function watchDns(lab: Lab, from: string, name: string, clock: () => number, limitMs: number, onAnswer?: (a: DnsAnswer) => void) {
  const answers: DnsAnswer[] = [];
  let rest = '';
  const args = [
    ...kubectlArgs.scope(lab.target),
    'exec',
    from,
    '--container',
    APP_CONTAINER,
    '--',
    'python3',
    '-c',
    RESOLVER,
    name,
    '0.2',
    String(Math.ceil(limitMs / 1000)),
  ];
  const stream: ToolStream = lab.kubectl.stream(args, limitMs + 10_000, (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const parsed = JSON.parse(line) as { addresses?: string[]; error?: string | null };
        const answer: DnsAnswer = { t: clock(), addresses: parsed.addresses ?? [], ...(parsed.error && { error: parsed.error }) };
        answers.push(answer);
        onAnswer?.(answer);
      } catch {
        // not a line of the resolver's (a warning): skipped
      }
    }
  });
  return { answers, stop: () => stream.stop(), exited: stream.exited };
}

interface IdentityPlan {
  replicas: number;
  ordinal: number;
  name: string;
  /** The other pod the DNS name is resolved from. */
  resolver: string;
  helm: string;
  kubectlClient: string;
}

/** Checks everything before anything changes: the release, --pod, two replicas, two schedulable nodes. */
async function checkIdentity(lab: Lab, options: IdentityOptions): Promise<Omit<IdentityPlan, 'helm' | 'kubectlClient'>> {
  const [release, nodes] = await Promise.all([checkLessonRelease(lab), lab.kubectl.nodes() as Promise<SchedulingNode[]>]);
  const { replicas } = release;
  const ordinal = options.pod ?? replicas - 1;
  if (replicas > 0 && ordinal >= replicas)
    throw new UsageError(
      `--pod ${ordinal}: release ${lab.release} has ${replicas} replicas (pods 0-${replicas - 1}); nothing was changed`,
      `pass --pod 0 to ${replicas - 1}, or leave it out for the highest`,
    );
  if (replicas < 2)
    throw new LabError(
      `release ${lab.release} has ${replicas} replica${replicas === 1 ? '' : 's'}: demo-identity resolves the pod's DNS name from another pod; nothing was changed`,
      'deploy with --replicas 2 first',
    );
  const usable = schedulableNodes(nodes);
  if (usable.length < 2)
    throw new LabError(
      `demo-identity needs 2 schedulable nodes, this cluster has ${usable.length} (${usable.join(', ') || 'none'}): the pod would have nowhere to go while its node is cordoned; nothing was changed`,
      'use a cluster with a second worker (kind with workers, k3d with agents), or uncordon a node',
    );
  const name = `${lab.release}-${ordinal}`;
  return { replicas, ordinal, name, resolver: `${lab.release}-${ordinal === 0 ? 1 : 0}` };
}

/** Runs demo-identity and returns its record (also written to recordDir). */
export async function runIdentity(
  lab: Lab,
  options: IdentityOptions,
  onPhase: (name: string, detail: string) => void,
  signal?: AbortSignal,
  hooks: Pick<DemoHooks, 'feed'> = {},
): Promise<{ record: IdentityRecord; path: string }> {
  const opening = openProxiedReader(lab, demoLimits.proxyMs(options.timeoutMs));
  try {
    const [reader, checked, helm, kubectlClient] = await Promise.all([opening, checkIdentity(lab, options), lab.helm.version(), lab.kubectl.clientVersion()]);
    const rl = reader ? { ...lab, kubectl: reader.kubectl } : lab;
    return await measureIdentity(rl, reader ?? lab.kubectl, { ...checked, helm: helm.version, kubectlClient }, options, onPhase, signal, hooks);
  } finally {
    await (await opening)?.close();
  }
}

/** Pod N as read now: its object, PVC, PV and node placement; its hostname read from inside it. */
async function readPod(lab: Lab, files: FileReader, name: string, namespace: string, counters: CounterSnapshot[]): Promise<PodIdentityView | null> {
  const [pods, claims] = await Promise.all([lab.kubectl.pods(lab.releaseSelector), lab.kubectl.list<Claim>('persistentvolumeclaims', lab.releaseSelector)]);
  const pod = pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
  if (!pod) return null;
  const pvc = podClaim(pod) ?? null;
  const hostname = isPodReady(pod) ? (await files.readFile(name, APP_CONTAINER, '/etc/hostname').catch(() => '')).trim() || null : null;
  return {
    pod: name,
    hostname,
    dnsName: podDnsName(name, lab.release, namespace),
    resolved: null,
    ip: pod.status?.podIP ?? null,
    node: pod.spec?.nodeName ?? null,
    uid: (pod.metadata as { uid?: string }).uid ?? null,
    pvc,
    pvcUid: claims.find((c) => c.metadata.name === pvc)?.metadata.uid ?? null,
    counter: counters.find((c) => c.pod === name)?.counter ?? null,
  };
}

/** Where the pod's volume lets it go: its PVC's PV, the nodes and their labels. */
async function readPlacement(lab: Lab, pvc: string | null, node: string): Promise<VolumePlacement> {
  const claim = pvc ? await lab.kubectl.find<Claim>('persistentvolumeclaim', pvc) : undefined;
  const pvName = claim?.spec.volumeName ?? null;
  const [pv, nodes] = await Promise.all([
    pvName ? lab.kubectl.find<PersistentVolume>('persistentvolume', pvName) : undefined,
    lab.kubectl.nodes() as Promise<SchedulingNode[]>,
  ]);
  const usable = new Set(schedulableNodes(nodes));
  return volumePlacement(
    { name: pvName, storageClass: pv?.spec?.storageClassName ?? claim?.spec.storageClassName ?? null, nodeAffinity: pv?.spec?.nodeAffinity },
    node,
    nodes.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels ?? {}, schedulable: usable.has(n.metadata.name) })),
  );
}

/** What the phases leave for the record and the undo. */
interface IdentityRun {
  node: string;
  cordonedAt: number | null;
  uncordonedAt: number | null;
  deletedAt: number;
  scheduling: SchedulingNote[];
}

/** The replacement is there: pod N with another UID than `uid`. */
const replacement = (state: RolloutState, name: string, uid: string | null): Pod | undefined =>
  state.pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp && (p.metadata as { uid?: string }).uid !== uid);

async function uncordon(lab: Lab, session: DemoSession, run: IdentityRun): Promise<void> {
  await lab.apply(nodeChanges.uncordon(lab.kubectl, run.node));
  run.uncordonedAt = session.clock();
}

/** The phases: baseline, cordon, delete, (node-local: Pending, uncordon,) Ready, (movable: uncordon,) DNS, settle. */
async function identityPhases(
  lab: Lab,
  session: DemoSession,
  plan: IdentityPlan,
  before: PodIdentityView,
  volume: VolumePlacement,
  dns: DnsAnswer[],
  options: IdentityOptions,
  run: IdentityRun,
): Promise<void> {
  const { name } = plan;
  const back = (state: RolloutState) => {
    const pod = replacement(state, name, before.uid);
    return Boolean(pod && isPodReady(pod) && isStatefulSetSettled(state.statefulSet, state.pods));
  };
  await session.phase('baseline', 'traffic before the delete', () => session.hold(options.settleMs));
  await session.phase('cordon', `kubectl cordon ${run.node}: no new pod is scheduled there`, async () => {
    session.checkpoint();
    session.changed = true;
    run.cordonedAt = session.clock();
    await lab.apply(nodeChanges.cordon(lab.kubectl, run.node));
  });
  await session.phase('delete', `kubectl delete pod ${name}: the StatefulSet re-creates it under its name`, async () => {
    session.checkpoint();
    run.deletedAt = session.clock();
    await lab.apply(kubectlChanges.deletePods(lab.kubectl, [name]));
  });
  if (!volume.canMove) {
    await session.phase('pending', `${name} stays Pending: ${volume.why}, and ${run.node} is cordoned`, async () => {
      const created = await session.waitFor({ until: (s) => replacement(s, name, before.uid) !== undefined, waitingFor: `${name} re-created` });
      const uid = (replacement(created, name, before.uid)?.metadata as { uid?: string } | undefined)?.uid;
      await session.hold(options.pendingForMs);
      const events = await lab.kubectl.events({ name, ...(uid && { uid }) }).catch(() => []);
      run.scheduling = events.filter((e) => e.reason === 'FailedScheduling').map((e) => ({ reason: e.reason ?? '', message: e.message ?? '' }));
    });
    await session.phase('uncordon', `kubectl uncordon ${run.node}: ${name} can be scheduled on its volume's node again`, () => uncordon(lab, session, run));
  }
  await session.phase('ready', `until ${name} is Ready again${volume.canMove ? ` on another node (${volume.elsewhere.join(', ')})` : ''}`, () =>
    session.waitFor({ until: back, waitingFor: `${name} Ready again` }),
  );
  if (volume.canMove) await session.phase('uncordon', `kubectl uncordon ${run.node}`, () => uncordon(lab, session, run));
  await session.phase('dns', `until ${before.dnsName} resolves to ${name}'s new IP, from ${plan.resolver}`, async () => {
    const state = await session.state();
    const ip = replacement(state, name, before.uid)?.status?.podIP;
    const deadline = session.clock() + options.timeoutMs;
    const moved = () => {
      const last = dns.at(-1);
      return last?.addresses.length === 1 && last.addresses[0] === ip;
    };
    while (!moved() && session.clock() < deadline) await session.hold(100);
    if (!moved()) session.notes.push(`${before.dnsName} did not resolve to ${ip ?? 'the new IP'} within ${(options.timeoutMs / 1000).toFixed(0)} s.`);
  });
  await session.phase('settle', 'traffic after the pod is back', () => session.hold(Math.max(options.settleMs, 1000)));
}

/**
 * After the phases, whatever happened: the node is uncordoned if the demo cordoned it; after Ctrl-C
 * or an error once the pod was deleted, the pod is waited for until Ready again. Returns the message
 * to stop with, when the phases failed.
 */
async function undoIdentity(
  lab: Lab,
  session: DemoSession,
  plan: IdentityPlan,
  failure: Error | undefined,
  interruptedIn: string | undefined,
  run: IdentityRun,
) {
  const said: string[] = [];
  if (run.cordonedAt !== null && run.uncordonedAt === null) {
    session.undoing = true;
    said.push(
      await session
        .phase('undo', `kubectl uncordon ${run.node}`, () => uncordon(lab, session, run))
        .then(
          () => `${run.node} uncordoned`,
          (error: Error) => `uncordoning ${run.node} failed (${error.message}): run \`kubectl uncordon ${run.node}\``,
        ),
    );
  }
  if (failure && run.deletedAt >= 0) {
    session.undoing = true;
    said.push(
      await session
        .phase('undo', `until ${plan.name} is Ready again`, () =>
          session.waitFor({ until: (s) => isStatefulSetSettled(s.statefulSet, s.pods), waitingFor: `${plan.name} Ready again` }),
        )
        .then(
          () => `${plan.name} is Ready again`,
          (error: Error) => `waiting for ${plan.name} failed: ${error.message}`,
        ),
    );
  }
  if (!failure) return undefined;
  const where = interruptedIn ? ` during ${interruptedIn}` : '';
  return `${failure.message}${where}${said.length ? `; ${said.join('; ')}` : ''}`;
}

async function measureIdentity(
  lab: Lab,
  files: FileReader,
  plan: IdentityPlan,
  options: IdentityOptions,
  onPhase: (name: string, detail: string) => void,
  signal: AbortSignal | undefined,
  { feed }: Pick<DemoHooks, 'feed'>,
): Promise<{ record: IdentityRecord; path: string }> {
  const { name } = plan;
  await waitForStatefulSet(lab.kubectl, lab.release, {
    timeoutMs: demoLimits.readyBeforeMs,
    pollMs: demoLimits.readyBeforePollMs,
    waitingFor: `pods of ${lab.release} (before the lesson)`,
    signal,
  });
  const [server, namespace, cluster, target, start] = await Promise.all([
    lab.kubectl.serverVersion(),
    lab.kubectl.namespace(),
    lab.kubectl.clusterIdentity(),
    resolveTarget(lab.kubectl, lab.release, options.url),
    snapshot(lab, files),
  ]);
  const before = await readPod(lab, files, name, namespace, start.counters);
  if (!before?.node) throw new LabError(`pod ${name} is not there or not scheduled`, `check it: kubectl get pod ${name}`);
  if (options.url) await checkUrlServes(target, lab.release);
  const volume = await readPlacement(lab, before.pvc, before.node);
  signal?.throwIfAborted();

  const startedAt = new Date();
  const t0 = Date.now();
  const clock = () => Date.now() - t0;
  feed?.({ kind: 'start', t: 0, epochMs: t0, title: `identity of ${name}`, release: lab.release, replicas: plan.replicas });
  const watch = new PodWatch(lab.kubectl, lab.releaseSelector, clock, feed && ((e) => feed(podEvent(e))));
  const probe = demoProbe(target, options.intervalMs, clock, feed);
  const phaseBegins = (phase: string, detail: string) => {
    onPhase(phase, detail);
    feed?.({ kind: 'phase', t: clock(), name: phase, detail });
  };
  const session = new DemoSession(lab, probe, watch, clock, options.timeoutMs, phaseBegins, files, signal);
  session.notes.push(`Probe: GET / through ${target.description} every ${options.intervalMs} ms.`);
  session.notes.push(`${name} ${volume.canMove ? 'can move' : 'cannot move'}: ${volume.why}.`);
  const run: IdentityRun = { node: before.node, cordonedAt: null, uncordonedAt: null, deletedAt: -1, scheduling: [] };

  const limitMs = options.timeoutMs * 3 + options.pendingForMs + options.settleMs * 2 + 60_000;
  const dns = watchDns(lab, plan.resolver, before.dnsName, clock, limitMs);
  let failure: Error | undefined;
  await watch.start(demoLimits.watchMs(limitMs));
  probe.start();
  try {
    // The resolver's first answer is the name as it resolves before anything changes.
    const first = session.clock() + 20_000;
    while (!dns.answers.length && session.clock() < first) await session.hold(100);
    await identityPhases(lab, session, plan, before, volume, dns.answers, options, run);
  } catch (error) {
    failure = error as Error;
  }
  const interruptedIn = signal?.aborted ? (session.phases.at(-1)?.name ?? 'the start') : undefined;
  const stopMessage = await undoIdentity(lab, session, plan, failure, interruptedIn, run);
  const samples = await probe.stop();
  const podEvents = await watch.stop();
  await dns.stop();
  const endedAt = new Date();
  const afterSnap = await snapshot(lab, files).catch(() => ({ counters: [] as CounterSnapshot[] }));
  const after = await readPod(lab, files, name, namespace, afterSnap.counters).catch(() => null);
  const record = identityRecord({
    release: lab.release,
    namespace,
    cluster,
    viaApiServer: target.viaApiServer,
    plan,
    options,
    volume,
    run,
    before: { ...before, resolved: dns.answers.filter((a) => run.deletedAt < 0 || a.t <= run.deletedAt).at(-1)?.addresses ?? null },
    after: after && { ...after, resolved: dns.answers.at(-1)?.addresses ?? null },
    dns: dns.answers,
    phases: session.phases,
    notes: session.notes,
    samples,
    podEvents,
    counters: { before: start.counters, after: afterSnap.counters },
    stop: failure && { message: stopMessage ?? failure.message, interruptedIn },
    environment: { kubernetes: server ?? 'unknown', helm: plan.helm, kubectl: plan.kubectlClient, k8sLab: options.k8sLabVersion, node: process.version },
    startedAt,
    endedAt,
  });
  makeDirs(options.recordDir);
  const path = join(options.recordDir, `${record.id}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return { record, path };
}

/** Everything an identity record is built from. */
export interface IdentityInputs {
  release: string;
  namespace: string;
  cluster: IdentityRecord['cluster'];
  viaApiServer: boolean | undefined;
  plan: Pick<IdentityPlan, 'replicas' | 'name' | 'resolver'>;
  options: Pick<IdentityOptions, 'intervalMs' | 'settleMs' | 'pendingForMs'>;
  volume: VolumePlacement;
  run: IdentityRun;
  before: PodIdentityView;
  after: PodIdentityView | null;
  dns: DnsAnswer[];
  phases: IdentityRecord['phases'];
  notes: string[];
  samples: IdentityRecord['samples'];
  podEvents: IdentityRecord['podEvents'];
  counters: IdentityRecord['counters'];
  stop?: { message: string; interruptedIn?: string };
  environment: LessonEnvironment;
  startedAt: Date;
  endedAt: Date;
}

/** The run record, a pure function of what was seen. */
export function identityRecord(i: IdentityInputs): IdentityRecord {
  const { run, before, after } = i;
  const figures =
    run.deletedAt >= 0
      ? identityFigures({
          pod: i.plan.name,
          deletedAt: run.deletedAt,
          oldIp: before.ip,
          newIp: after?.ip ?? null,
          podEvents: i.podEvents,
          dns: i.dns,
          samples: i.samples,
        })
      : null;
  const dataChecks = checkData(i.counters.before, i.counters.after, i.samples);
  const { verdict, reason } = decideIdentity({ stop: i.stop, before, after, volume: i.volume, figures, dataChecks });
  return {
    schema: 1,
    lesson: 'identity',
    id: `${i.startedAt.toISOString().replace(/[:.]/g, '-')}-identity`,
    release: i.release,
    namespace: i.namespace,
    cluster: i.cluster,
    ...(i.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    pod: i.plan.name,
    resolver: i.plan.resolver,
    options: { replicas: i.plan.replicas, intervalMs: i.options.intervalMs, settleMs: i.options.settleMs, pendingForMs: i.options.pendingForMs },
    environment: i.environment,
    startedAt: i.startedAt.toISOString(),
    endedAt: i.endedAt.toISOString(),
    durationMs: i.endedAt.getTime() - i.startedAt.getTime(),
    phases: i.phases,
    podEvents: i.podEvents,
    deletedAt: run.deletedAt,
    node: { name: run.node, cordonedAt: run.cordonedAt, uncordonedAt: run.uncordonedAt },
    volume: i.volume,
    scheduling: run.scheduling,
    before,
    after,
    dns: i.dns,
    figures,
    comparison: after ? compareIdentity(before, after) : null,
    probe: summarizeProbe(i.samples, i.options.intervalMs),
    samples: i.samples,
    counters: i.counters,
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    verdict,
    reason,
    notes: i.notes,
  };
}

// demo-identity: replaces one pod under the probe, its node cordoned for the time of the demo, and
// records what it kept (name, hostname, DNS name, PVC, counter) and what changed (IP, node, UID),
// with the time until its DNS name pointed at the new IP, resolved from another pod of the release.

import { isPodReady, isStatefulSetSettled, podClaim, schedulableNodes, type PersistentVolumeClaim, type Pod } from '../adapters/kube-objects.js';
import { kubectlArgs } from '../adapters/kubectl.js';
import { kubectlChanges } from '../adapters/changes.js';
import { APP_CONTAINER, type FileReader } from '../counters.js';
import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import type { ToolStream } from '../process/runner.js';
import { summarizeProbe } from '../probe/stats.js';
import type { RolloutState } from '../rollout.js';
import { checkData } from './analysis.js';
import { checkLessonRelease, lessonOrdinal, type LessonOptions } from './lesson-checks.js';
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
import { cordonPhase } from './node-lessons.js';
import { lessonRun, runOnHarness, snapshot, type DemoFrame, type Lesson, type Seen } from './harness.js';
import type { CounterSnapshot } from './record.js';
import type { DemoSession } from './session.js';

export interface IdentityOptions extends LessonOptions {
  /** Node-local volume: how long the replacement is shown Pending on its cordoned node before the uncordon. */
  pendingForMs: number;
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
}

/** Checks everything before anything changes: the release, --pod, two replicas, two schedulable nodes. */
async function checkIdentity(lab: Lab, options: IdentityOptions): Promise<IdentityPlan> {
  const [{ replicas }, nodes] = await Promise.all([checkLessonRelease(lab), lab.kubectl.nodes()]);
  // No replicas: the 'needs 2 replicas' error below says more than an out-of-range --pod.
  const ordinal = replicas > 0 ? lessonOrdinal(lab.release, options.pod, replicas) : (options.pod ?? replicas - 1);
  if (replicas < 2)
    throw new LabError(
      `release ${lab.release} has ${replicas} replica${replicas === 1 ? '' : 's'}: demo-identity resolves the pod's DNS name from another pod; nothing was changed`,
      'deploy with --replicas 2 first',
    );
  const usable = schedulableNodes(nodes).map((n) => n.metadata.name);
  if (usable.length < 2)
    throw new LabError(
      `demo-identity needs 2 schedulable nodes, this cluster has ${usable.length} (${usable.join(', ') || 'none'}): the pod would have nowhere to go while its node is cordoned; nothing was changed`,
      'use a cluster with a second worker (kind with workers, k3d with agents), or uncordon a node',
    );
  return { replicas, ordinal, name: `${lab.release}-${ordinal}`, resolver: `${lab.release}-${ordinal === 0 ? 1 : 0}` };
}

/** Runs demo-identity on the demo harness and returns its record (also written to recordDir). */
export const runIdentity = lessonRun(checkIdentity, measureIdentity);

/** What is read before the demo and after it: the counters and pod N. */
interface IdentityRead {
  counters: CounterSnapshot[];
  pod: PodIdentityView | null;
}

/** Pod N as read now: its object, PVC and node; its hostname read from inside it. */
async function readPod(lab: Lab, files: FileReader, name: string, counters: CounterSnapshot[]): Promise<PodIdentityView | null> {
  const [pods, claims, namespace] = await Promise.all([
    lab.kubectl.pods(lab.releaseSelector),
    lab.kubectl.list<Claim>('persistentvolumeclaims', lab.releaseSelector),
    lab.kubectl.namespace(),
  ]);
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

async function readIdentity(lab: Lab, files: FileReader, name: string): Promise<IdentityRead> {
  const { counters } = await snapshot(lab, files);
  return { counters, pod: await readPod(lab, files, name, counters) };
}

/** Where the pod's volume lets it go: its PVC's PV, the nodes and their labels. */
async function readPlacement(lab: Lab, pvc: string | null, node: string): Promise<VolumePlacement> {
  const claim = pvc ? await lab.kubectl.find<Claim>('persistentvolumeclaim', pvc) : undefined;
  const pvName = claim?.spec.volumeName ?? null;
  const [pv, nodes] = await Promise.all([
    pvName ? lab.kubectl.find<PersistentVolume>('persistentvolume', pvName).catch((error: Error) => error) : undefined,
    lab.kubectl.nodes(),
  ]);
  if (pv instanceof Error) {
    // PVs are cluster-scoped (a namespaced Role cannot read them): then the demo cannot tell, and shows the node-local case.
    const why = `its volume ${pvName} could not be read (${pv.message}), so whether it can move is not known`;
    return { pv: pvName, storageClass: claim?.spec.storageClassName ?? null, allowedNodes: null, elsewhere: [], canMove: false, why };
  }
  const usable = new Set(schedulableNodes(nodes).map((n) => n.metadata.name));
  return volumePlacement(
    { name: pvName, storageClass: pv?.spec?.storageClassName ?? claim?.spec.storageClassName ?? null, nodeAffinity: pv?.spec?.nodeAffinity },
    node,
    nodes.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels ?? {}, schedulable: usable.has(n.metadata.name) })),
  );
}

/** What the phases leave for the record and the undo. */
export interface IdentityRun {
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
  await lab.apply(kubectlChanges.uncordon(lab.kubectl, run.node));
  run.uncordonedAt = session.clock();
}

/** Node-local volume: the replacement is shown Pending while the node is cordoned, the scheduler's reason read, then the node uncordoned. */
async function pendingPhases(
  lab: Lab,
  session: DemoSession,
  name: string,
  before: PodIdentityView,
  volume: VolumePlacement,
  options: IdentityOptions,
  run: IdentityRun,
) {
  await session.phase('pending', `${name} stays Pending: ${volume.why}, and ${run.node} is cordoned`, async () => {
    const created = await session.waitFor({ until: (s) => replacement(s, name, before.uid) !== undefined, waitingFor: `${name} re-created` });
    const uid = (replacement(created, name, before.uid)?.metadata as { uid?: string } | undefined)?.uid;
    await session.hold(options.pendingForMs);
    const events = await lab.kubectl.events({ name, ...(uid && { uid }) }).catch(() => []);
    run.scheduling = events.filter((e) => e.reason === 'FailedScheduling').map((e) => ({ reason: e.reason ?? '', message: e.message ?? '' }));
  });
  await session.phase('uncordon', `kubectl uncordon ${run.node}: ${name} can be scheduled on its volume's node again`, () => uncordon(lab, session, run));
}

/** Until the DNS name, resolved from the other pod, answers the new pod's IP alone (at most --timeout). */
async function dnsPhase(session: DemoSession, plan: IdentityPlan, before: PodIdentityView, dns: DnsAnswer[], timeoutMs: number) {
  await session.phase('dns', `until ${before.dnsName} resolves to ${plan.name}'s new IP, from ${plan.resolver}`, async () => {
    const ip = replacement(await session.state(), plan.name, before.uid)?.status?.podIP;
    const deadline = session.clock() + timeoutMs;
    const moved = () => {
      const last = dns.at(-1);
      return last?.addresses.length === 1 && last.addresses[0] === ip;
    };
    while (!moved() && session.clock() < deadline) await session.hold(100);
    if (!moved()) session.notes.push(`${before.dnsName} did not resolve to ${ip ?? 'the new IP'} within ${(timeoutMs / 1000).toFixed(0)} s.`);
  });
}

/** The phases: baseline, cordon, delete, (node-local: Pending, uncordon,) Ready, (movable: uncordon,) DNS, settle. */
async function identityPhases(
  frame: DemoFrame<IdentityRead>,
  plan: IdentityPlan,
  before: PodIdentityView,
  volume: VolumePlacement,
  dns: DnsAnswer[],
  options: IdentityOptions,
  run: IdentityRun,
): Promise<void> {
  const { lab, session } = frame;
  const { name } = plan;
  const back = (state: RolloutState) => {
    const pod = replacement(state, name, before.uid);
    return Boolean(pod && isPodReady(pod) && isStatefulSetSettled(state.statefulSet, state.pods));
  };
  await session.phase('baseline', 'traffic before the delete', () => session.hold(options.settleMs));
  await cordonPhase(session, run.node, run);
  await session.phase('delete', `kubectl delete pod ${name}: the StatefulSet re-creates it under its name`, async () => {
    session.checkpoint();
    run.deletedAt = session.clock();
    await lab.apply(kubectlChanges.deletePods(lab.kubectl, [name]));
  });
  if (!volume.canMove) await pendingPhases(lab, session, name, before, volume, options, run);
  const where = volume.canMove ? ` on another node (${volume.elsewhere.join(', ')})` : '';
  await session.phase('ready', `until ${name} is Ready again${where}`, () => session.waitFor({ until: back, waitingFor: `${name} Ready again` }));
  if (volume.canMove) await session.phase('uncordon', `kubectl uncordon ${run.node}`, () => uncordon(lab, session, run));
  await dnsPhase(session, plan, before, dns, options.timeoutMs);
  await session.phase('settle', 'traffic after the pod is back', () => session.hold(Math.max(options.settleMs, 1000)));
}

/**
 * After the phases threw (an error, Ctrl-C): the node is uncordoned if the demo cordoned it; once
 * the pod was deleted, it is waited for until Ready again. Returns the message to stop with.
 */
async function undoIdentity(frame: DemoFrame<IdentityRead>, plan: IdentityPlan, failure: Error, interruptedIn: string | undefined, run: IdentityRun) {
  const { lab, session } = frame;
  session.undoing = true;
  const said: string[] = [];
  if (run.cordonedAt !== null && run.uncordonedAt === null) {
    said.push(
      await session
        .phase('undo', `kubectl uncordon ${run.node}`, () => uncordon(lab, session, run))
        .then(
          () => `${run.node} uncordoned`,
          (error: Error) => `uncordoning ${run.node} failed (${error.message}): run \`kubectl uncordon ${run.node}\``,
        ),
    );
  }
  if (run.deletedAt >= 0) {
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
  const where = interruptedIn ? ` during ${interruptedIn}` : '';
  return `${failure.message}${where}${said.length ? `; ${said.join('; ')}` : ''}`;
}

async function measureIdentity({ demo, lab, plan, options, spec }: Lesson<IdentityOptions, IdentityPlan>): Promise<IdentityRecord> {
  const { name } = plan;
  let before: PodIdentityView | undefined;
  let volume: VolumePlacement | undefined;
  let dns: ReturnType<typeof watchDns> | undefined;
  const run: IdentityRun = { node: '', cordonedAt: null, uncordonedAt: null, deletedAt: -1, scheduling: [] };
  // The resolver runs for at most the demo's longest possible run, then ends by itself.
  const limitMs = options.timeoutMs * 3 + options.pendingForMs + options.settleMs * 2 + 60_000;
  try {
    const seen = await runOnHarness<IdentityRead>(
      demo,
      {
        ...spec,
        start: { title: `identity of ${name}`, release: lab.release, replicas: plan.replicas },
      },
      {
        read: (rl, f) => readIdentity(rl, f, name),
        prepare: async (frame) => {
          before = frame.start.pod ?? undefined;
          if (!before?.node) throw new LabError(`pod ${name} is not there or not scheduled`, `check it: kubectl get pod ${name}`);
          run.node = before.node;
          volume = await readPlacement(frame.lab, before.pvc, before.node);
          frame.session.notes.push(`${name} ${volume.canMove ? 'can move' : 'cannot move'}: ${volume.why}.`);
          dns = watchDns(frame.lab, plan.resolver, before.dnsName, frame.clock, limitMs);
        },
        phases: async (frame) => {
          // The resolver's first answer is the name as it resolves before anything changes.
          const first = frame.clock() + 20_000;
          while (!dns!.answers.length && frame.clock() < first) await frame.session.hold(100);
          await identityPhases(frame, plan, before!, volume!, dns!.answers, options, run);
        },
        undo: (frame, failure, interruptedIn) => undoIdentity(frame, plan, failure, interruptedIn, run),
      },
    );
    await dns?.stop();
    return identityRecord(seen, { plan, options, volume: volume!, run, before: before!, dns: dns?.answers ?? [] });
  } finally {
    await dns?.stop();
  }
}

/** What the demo adds to what the harness saw. */
export interface IdentityExtras {
  plan: Pick<IdentityPlan, 'replicas' | 'name' | 'resolver'>;
  options: Pick<IdentityOptions, 'intervalMs' | 'settleMs' | 'pendingForMs'>;
  volume: VolumePlacement;
  run: IdentityRun;
  before: PodIdentityView;
  dns: DnsAnswer[];
}

/** The run record, a pure function of what was seen. */
export function identityRecord(
  seen: Pick<
    Seen<IdentityRead>,
    | 'frame'
    | 'samples'
    | 'podEvents'
    | 'failure'
    | 'interruptedIn'
    | 'stopMessage'
    | 'after'
    | 'startedAt'
    | 'endedAt'
    | 'environment'
    | 'namespace'
    | 'cluster'
  >,
  x: IdentityExtras,
): IdentityRecord {
  const { run, dns } = x;
  const before = { ...x.before, resolved: dns.filter((a) => run.deletedAt < 0 || a.t <= run.deletedAt).at(-1)?.addresses ?? null };
  const after = seen.after?.pod ? { ...seen.after.pod, resolved: dns.at(-1)?.addresses ?? null } : null;
  const counters = { before: seen.frame.start.counters, after: seen.after?.counters ?? [] };
  const figures =
    run.deletedAt >= 0
      ? identityFigures({
          pod: x.plan.name,
          deletedAt: run.deletedAt,
          oldIp: before.ip,
          newIp: after?.ip ?? null,
          podEvents: seen.podEvents,
          dns,
          samples: seen.samples,
        })
      : null;
  const dataChecks = checkData(counters.before, counters.after, seen.samples);
  const stop = seen.failure && { message: seen.stopMessage ?? seen.failure.message, interruptedIn: seen.interruptedIn };
  const { verdict, reason } = decideIdentity({ stop, before, after, volume: x.volume, figures, dataChecks });
  return {
    schema: 1,
    lesson: 'identity',
    id: `${seen.startedAt.toISOString().replace(/[:.]/g, '-')}-identity`,
    release: seen.frame.lab.release,
    namespace: seen.namespace,
    cluster: seen.cluster,
    ...(seen.frame.target.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    pod: x.plan.name,
    resolver: x.plan.resolver,
    options: { replicas: x.plan.replicas, intervalMs: x.options.intervalMs, settleMs: x.options.settleMs, pendingForMs: x.options.pendingForMs },
    environment: seen.environment,
    startedAt: seen.startedAt.toISOString(),
    endedAt: seen.endedAt.toISOString(),
    durationMs: seen.endedAt.getTime() - seen.startedAt.getTime(),
    phases: seen.frame.session.phases,
    podEvents: seen.podEvents,
    deletedAt: run.deletedAt,
    node: { name: run.node, cordonedAt: run.cordonedAt, uncordonedAt: run.uncordonedAt },
    volume: x.volume,
    scheduling: run.scheduling,
    before,
    after,
    dns,
    figures,
    comparison: after ? compareIdentity(before, after) : null,
    probe: summarizeProbe(seen.samples, x.options.intervalMs),
    samples: seen.samples,
    counters,
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    verdict,
    reason,
    notes: seen.frame.session.notes,
  };
}

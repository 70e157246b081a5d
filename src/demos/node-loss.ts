// demo-node-loss: stops the node of one pod under the probe, measures what the API shows and that no
// replacement comes while the old pod may still run, then recovers (start, or the out-of-service
// taint), and always leaves the node started and untainted.

import { kubectlChanges, type Change } from '../adapters/changes.js';
import { isPodReady, isStatefulSetSettled, podClaim, schedulableNodes, type Pod } from '../adapters/kube-objects.js';
import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { SECOND } from '../limits.js';
import { summarizeProbe } from '../probe/stats.js';
import { checkData } from './analysis.js';
import { checkLessonRelease, lessonOrdinal, type LessonOptions } from './lesson-checks.js';
import { decideNodeLoss, nodeLossFigures, OUT_OF_SERVICE_TAINT, volumeMeaning, type NodeLossMoments, type NodeLossRecovery } from './node-loss-analysis.js';
import { conditionOf, hasOutOfServiceTaint, NodeLossObserver, readNode, type NodeObject } from './node-loss-observer.js';
import type { NodeLossIdentity, NodeLossRecord } from './node-loss-record.js';
import { whyNodeLessonCannotRun } from './node-lessons.js';
import { powerCommands, type PowerCommands } from './node-power.js';
import type { CounterSnapshot } from './record.js';
import { lessonRun, runOnHarness, snapshot, type Lesson, type Seen } from './harness.js';
import type { DemoSession } from './session.js';

export interface NodeLossOptions extends LessonOptions {
  recover: NodeLossRecovery;
  /** The user's commands as words, `{node}` not yet replaced; both or neither. */
  stopCommand?: string[];
  startCommand?: string[];
}

/** What the run is about, every part checked before anything changes. */
interface NodeLossPlan {
  replicas: number;
  pod: string;
  node: string;
  commands: PowerCommands;
  volume: NodeLossRecord['volume'];
}

/** Checks everything the run needs and returns its plan; throws a one-line error, having changed nothing. */
export async function planNodeLoss(lab: Lab, options: Pick<NodeLossOptions, 'pod' | 'stopCommand' | 'startCommand'>): Promise<NodeLossPlan> {
  const [{ replicas }, nodes, pods] = await Promise.all([
    checkLessonRelease(lab),
    lab.kubectl.nodes() as Promise<NodeObject[]>,
    lab.kubectl.pods(lab.releaseSelector),
  ]);
  if (replicas < 1) throw new LabError(`release ${lab.release} has 0 replicas: no pod whose node to stop`, 'deploy with --replicas 2 first');
  const ordinal = lessonOrdinal(lab.release, options.pod, replicas);
  const name = `${lab.release}-${ordinal}`;
  const pod = pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
  const node = pod?.spec?.nodeName;
  if (!pod || !node || !isPodReady(pod))
    throw new LabError(`pod ${name} is not running Ready on a node; nothing was changed`, `check it: kubectl get pod ${name} -o wide`);
  const own = nodes.find((n) => n.metadata.name === node);
  if (!own || conditionOf(own.status?.conditions, 'Ready') !== 'True')
    throw new LabError(`node ${node} (of ${name}) is not Ready; nothing was changed`, 'wait for it to be Ready (kubectl get nodes)');
  if (hasOutOfServiceTaint(own))
    throw new LabError(
      `node ${node} already carries the ${OUT_OF_SERVICE_TAINT.key} taint; nothing was changed`,
      `remove it first: kubectl taint nodes ${node} ${OUT_OF_SERVICE_TAINT.key}:NoExecute-`,
    );
  const schedulable = schedulableNodes(nodes);
  if (schedulable.length < 2)
    throw new LabError(
      `the cluster has ${schedulable.length} schedulable node${schedulable.length === 1 ? '' : 's'}: stopping ${node} would stop the lesson's whole cluster; nothing was changed`,
      'run it on a cluster with two or more schedulable nodes (kind with workers, k3d with agents)',
    );
  const commands = powerCommands(
    { stop: options.stopCommand, start: options.startCommand },
    node,
    nodes.map((n) => n.metadata.name),
  );
  return { replicas, pod: name, node, commands, volume: await readVolume(lab, pod) };
}

/** The pod's claim, its PV and the node the PV's affinity ties it to (null: none). */
async function readVolume(lab: Lab, pod: Pod): Promise<NodeLossRecord['volume']> {
  const pvc = podClaim(pod);
  if (!pvc) return null;
  type Claim = { metadata: { uid?: string }; spec?: { volumeName?: string } };
  type Volume = { spec?: { nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values?: string[] }[] }[] } } } };
  const claim = await lab.kubectl.find<Claim>('persistentvolumeclaim', pvc);
  const pv = claim?.spec?.volumeName ?? null;
  // PersistentVolumes are cluster-scoped: an account without a ClusterRole to read them leaves the node unknown.
  const volume = pv ? await lab.kubectl.find<Volume>('persistentvolume', pv).catch(() => null) : null;
  const terms = volume?.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const hostname = terms.flatMap((t) => t.matchExpressions ?? []).find((e) => e.key === 'kubernetes.io/hostname');
  return { pvc, pvcUid: claim?.metadata.uid ?? null, pv, node: volume === null ? undefined : (hostname?.values?.[0] ?? null) };
}

/** Runs the lesson and returns its run record (also written to recordDir). */
export const runNodeLoss = lessonRun(planNodeLoss, measureNodeLoss);

/** A command the user gave (or the project's node script) as a change: run with a timeout, never through a shell. */
function powerChange(words: string[], timeoutMs: number, doing: string): Change {
  const [bin = '', ...args] = words;
  // The user's own command: what a second run would do is not known, so a failure is final.
  return { bin, args, timeoutMs, doing, repeat: 'never' };
}

/** What the phases leave behind: the changes made, and what is still to put back. */
interface NodeLossRun {
  moments: NodeLossMoments;
  /** The stop command was started and no start command has finished since. */
  stopped: boolean;
  /** The taint was (or may have been) put on and not taken off. */
  tainted: boolean;
  cleanup: string[];
}

/** How long `node stop` may take (it returns at once on the project's cluster, like a power cut). */
const STOP_COMMAND_MS = 60 * SECOND;

class NodeLossSteps {
  constructor(
    readonly lab: Lab,
    readonly session: DemoSession,
    readonly observer: NodeLossObserver,
    readonly plan: NodeLossPlan,
    readonly options: NodeLossOptions,
    readonly run: NodeLossRun,
    readonly uid: string,
  ) {}

  /** Polls what the observer last read until `done`, or fails after `timeoutMs` saying what it waited for. */
  async until(done: () => boolean, waitingFor: string, timeoutMs = this.options.timeoutMs): Promise<void> {
    const deadline = this.session.clock() + timeoutMs;
    while (!done()) {
      if (this.session.clock() > deadline)
        throw new LabError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${waitingFor}`, 'see the run record');
      await this.session.hold(250);
    }
  }

  private get podNow() {
    return this.observer.latest.pods.get(this.plan.pod);
  }

  private nodeReady(): boolean {
    return this.observer.latest.node?.ready === 'True';
  }

  async stopNode(): Promise<void> {
    const { session, run, plan } = this;
    session.checkpoint();
    session.changed = true;
    run.stopped = true;
    const requestedAt = session.clock();
    await this.lab.apply(powerChange(plan.commands.stop, STOP_COMMAND_MS, `stopping node ${plan.node} (${plan.commands.stop.join(' ')})`));
    run.moments.stop = { requestedAt, doneAt: session.clock() };
  }

  async startNode(): Promise<void> {
    const { session, run, plan } = this;
    const requestedAt = session.clock();
    run.moments.start = { requestedAt, doneAt: requestedAt };
    await this.lab.apply(powerChange(plan.commands.start, this.options.timeoutMs, `starting node ${plan.node} (${plan.commands.start.join(' ')})`));
    run.moments.start.doneAt = session.clock();
    run.stopped = false;
    await this.until(() => this.nodeReady(), `node ${plan.node} Ready again`);
  }

  async taint(remove: boolean): Promise<void> {
    const { session, run, plan } = this;
    const requestedAt = session.clock();
    if (!remove) run.tainted = true;
    await this.lab.apply(kubectlChanges.taintNode(this.lab.kubectl, plan.node, OUT_OF_SERVICE_TAINT, remove));
    run.moments[remove ? 'untaint' : 'taint'] = { requestedAt, doneAt: session.clock() };
    if (remove) run.tainted = false;
  }

  /** Until the node is read NotReady and the old pod not Ready, then --settle more: no replacement meanwhile. */
  async down(): Promise<void> {
    const { plan } = this;
    // The controller manager's --node-monitor-grace-period (50 s by default) and a read or two.
    await this.until(() => this.observer.latest.node?.ready !== 'True', `node ${plan.node} NotReady`);
    // Marked not Ready by the node lifecycle controller just after; a run goes on without it (the record says when it was).
    await this.until(() => this.podNow?.ready !== 'True', `${plan.pod} not Ready`, 30 * SECOND).catch((error: Error) => {
      if (this.session.signal?.aborted) throw error;
    });
    await this.session.hold(Math.max(this.options.settleMs, SECOND));
  }

  /** Until the old pod is gone and its replacement created, then --settle more to show where it waits. */
  async replaced(): Promise<void> {
    const { plan } = this;
    await this.until(() => Boolean(this.podNow?.uid && this.podNow.uid !== this.uid), `a replacement of ${plan.pod}`);
    await this.session.hold(Math.max(this.options.settleMs, SECOND));
  }

  /**
   * Until the pod (old or new) is Ready, the StatefulSet settled, and the pod has answered the probe
   * since the node was started: a node stopped for less than the grace period was never NotReady,
   * so the API still says Ready while the kubelet restarts the killed containers.
   */
  async back(): Promise<void> {
    const { session, plan } = this;
    await session.waitFor({
      until: (state) => {
        const pod = state.pods.find((p) => p.metadata.name === plan.pod && !p.metadata.deletionTimestamp);
        return Boolean(pod && isPodReady(pod) && isStatefulSetSettled(state.statefulSet, state.pods));
      },
      waitingFor: `${plan.pod} Ready again`,
    });
    const since = this.run.moments.start?.doneAt ?? 0;
    await this.until(() => session.probe.samplesSince(since).some((s) => s.ok && s.pod === plan.pod), `${plan.pod} answering the probe again`);
  }
}

/** The phases of each recovery. */
async function nodeLossPhases(s: NodeLossSteps): Promise<void> {
  const { session, plan, options } = s;
  await session.phase('baseline', 'traffic before the node stops', () => session.hold(options.settleMs));
  await session.phase('stop', `power ${plan.node} off: ${plan.commands.stop.join(' ')}`, () => s.stopNode());
  await session.phase(
    'down',
    `until ${plan.node} is NotReady and ${plan.pod} not Ready, then ${(Math.max(options.settleMs, SECOND) / 1000).toFixed(1)} s: no replacement meanwhile`,
    () => s.down(),
  );
  if (options.recover === 'out-of-service') {
    const t = OUT_OF_SERVICE_TAINT;
    await session.phase('taint', `kubectl taint nodes ${plan.node} ${t.key}=${t.value}:${t.effect}`, () => s.taint(false));
    await session.phase('replace', `until ${plan.pod} is removed and re-created`, () => s.replaced());
  }
  await session.phase('start', `power ${plan.node} on: ${plan.commands.start.join(' ')}; until it is Ready`, () => s.startNode());
  if (options.recover === 'out-of-service') await session.phase('untaint', `remove the ${OUT_OF_SERVICE_TAINT.key} taint`, () => s.taint(true));
  await session.phase('back', `until ${plan.pod} is Ready again`, () => s.back());
  await session.phase('settle', 'traffic after the pod is back', () => session.hold(Math.max(options.settleMs, SECOND)));
}

/**
 * After an error or Ctrl-C: the node started, the taint removed, the pod waited for; each step tried
 * whatever the one before did. Returns the lines of what was put back (or not).
 */
async function undoNodeLoss(s: NodeLossSteps): Promise<string[]> {
  const { session, run, plan } = s;
  session.undoing = true;
  const said: string[] = [];
  const step = async (name: string, detail: string, body: () => Promise<void>, done: string) =>
    said.push(
      await session.phase(name, detail, body).then(
        () => done,
        (error: Error) => `${detail} failed: ${error.message}`,
      ),
    );
  if (run.stopped) await step('undo', `power ${plan.node} on: ${plan.commands.start.join(' ')}`, () => s.startNode(), `${plan.node} started and Ready`);
  if (!run.tainted) {
    const node = await readNode(s.lab.kubectl, plan.node).catch(() => undefined);
    run.tainted = node ? hasOutOfServiceTaint(node) : run.tainted;
  }
  if (run.tainted) await step('undo', `remove the ${OUT_OF_SERVICE_TAINT.key} taint from ${plan.node}`, () => s.taint(true), 'taint removed');
  if (session.changed) await step('undo', `until ${plan.pod} is Ready again`, () => s.back(), `${plan.pod} Ready again`);
  return said;
}

async function measureNodeLoss({ demo, lab, plan, options, spec }: Lesson<NodeLossOptions, NodeLossPlan>): Promise<NodeLossRecord> {
  const run: NodeLossRun = { moments: { stop: null, taint: null, start: null, untaint: null }, stopped: false, tainted: false, cleanup: [] };
  let observer: NodeLossObserver | undefined;
  let steps: NodeLossSteps | undefined;
  let uid = '';
  const names = Array.from({ length: plan.replicas }, (_, i) => `${lab.release}-${i}`);
  try {
    const seen = await runOnHarness<Snapshot>(
      demo,
      {
        ...spec,
        start: { title: `node loss of ${plan.node} (--recover ${options.recover})`, release: lab.release, replicas: plan.replicas },
      },
      {
        read: (lab, files) => snapshot(lab, files),
        prepare: async ({ session, clock }) => {
          // Every ten probe intervals, from 250 ms to 1 s: the node's NotReady is timed to a read.
          observer = new NodeLossObserver(lab.kubectl, plan.node, lab.releaseSelector, names, clock, Math.min(1000, Math.max(250, 10 * options.intervalMs)));
          await observer.start();
          uid = observer.latest.pods.get(plan.pod)?.uid ?? '';
          if (!uid) throw new LabError(`pod ${plan.pod} is not there; nothing was changed`, `check it: kubectl get pod ${plan.pod}`);
          steps = new NodeLossSteps(lab, session, observer, plan, options, run, uid);
        },
        phases: () => nodeLossPhases(steps!),
        undo: async (_frame, failure, interruptedIn) => {
          run.cleanup = await undoNodeLoss(steps!);
          return [`${failure.message}${interruptedIn ? ` during ${interruptedIn}` : ''}`, ...run.cleanup].join('; ');
        },
      },
    );
    await observer!.read().catch(() => undefined);
    await observer!.stop();
    return nodeLossRecord(seen, { plan, options, run, observer: observer!, uid });
  } finally {
    await observer?.stop();
  }
}

/** What the run knows besides what the harness saw. */
interface RecordInputs {
  plan: NodeLossPlan;
  options: NodeLossOptions;
  run: NodeLossRun;
  observer: NodeLossObserver;
  uid: string;
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** The pod of the identity as the observer last read it, with its claim and counter. */
function identityOf(i: RecordInputs, counters: CounterSnapshot[], first: boolean): NodeLossIdentity | null {
  const own = i.observer.pods.filter((o) => o.pod === i.plan.pod);
  const o = first ? own[0] : own.at(-1);
  if (!o?.uid) return null;
  const c = counters.find((x) => x.pod === i.plan.pod);
  return {
    pod: i.plan.pod,
    uid: o.uid,
    node: o.node,
    ready: o.ready === 'True' && !o.deleting,
    pvc: c?.pvc ?? i.plan.volume?.pvc ?? null,
    pvcUid: c?.pvcUid ?? null,
    counter: c?.counter ?? null,
  };
}

/** The run record from what the harness saw and what the run read: the figures and the verdict. Pure. */
export function nodeLossRecord(seen: Seen<Snapshot>, i: RecordInputs): NodeLossRecord {
  const { plan, options, run, observer } = i;
  const start = seen.frame.start;
  const afterRead = seen.after ?? { counters: [], ready: [], claims: [] };
  const figures = nodeLossFigures({
    pod: plan.pod,
    node: plan.node,
    uid: i.uid,
    moments: run.moments,
    nodes: observer.nodes,
    pods: observer.pods,
    podEvents: seen.podEvents,
    samples: seen.samples,
  });
  const dataChecks = checkData(start.counters, afterRead.counters, seen.samples);
  const before = identityOf(i, start.counters, true)!;
  const after = identityOf(i, afterRead.counters, false);
  const nodeNow = observer.latest.node;
  const nodeAfter = nodeNow ? { ready: nodeNow.ready === 'True', outOfService: nodeNow.outOfService } : null;
  const { verdict, reason } = decideNodeLoss({
    recover: options.recover,
    pod: plan.pod,
    node: plan.node,
    stop: seen.failure && { message: seen.stopMessage ?? seen.failure.message, interruptedIn: seen.interruptedIn },
    figures,
    before: { uid: i.uid, pvcUid: before?.pvcUid ?? null },
    after: after && { uid: after.uid, ready: after.ready, pvcUid: after.pvcUid },
    nodeAfter,
    readyReplicas: afterRead.ready.length,
    replicas: plan.replicas,
    dataChecks,
  });
  const { session, target } = seen.frame;
  return {
    schema: 1,
    lesson: 'node-loss',
    id: `${seen.startedAt.toISOString().replace(/[:.]/g, '-')}-node-loss-${options.recover}`,
    release: seen.frame.lab.release,
    namespace: seen.namespace,
    cluster: seen.cluster,
    ...(target.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    recover: options.recover,
    pod: plan.pod,
    node: plan.node,
    commands: plan.commands,
    options: { replicas: plan.replicas, intervalMs: options.intervalMs, settleMs: options.settleMs, timeoutMs: options.timeoutMs },
    environment: seen.environment,
    startedAt: seen.startedAt.toISOString(),
    endedAt: seen.endedAt.toISOString(),
    durationMs: seen.endedAt.getTime() - seen.startedAt.getTime(),
    phases: session.phases,
    podEvents: seen.podEvents,
    nodes: observer.nodes,
    pods: observer.pods,
    moments: run.moments,
    volume: plan.volume,
    dataMeaning: volumeMeaning(options.recover, plan.pod, plan.volume ? plan.volume.node : null, plan.node),
    identity: { before, after },
    nodeAfter,
    readyReplicas: afterRead.ready.length,
    figures: figures ?? null,
    failedRequests: figures?.failed ?? { count: 0, firstMs: null, lastMs: null, spanMs: 0 },
    probe: summarizeProbe(seen.samples, options.intervalMs),
    samples: seen.samples,
    counters: { before: start.counters, after: afterRead.counters },
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    cleanup: run.cleanup,
    verdict,
    reason,
    notes: session.notes,
  };
}

/** Why `lab` skips the node-loss lesson here (one line), or undefined when it can run it. */
export async function nodeLossUnavailable(lab: Lab): Promise<string | undefined> {
  const usable = await whyNodeLessonCannotRun(lab, 'losing one needs another one to keep serving');
  if ('why' in usable) return usable.why;
  try {
    powerCommands(
      {},
      schedulableNodes(usable.nodes)[0]!.metadata.name,
      usable.nodes.map((n) => n.metadata.name),
    );
    return undefined;
  } catch {
    return 'k8s-lab cannot power a node of this cluster off by itself: run `k8s-lab demo-node-loss --stop-command … --start-command …`';
  }
}

// demo-drain: drains the node of one pod under the probe, with the chart's PodDisruptionBudget in
// force, the way `kubectl drain --pod-selector=<the release's pods>` does: cordon the node, then
// evict the release's pods on it through the Eviction API (policy/v1), retrying the evictions the
// budget refuses (HTTP 429). The node is uncordoned at the end whatever happens.

import { setTimeout as sleep } from 'node:timers/promises';
import { isBudgetRefusal, isPodGone, kubectlChanges } from '../adapters/changes.js';
import { isPodReady, podClaim, schedulableNodes, type Node, type PersistentVolumeClaim, type Pod } from '../adapters/kube-objects.js';
import type { Kubectl } from '../adapters/kubectl.js';
import type { FileReader } from '../counters.js';
import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import type { LiveEvent } from '../events.js';
import { summarizeProbe } from '../probe/stats.js';
import { checkData } from './analysis.js';
import {
  decideDrain,
  drainFailedRequests,
  pictureClear,
  podMoves,
  type DrainPodIdentity,
  type DrainRecord,
  type EvictionAttempt,
  type Placement,
} from './drain-analysis.js';
import { checkLessonRelease, lessonOrdinal, type LessonOptions } from './lesson-checks.js';
import type { LessonEnvironment } from './lessons.js';
import { cordonPhase } from './node-lessons.js';
import { lessonRun, runOnHarness, snapshot, type DemoFrame, type Lesson } from './harness.js';
import type { CounterSnapshot, PodEvent } from './record.js';
import type { DemoSession } from './session.js';

/** How often a refused eviction is tried again (kubectl drain waits 5 s; 1 s measures the refusal closer). */
export const EVICTION_RETRY_MS = 1000;
/** How often the pods' nodes are read while the lesson runs. */
const PLACEMENT_POLL_MS = 500;

export interface DrainOptions extends LessonOptions {
  /** Uncordon this long after the cordon; undefined: once the picture is clear. */
  uncordonAfterMs?: number;
}

/** Nodes new pods can go to: Ready, not cordoned, no NoSchedule or NoExecute taint. */
export function schedulableNodeNames(nodes: Node[]): string[] {
  return schedulableNodes(nodes)
    .map((n) => n.metadata.name)
    .sort();
}

interface DrainPlan {
  replicas: number;
  name: string;
  node: string;
  nodes: string[];
}

/** Every check before anything changes: the release deployed, --pod in range, 2+ schedulable nodes, the pod on one of them. */
export async function checkDrain(lab: Lab, options: Pick<DrainOptions, 'pod'>): Promise<DrainPlan> {
  const [{ replicas }, nodes] = await Promise.all([checkLessonRelease(lab), lab.kubectl.nodes()]);
  if (replicas < 1) throw new LabError(`release ${lab.release} has 0 replicas: no pod to drain`, 'deploy with --replicas 2 first');
  const ordinal = lessonOrdinal(lab.release, options.pod, replicas);
  const schedulable = schedulableNodeNames(nodes);
  if (schedulable.length < 2)
    throw new LabError(
      `the cluster has ${schedulable.length} schedulable node${schedulable.length === 1 ? '' : 's'} (${schedulable.join(', ') || 'none'}): a drain needs another one for the pods to go to; nothing was changed`,
      'run it on a cluster with two or more worker nodes (kind with workers, k3d with agents)',
    );
  const name = `${lab.release}-${ordinal}`;
  const pod = (await lab.kubectl.pods(lab.releaseSelector)).find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
  const node = pod?.spec?.nodeName;
  if (!node) throw new LabError(`pod ${name} is not running on a node; nothing was changed`, `check it: kubectl get pod ${name} -o wide`);
  if (!schedulable.includes(node))
    throw new LabError(
      `node ${node} of pod ${name} is not schedulable (cordoned, tainted or not Ready): the lesson would not be the one to uncordon it; nothing was changed`,
      `uncordon it yourself (\`kubectl uncordon ${node}\`) or pick another --pod`,
    );
  return { replicas, name, node, nodes: schedulable };
}

/** Runs the drain lesson and returns its run record (also written to recordDir). */
export const runDrain = lessonRun<DrainOptions, DrainPlan, DrainRecord>(checkDrain, measureDrain);

interface Identities {
  identities: DrainPodIdentity[];
  counters: CounterSnapshot[];
}

/** Reads every pod of the release with its node, claim (and claim's UID) and counter. */
async function readIdentities(lab: Lab, files: FileReader): Promise<Identities> {
  const [snap, pods, claims] = await Promise.all([
    snapshot(lab, files),
    lab.kubectl.pods(lab.releaseSelector),
    lab.kubectl.list<PersistentVolumeClaim & { metadata: { uid?: string } }>('persistentvolumeclaims', lab.releaseSelector),
  ]);
  const identities = pods
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => {
      const pvc = podClaim(p) ?? null;
      return {
        pod: p.metadata.name,
        uid: (p.metadata as { uid?: string }).uid ?? null,
        node: p.spec?.nodeName ?? null,
        pvc,
        pvcUid: claims.find((c) => c.metadata.name === pvc)?.metadata.uid ?? null,
        counter: snap.counters.find((c) => c.pod === p.metadata.name)?.counter ?? null,
      };
    })
    .sort((a, b) => a.pod.localeCompare(b.pod, undefined, { numeric: true }));
  return { identities, counters: snap.counters };
}

/** Where a pod is now, as a placement. */
export function placementOf(pod: Pod, t: number): Placement {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const node = pod.spec?.nodeName ?? null;
  const state: Placement['state'] = pod.metadata.deletionTimestamp ? 'terminating' : !node ? 'pending' : isPodReady(pod) ? 'ready' : 'starting';
  const why = state === 'pending' && scheduled?.status === 'False' ? scheduled.message : undefined;
  return { t, pod: pod.metadata.name, uid: (pod.metadata as { uid?: string }).uid ?? null, node, state, ...(why && { why }) };
}

/** Polls the release's pods and records each change of a pod's UID, node or state (pods × nodes × time). */
export class PlacementTracker {
  readonly placements: Placement[] = [];
  private readonly last = new Map<string, Placement>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kubectl: Kubectl,
    private readonly selector: string,
    private readonly clock: () => number,
  ) {}

  /** Records what changed since the last read. */
  observe(pods: Pod[], t: number): void {
    const seen = new Set<string>();
    for (const pod of pods) {
      const now = placementOf(pod, t);
      seen.add(now.pod);
      const before = this.last.get(now.pod);
      // The scheduler's message counts as a change: a read may come before its first attempt (the
      // pod Pending without PodScheduled), and the message is what the lesson quotes.
      if (before && before.uid === now.uid && before.node === now.node && before.state === now.state && before.why === now.why) continue;
      this.last.set(now.pod, now);
      this.placements.push(now);
    }
    for (const [name, before] of this.last) {
      if (seen.has(name) || before.state === 'gone') continue;
      const gone: Placement = { t, pod: name, uid: null, node: null, state: 'gone' };
      this.last.set(name, gone);
      this.placements.push(gone);
    }
  }

  async poll(): Promise<void> {
    const pods = await this.kubectl.pods(this.selector).catch(() => undefined);
    if (pods) this.observe(pods, this.clock());
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.poll();
        await sleep(PLACEMENT_POLL_MS);
      }
    })();
  }

  async stop(): Promise<Placement[]> {
    this.running = false;
    await this.loop;
    await this.poll();
    return this.placements;
  }
}

/** What the phases leave behind for the record. */
interface DrainRun {
  cordonedAt: number | null;
  uncordonedAt: number | null;
  evictions: EvictionAttempt[];
}

/** The line of the API server's answer that says why an eviction was refused. */
function refusalMessage(detail: string | undefined): string {
  return (
    (detail ?? '')
      .split('\n')
      .find((l) => /TooManyRequests|disruption budget/i.test(l))
      ?.trim() ?? 'refused (429)'
  );
}

/** One eviction POST: accepted, refused by the budget (429), or the pod already gone; any other failure throws. */
async function evictOnce(lab: Lab, namespace: string, pod: string, t: () => number): Promise<EvictionAttempt> {
  const at = t();
  try {
    await lab.apply(kubectlChanges.evict(lab.kubectl, namespace, pod));
    return { t: at, pod, outcome: 'evicted' };
  } catch (error) {
    const detail = (error as LabError).detail;
    if (isBudgetRefusal(detail)) return { t: at, pod, outcome: 'refused', message: refusalMessage(detail) };
    if (isPodGone(detail)) return { t: at, pod, outcome: 'gone' };
    throw error;
  }
}

interface DrainContext {
  lab: Lab;
  session: DemoSession;
  tracker: PlacementTracker;
  plan: DrainPlan;
  options: DrainOptions;
  namespace: string;
  before: DrainPodIdentity[];
  run: DrainRun;
  feed?: (event: LiveEvent) => void;
}

/**
 * Evicts the release's pods on the node, each refused one again every EVICTION_RETRY_MS, until
 * --uncordon-after has passed since the cordon, or (without it) the picture is clear: every pod
 * evicted and back Ready or Pending for the settle time (at least 5 s), or refused that long.
 */
async function evictUntilClear(c: DrainContext): Promise<void> {
  const { session, run, plan, options } = c;
  // Pod N first: it is the one the lesson is about; the others of the release on the node after it.
  const onNode = c.before
    .filter((p) => p.node === plan.node)
    .map((p) => p.pod)
    .sort((a, b) => Number(b === plan.name) - Number(a === plan.name));
  const heldMs = Math.max(options.settleMs, 5000);
  const deadline = run.cordonedAt! + (options.uncordonAfterMs ?? options.timeoutMs);
  const done = new Set<string>();
  for (;;) {
    for (const pod of onNode.filter((p) => !done.has(p))) {
      session.checkpoint();
      const attempt = await evictOnce(c.lab, c.namespace, pod, session.clock);
      run.evictions.push(attempt);
      if (attempt.outcome !== 'refused') done.add(pod);
      c.feed?.({
        kind: 'note',
        t: attempt.t,
        text: `eviction of ${pod}: ${attempt.outcome}${attempt.message ? ` (${attempt.message})` : ''}`,
        warn: attempt.outcome === 'refused',
      });
    }
    await c.tracker.poll();
    const now = session.clock();
    if (now >= deadline) return;
    if (options.uncordonAfterMs === undefined) {
      const moves = podMoves(c.before, plan.node, run.evictions, c.tracker.placements, null);
      if (pictureClear(moves, now, heldMs, c.tracker.placements)) return;
    }
    await session.hold(Math.min(EVICTION_RETRY_MS, Math.max(0, deadline - now)));
  }
}

async function drainPhases(c: DrainContext): Promise<void> {
  const { lab, session, run, plan, options } = c;
  await session.phase('baseline', 'traffic before the drain', () => session.hold(options.settleMs));
  await cordonPhase(session, plan.node, run);
  const until = options.uncordonAfterMs === undefined ? 'until the picture is clear' : `for ${(options.uncordonAfterMs / 1000).toFixed(1)} s after the cordon`;
  await session.phase(
    'evict',
    `the release's pods on ${plan.node} evicted through the Eviction API (refusals retried every ${EVICTION_RETRY_MS / 1000} s), ${until}`,
    () => evictUntilClear(c),
  );
  await session.phase('uncordon', `kubectl uncordon ${plan.node}`, () => uncordon(c));
  await session.phase('recover', 'until every pod is Ready again', () => session.waitFor({ waitingFor: `pods of ${lab.release} Ready again` }));
  await session.phase('settle', 'traffic after the pods are back', () => session.hold(Math.max(options.settleMs, 1000)));
}

async function uncordon(c: DrainContext): Promise<void> {
  c.run.uncordonedAt = c.session.clock();
  await c.lab.apply(kubectlChanges.uncordon(c.lab.kubectl, c.plan.node));
}

/** After a failure or Ctrl-C: the node uncordoned if the lesson cordoned it, then (interrupted) the pods waited for. */
async function undoDrain(c: DrainContext, failure: Error | undefined, interruptedIn: string | undefined): Promise<string | undefined> {
  if (!failure) return undefined;
  const { session, run, plan } = c;
  const said: string[] = [];
  if (run.cordonedAt !== null && run.uncordonedAt === null) {
    session.undoing = true;
    said.push(
      await session
        .phase('undo', `kubectl uncordon ${plan.node}`, () => uncordon(c))
        .then(
          () => `${plan.node} uncordoned`,
          (error: Error) => `uncordoning ${plan.node} failed (${error.message}): run \`kubectl uncordon ${plan.node}\``,
        ),
    );
  }
  if (session.changed && interruptedIn) {
    session.undoing = true;
    said.push(
      await session
        .phase('undo', 'until every pod is Ready again', () => session.waitFor({ waitingFor: `pods of ${c.lab.release} Ready again` }))
        .then(
          () => 'every pod is Ready again',
          (error: Error) => `waiting for the pods failed: ${error.message}`,
        ),
    );
  }
  const where = interruptedIn ? ` during ${interruptedIn}` : '';
  return `${failure.message}${where}${said.length ? `; ${said.join('; ')}` : ''}`;
}

/** The drained node schedulable again, read from the API; null when it could not be read. */
async function nodeUncordoned(kubectl: Kubectl, node: string): Promise<boolean | null> {
  const nodes = await kubectl.nodes().catch(() => undefined);
  const found = nodes?.find((n) => n.metadata.name === node);
  return found ? !found.spec?.unschedulable : null;
}

type Budget = DrainRecord['budget'];

async function readBudget(lab: Lab): Promise<Budget> {
  type Pdb = {
    metadata: { name: string };
    spec?: { maxUnavailable?: number | string; minAvailable?: number | string };
    status?: { disruptionsAllowed?: number };
  };
  const pdb = await lab.kubectl.find<Pdb>('poddisruptionbudget', lab.release).catch(() => undefined);
  if (!pdb) return null;
  return {
    name: pdb.metadata.name,
    maxUnavailable: pdb.spec?.maxUnavailable ?? null,
    minAvailable: pdb.spec?.minAvailable ?? null,
    disruptionsAllowed: pdb.status?.disruptionsAllowed ?? null,
  };
}

async function measureDrain({ demo, lab, plan, options, spec }: Lesson<DrainOptions, DrainPlan>): Promise<DrainRecord> {
  const budget = await readBudget(lab);
  const run: DrainRun = { cordonedAt: null, uncordonedAt: null, evictions: [] };
  let tracker: PlacementTracker | undefined;
  const contextOf = (frame: DemoFrame<Identities>): DrainContext => ({
    lab: frame.lab,
    session: frame.session,
    tracker: tracker!,
    plan,
    options,
    namespace: '',
    before: frame.start.identities,
    run,
    feed: spec.hooks.feed,
  });
  let namespace = '';
  const seen = await runOnHarness<Identities>(
    demo,
    { ...spec, start: { title: `drain of ${plan.node} (node of ${plan.name})`, release: lab.release, replicas: plan.replicas } },
    {
      read: readIdentities,
      prepare: async (frame) => {
        namespace = await frame.lab.kubectl.namespace();
        tracker = new PlacementTracker(frame.lab.kubectl, frame.lab.releaseSelector, frame.clock);
        tracker.start();
      },
      phases: (frame) => drainPhases({ ...contextOf(frame), namespace }),
      undo: (frame, failure, interruptedIn) => undoDrain({ ...contextOf(frame), namespace }, failure, interruptedIn),
    },
  ).catch(async (error: Error) => {
    await tracker?.stop();
    throw error;
  });
  const placements = await tracker!.stop();
  const uncordonedAfter = await nodeUncordoned(lab.kubectl, plan.node);
  return drainRecord({
    lab,
    plan,
    options,
    session: seen.frame.session,
    run,
    budget,
    start: seen.frame.start,
    after: seen.after ?? { identities: [], counters: [] },
    uncordonedAfter,
    placements,
    samples: seen.samples,
    podEvents: seen.podEvents,
    stop: seen.failure && { message: seen.stopMessage ?? seen.failure.message, interruptedIn: seen.interruptedIn },
    viaApiServer: seen.frame.target.viaApiServer,
    environment: seen.environment,
    namespace: seen.namespace,
    cluster: seen.cluster,
    startedAt: seen.startedAt,
    endedAt: seen.endedAt,
  });
}

interface DrainRecordInputs {
  lab: Lab;
  plan: DrainPlan;
  options: DrainOptions;
  session: DemoSession;
  run: DrainRun;
  budget: Budget;
  start: Identities;
  after: Identities;
  uncordonedAfter: boolean | null;
  placements: Placement[];
  samples: Awaited<ReturnType<DemoSession['probe']['stop']>>;
  podEvents: PodEvent[];
  stop: { message: string; interruptedIn?: string } | undefined;
  viaApiServer: boolean | undefined;
  environment: LessonEnvironment;
  namespace: string;
  cluster: DrainRecord['cluster'];
  startedAt: Date;
  endedAt: Date;
}

/** The run record: pure of what was measured. */
export function drainRecord(i: DrainRecordInputs): DrainRecord {
  const { run, plan, options } = i;
  const moves = podMoves(i.start.identities, plan.node, run.evictions, i.placements, run.uncordonedAt);
  const failedRequests = drainFailedRequests(i.samples, run.cordonedAt);
  const dataChecks = checkData(i.start.counters, i.after.counters, i.samples);
  const { verdict, reason } = decideDrain({
    stop: i.stop,
    replicas: plan.replicas,
    node: plan.node,
    moves,
    failedRequests,
    uncordonedAfter: i.uncordonedAfter,
    before: i.start.identities,
    after: i.after.identities,
    dataChecks,
  });
  return {
    schema: 1,
    lesson: 'drain',
    id: `${i.startedAt.toISOString().replace(/[:.]/g, '-')}-drain`,
    release: i.lab.release,
    namespace: i.namespace,
    cluster: i.cluster,
    ...(i.viaApiServer && { probeVia: 'api-server-proxy' as const }),
    pod: plan.name,
    node: plan.node,
    options: { replicas: plan.replicas, intervalMs: options.intervalMs, settleMs: options.settleMs, uncordonAfterMs: options.uncordonAfterMs ?? null },
    environment: i.environment,
    startedAt: i.startedAt.toISOString(),
    endedAt: i.endedAt.toISOString(),
    durationMs: i.endedAt.getTime() - i.startedAt.getTime(),
    phases: i.session.phases,
    podEvents: i.podEvents,
    nodes: plan.nodes,
    budget: i.budget,
    cordonedAt: run.cordonedAt,
    uncordonedAt: run.uncordonedAt,
    uncordonedAfter: i.uncordonedAfter,
    evictions: run.evictions,
    placements: i.placements,
    moves,
    failedRequests,
    identity: { before: i.start.identities, after: i.after.identities },
    probe: summarizeProbe(i.samples, options.intervalMs),
    samples: i.samples,
    counters: { before: i.start.counters, after: i.after.counters },
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    verdict,
    reason,
    notes: i.session.notes,
  };
}

import { CLAIM_TEMPLATE, isObserved, podOrdinal } from '../adapters/kube-objects.js';
import { ordinalsUpdated } from '../rollout.js';
import { RECREATE_METHODS, type RecreateMethod } from '../features.js';
import type { Strategy } from './record.js';
import type { DemoSession } from './session.js';

/** Grace period of the recreate demo's pod deletions (see `recreate`). */
export const RECREATE_GRACE_SECONDS = 2;

export interface StrategyPlan {
  replicas: number;
  from: string;
  to: string;
  canaryPercent: number;
  checkMs: number;
  readyTimeoutMs: number;
  /** The new version's /healthz never passes (a canary that must abort). */
  broken: boolean;
  keepCanaryPvcs: boolean;
  /** recreate: the StatefulSet's own Recreate strategy where the server has it, else the emulation. */
  recreate: RecreateMethod;
  /** rolling: `updateStrategy.rollingUpdate.maxUnavailable` for this update (checked to be kept by the server). */
  maxUnavailable?: number | string;
  /** rolling: the release's maxUnavailable before the demo (null or "": none), put back afterwards. */
  previousMaxUnavailable?: number | string | null;
}

/** How a strategy ended: completed, or aborted on purpose with the old version left serving. */
export type StrategyOutcome = { aborted: false } | { aborted: true; reason: string };

const completed: StrategyOutcome = { aborted: false };

/**
 * The StatefulSet's own RollingUpdate: one pod at a time, highest ordinal first; with
 * `maxUnavailable` up to that many at once (Kubernetes 1.37+, or the feature gate before).
 */
async function rolling(session: DemoSession, plan: StrategyPlan): Promise<StrategyOutcome> {
  const { maxUnavailable } = plan;
  if (maxUnavailable === undefined) {
    await session.phase('rollout', `RollingUpdate to ${plan.to}, highest ordinal first`, async () => {
      await session.upgrade({ 'app.version': plan.to, 'app.broken': plan.broken, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 });
      await session.waitFor();
    });
    return completed;
  }
  session.notes.push(
    `RollingUpdate with rollingUpdate.maxUnavailable ${maxUnavailable}: up to ${maxUnavailable} pods replaced at once, highest ordinals first.`,
  );
  await session.phase('rollout', `RollingUpdate to ${plan.to} with maxUnavailable ${maxUnavailable}, highest ordinals first`, async () => {
    await session.upgrade({
      'app.version': plan.to,
      'app.broken': plan.broken,
      'updateStrategy.type': 'RollingUpdate',
      'updateStrategy.partition': 0,
      'updateStrategy.maxUnavailable': maxUnavailable,
    });
    await session.waitFor();
  });
  // "" unsets it: under --reuse-values Helm keeps the previous value beneath a null.
  const previous = plan.previousMaxUnavailable ?? '';
  await session.phase('restore', `maxUnavailable back to ${previous === '' ? 'the default (1)' : previous}`, async () => {
    await session.upgrade({ 'updateStrategy.maxUnavailable': previous });
    await session.waitFor();
  });
  return completed;
}

/**
 * Kubernetes 1.37's own Recreate (alpha, feature gate StatefulSetRecreateStrategy): the controller
 * deletes every pod, waits until they are gone and creates them all on the new revision. The old
 * pods get their full termination (preStop drain included), as the controller deletes them.
 */
async function recreateNatively(session: DemoSession, plan: StrategyPlan): Promise<StrategyOutcome> {
  session.notes.push(
    `Recreate ${RECREATE_METHODS.native}: updateStrategy Recreate with the new version in one upgrade; the StatefulSet controller deletes and re-creates every pod itself.`,
  );
  await session.phase('recreate', `updateStrategy Recreate, template at ${plan.to}: the controller replaces all ${plan.replicas} pods at once`, async () => {
    await session.upgrade({ 'app.version': plan.to, 'app.broken': plan.broken, 'updateStrategy.type': 'Recreate' });
    await session.waitFor({ until: (s) => ordinalsUpdated(s, 0, plan.replicas), waitingFor: `new pods at ${plan.to}` });
  });
  await session.phase('restore', 'updateStrategy back to RollingUpdate, partition 0', async () => {
    await session.upgrade({ 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 });
    await session.waitFor();
  });
  return completed;
}

/**
 * Recreate where the server has no Recreate strategy (or with --emulate-recreate): OnDelete, then
 * every pod deleted at once; the Parallel policy brings them back together.
 */
async function recreate(session: DemoSession, plan: StrategyPlan): Promise<StrategyOutcome> {
  if (plan.recreate === 'native') return recreateNatively(session, plan);
  session.notes.push(
    `Recreate ${RECREATE_METHODS.emulated}: updateStrategy OnDelete, then every pod deleted at once with a ${RECREATE_GRACE_SECONDS} s grace period.`,
  );
  await session.phase('prepare', `updateStrategy OnDelete, template at ${plan.to} (no pod changes yet)`, async () => {
    await session.upgrade({ 'app.version': plan.to, 'app.broken': plan.broken, 'updateStrategy.type': 'OnDelete' });
    await session.waitFor({ until: (s) => isObserved(s.statefulSet) });
  });
  await session.phase('recreate', `delete all ${plan.replicas} pods at once`, async () => {
    const pods = await session.lab.kubectl.pods(session.lab.releaseSelector);
    const names = pods.map((p) => p.metadata.name);
    // Every pod goes at once, so there is no other pod to drain to: the preStop delay that keeps a
    // rolling update lossless would only lengthen the outage. A short grace period still lets the
    // app finish its in-flight requests on SIGTERM.
    await session.deletePods(names, RECREATE_GRACE_SECONDS);
    await session.waitFor({ until: (s) => ordinalsUpdated(s, 0, plan.replicas), waitingFor: `new pods at ${plan.to}` });
  });
  await session.phase('restore', 'updateStrategy back to RollingUpdate', async () => {
    await session.upgrade({ 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 });
    await session.waitFor();
  });
  return completed;
}

/** Extra pods at ordinals [replicas, replicas + extra): the canaries. */
export function canaryCount(replicas: number, percent: number): number {
  return Math.max(1, Math.ceil((replicas * percent) / 100));
}

/** Checks the canary pods under real traffic for the check window; a reason when they fail. */
async function checkCanaries(session: DemoSession, plan: StrategyPlan, canaries: string[]): Promise<string | undefined> {
  const since = session.clock();
  await session.hold(plan.checkMs);
  const samples = session.probe.samplesSince(since);
  const failed = samples.filter((s) => !s.ok);
  if (failed.length) return `${failed.length} of ${samples.length} requests through the Service failed during the check`;
  const answered = samples.filter((s) => s.pod && canaries.includes(s.pod));
  if (answered.length === 0) return `no request reached the canary pods (${canaries.join(', ')}) in ${plan.checkMs / 1000} s`;
  const wrong = answered.find((s) => s.version !== plan.to);
  if (wrong) return `canary ${wrong.pod} answered version ${wrong.version}, expected ${plan.to}`;
  const state = await session.state();
  const notReady = canaries.filter((name) => !ordinalsUpdated(state, podOrdinal(name), podOrdinal(name) + 1));
  if (notReady.length) return `canary pods no longer Ready: ${notReady.join(', ')}`;
  const counters = await session.countersOf(canaries);
  const short = counters.find((c) => c.counter === null || c.counter < answered.filter((s) => s.pod === c.pod).length);
  if (short) return `canary ${short.pod} did not keep its own counter (${short.counter ?? short.error})`;
  return undefined;
}

async function removeCanaryClaims(session: DemoSession, plan: StrategyPlan, canaries: string[]): Promise<void> {
  const claims = canaries.map((c) => `${CLAIM_TEMPLATE}-${c}`);
  if (plan.keepCanaryPvcs) {
    session.notes.push(`Canary PVCs kept (--keep-canary-pvcs): ${claims.join(', ')}.`);
    return;
  }
  await session.deletePvcs(claims, 'the canary PVCs');
  session.notes.push(`Canary PVCs deleted: ${claims.join(', ')}.`);
}

/**
 * Canary as the write-up describes it: ~25% extra pods on the new version (partition = the old
 * replica count while scaling out), checked under traffic, then the old pods are upgraded
 * (partition 0, highest ordinal first) and the extra pods removed. A failed check aborts: the
 * canaries go, the old version keeps serving.
 */
async function canary(session: DemoSession, plan: StrategyPlan): Promise<StrategyOutcome> {
  const extra = canaryCount(plan.replicas, plan.canaryPercent);
  const total = plan.replicas + extra;
  const canaries = Array.from({ length: extra }, (_, i) => `${session.lab.release}-${plan.replicas + i}`);
  const abort = async (reason: string): Promise<StrategyOutcome> => {
    await session.phase('abort', `${reason}; removing ${canaries.join(', ')}, ${plan.from} keeps serving`, async () => {
      await session.upgrade({ 'app.version': plan.from, 'app.broken': false, replicaCount: plan.replicas, 'updateStrategy.partition': 0 });
      await session.waitFor();
      await removeCanaryClaims(session, plan, canaries);
    });
    return { aborted: true, reason };
  };

  const started = await session.phase(
    'scale-out',
    `${extra} canary pod${extra > 1 ? 's' : ''} (${canaries.join(', ')}) at ${plan.to}, partition ${plan.replicas}`,
    async () => {
      await session.upgrade({
        'app.version': plan.to,
        'app.broken': plan.broken,
        replicaCount: total,
        'updateStrategy.type': 'RollingUpdate',
        'updateStrategy.partition': plan.replicas,
      });
      try {
        await session.waitFor({
          timeoutMs: plan.readyTimeoutMs,
          until: (s) => ordinalsUpdated(s, plan.replicas, total),
          waitingFor: `canary pods ${canaries.join(', ')}`,
        });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  );
  if (started) return abort(started);

  const failedCheck = await session.phase('check', `${plan.checkMs / 1000} s of traffic through the Service`, () => checkCanaries(session, plan, canaries));
  if (failedCheck) return abort(failedCheck);

  await session.phase('promote', `partition 0: the old pods move to ${plan.to}, highest ordinal first`, async () => {
    await session.upgrade({ 'updateStrategy.partition': 0 });
    await session.waitFor();
  });
  await session.phase('scale-in', `back to ${plan.replicas} replicas, the canary pods removed`, async () => {
    await session.upgrade({ replicaCount: plan.replicas });
    await session.waitFor();
    await removeCanaryClaims(session, plan, canaries);
  });
  return completed;
}

/** Kubernetes' native partitioned rollout: the highest ordinal first, checked, then the rest. */
async function partition(session: DemoSession, plan: StrategyPlan): Promise<StrategyOutcome> {
  const first = plan.replicas - 1;
  const pod = `${session.lab.release}-${first}`;
  await session.phase('first-pod', `partition ${first}: only ${pod} moves to ${plan.to}`, async () => {
    await session.upgrade({ 'app.version': plan.to, 'app.broken': plan.broken, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': first });
    await session.waitFor({ until: (s) => ordinalsUpdated(s, first, plan.replicas), waitingFor: pod });
  });
  const failedCheck = await session.phase('check', `${plan.checkMs / 1000} s of traffic: ${pod} answers ${plan.to}`, async () => {
    const since = session.clock();
    await session.hold(plan.checkMs);
    const samples = session.probe.samplesSince(since);
    const failed = samples.filter((s) => !s.ok).length;
    if (failed) return `${failed} of ${samples.length} requests failed during the check`;
    const fromPod = samples.filter((s) => s.pod === pod);
    if (fromPod.length && fromPod.some((s) => s.version !== plan.to)) return `${pod} did not answer with ${plan.to}`;
    return undefined;
  });
  if (failedCheck) {
    await session.phase('rollback', `${failedCheck}; ${pod} back to ${plan.from}`, async () => {
      await session.upgrade({ 'app.version': plan.from, 'updateStrategy.partition': 0 });
      await session.waitFor();
    });
    return { aborted: true, reason: failedCheck };
  }
  await session.phase('rest', `partition 0: the other ${first} pod${first === 1 ? '' : 's'} follow`, async () => {
    await session.upgrade({ 'updateStrategy.partition': 0 });
    await session.waitFor();
  });
  return completed;
}

export const strategies: Record<Strategy, (session: DemoSession, plan: StrategyPlan) => Promise<StrategyOutcome>> = { rolling, recreate, canary, partition };

import { setTimeout as sleep } from 'node:timers/promises';
import { isTransient } from './adapters/transient.js';
import {
  byOrdinal,
  isObserved,
  isPodReady,
  isStatefulSetSettled,
  podStatus,
  REVISION_LABEL,
  statefulSetSelector,
  type Pod,
  type StatefulSet,
} from './adapters/kube-objects.js';
import type { Kubectl } from './adapters/kubectl.js';
import { LabError } from './errors.js';
import { ROLLOUT_POLL_MS } from './limits.js';

export interface RolloutState {
  statefulSet: StatefulSet;
  pods: Pod[];
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  onProgress?: (summary: string) => void;
  /** What "done" means; by default every pod Ready on the newest revision. */
  until?: (state: RolloutState) => boolean;
  /** Names what is awaited in the timeout message. */
  waitingFor?: string;
  /** Stops the wait with the signal's reason (Ctrl-C). */
  signal?: AbortSignal;
}

/** The pods did not get where they should within the timeout; `state` is how they were left. */
export class RolloutTimeout extends LabError {
  constructor(
    message: string,
    hint: string,
    readonly state: RolloutState,
  ) {
    super(message, hint);
  }
}

/** Every live pod whose ordinal is in [from, to) exists, is Ready and runs the update revision. */
export function ordinalsUpdated(state: RolloutState, from: number, to: number): boolean {
  const { statefulSet, pods } = state;
  if (!isObserved(statefulSet)) return false;
  for (let ordinal = from; ordinal < to; ordinal++) {
    const pod = pods.find((p) => p.metadata.name === `${statefulSet.metadata.name}-${ordinal}` && !p.metadata.deletionTimestamp);
    if (!pod || !isPodReady(pod) || pod.metadata.labels?.[REVISION_LABEL] !== statefulSet.status?.updateRevision) return false;
  }
  return true;
}

/** One line on where the pods are: `1/2 Ready: helm-python-1 ContainerCreating`. */
export function describeProgress({ statefulSet, pods }: RolloutState): string {
  const want = statefulSet.spec.replicas ?? 1;
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const waiting = byOrdinal(pods)
    .filter((p) => !isPodReady(p) || p.metadata.deletionTimestamp)
    .map((p) => `${p.metadata.name} ${podStatus(p)}`);
  return `${live.filter(isPodReady).length}/${want} Ready${waiting.length ? `: ${waiting.join(', ')}` : ''}`;
}

/**
 * Waits until the StatefulSet has every pod Ready on its newest revision. Polls the API rather than
 * trusting `helm --wait`, whose meaning differs between Helm 3 and Helm 4.
 */
/** The StatefulSet and its pods; undefined when a read met the API server away and time is left. */
async function readState(kubectl: Kubectl, name: string, deadline: number): Promise<RolloutState | undefined> {
  try {
    const statefulSet = await kubectl.statefulSet(name);
    if (!statefulSet) throw new LabError(`StatefulSet ${name} does not exist`, 'deploy it first: `k8s-lab deploy`');
    return { statefulSet, pods: await kubectl.pods(statefulSetSelector(statefulSet)) };
  } catch (error) {
    const text = `${(error as Error).message}\n${(error as LabError).detail ?? ''}\n${String((error as { cause?: unknown }).cause ?? '')}`;
    if (Date.now() < deadline && isTransient(text)) return undefined;
    throw error;
  }
}

export async function waitForStatefulSet(kubectl: Kubectl, name: string, options: WaitOptions): Promise<RolloutState> {
  const deadline = Date.now() + options.timeoutMs;
  let state: RolloutState | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const read = await readState(kubectl, name, deadline);
    if (!read) {
      // The API server is briefly away: poll again until the deadline (what is waited for goes on).
      await sleep(options.pollMs ?? ROLLOUT_POLL_MS, undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
      continue;
    }
    state = read;
    options.onProgress?.(describeProgress(state));
    if ((options.until ?? ((s: RolloutState) => isStatefulSetSettled(s.statefulSet, s.pods)))(state)) return state;
    if (Date.now() >= deadline) break;
    await sleep(options.pollMs ?? ROLLOUT_POLL_MS, undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
  }
  const stuck = byOrdinal(state.pods).find((p) => !isPodReady(p));
  throw new RolloutTimeout(
    `${options.waitingFor ?? `pods of ${name}`} not Ready after ${Math.round(options.timeoutMs / 1000)} s (${describeProgress(state)})`,
    stuck
      ? `see why: kubectl describe pod ${stuck.metadata.name}${kubectl.target.namespace ? ` -n ${kubectl.target.namespace}` : ''}; or raise --timeout`
      : 'raise --timeout',
    state,
  );
}

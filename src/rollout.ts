import { setTimeout as sleep } from 'node:timers/promises';
import { byOrdinal, isPodReady, isStatefulSetSettled, podStatus, type Pod, type StatefulSet } from './adapters/kube-objects.js';
import type { Kubectl } from './adapters/kubectl.js';
import { LabError } from './errors.js';

export interface RolloutState {
  statefulSet: StatefulSet;
  pods: Pod[];
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  onProgress?: (summary: string) => void;
}

/** One line on where the pods are: `1/2 Ready — helm-python-1 ContainerCreating`. */
export function describeProgress({ statefulSet, pods }: RolloutState): string {
  const want = statefulSet.spec.replicas ?? 1;
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const waiting = byOrdinal(pods)
    .filter((p) => !isPodReady(p) || p.metadata.deletionTimestamp)
    .map((p) => `${p.metadata.name} ${podStatus(p)}`);
  return `${live.filter(isPodReady).length}/${want} Ready${waiting.length ? ` — ${waiting.join(', ')}` : ''}`;
}

/**
 * Waits until the StatefulSet has every pod Ready on its newest revision. Polls the API rather than
 * trusting `helm --wait`, whose meaning differs between Helm 3 and Helm 4.
 */
export async function waitForStatefulSet(kubectl: Kubectl, name: string, options: WaitOptions): Promise<RolloutState> {
  const deadline = Date.now() + options.timeoutMs;
  let state: RolloutState | undefined;
  for (;;) {
    const statefulSet = await kubectl.statefulSet(name);
    if (!statefulSet) throw new LabError(`StatefulSet ${name} does not exist`, 'deploy it first: `k8s-lab deploy`');
    const selector = Object.entries(statefulSet.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    state = { statefulSet, pods: await kubectl.pods(selector) };
    options.onProgress?.(describeProgress(state));
    if (isStatefulSetSettled(statefulSet, state.pods)) return state;
    if (Date.now() >= deadline) break;
    await sleep(options.pollMs ?? 1000);
  }
  const stuck = byOrdinal(state.pods).find((p) => !isPodReady(p));
  throw new LabError(
    `pods of ${name} not Ready after ${Math.round(options.timeoutMs / 1000)} s (${describeProgress(state)})`,
    stuck ? `see why: kubectl describe pod ${stuck.metadata.name}${kubectl.target.namespace ? ` -n ${kubectl.target.namespace}` : ''}; or raise --timeout` : 'raise --timeout',
  );
}

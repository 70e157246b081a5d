import { byOrdinal, isPodReady, podClaim, podOrdinal, REVISION_LABEL, statefulSetSelector, VERSION_LABEL, type Pod } from './adapters/kube-objects.js';
import { inNamespace, type Kubectl } from './adapters/kubectl.js';
import { mapBounded } from './concurrency.js';
import { LabError } from './errors.js';

export const COUNTER_FILE = '/data/counter.json';
export const APP_CONTAINER = 'app';

/** One pod's `/data/counter.json`, with what identifies the data: its PVC. */
export interface CounterReading {
  pod: string;
  ordinal: number;
  counter: number | null;
  pvc: string | null;
  revision: string | null;
  version: string | null;
  ready: boolean;
  /** Why the counter could not be read. */
  error?: string;
}

/** `{"counter": 12}` → 12; anything else is an error, never a zero. */
export function parseCounterFile(text: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`counter.json is not valid JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
  const counter = (parsed as { counter?: unknown } | null)?.counter;
  if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0) {
    throw new Error(`counter.json has no whole "counter": ${JSON.stringify(text.slice(0, 60))}`);
  }
  return counter;
}

/** Selects the pods of a StatefulSet by its own selector, so overrides of the chart's labels still work. */
export async function statefulSetPods(kubectl: Kubectl, name: string): Promise<Pod[]> {
  const sts = await kubectl.statefulSet(name);
  if (!sts) {
    const where = inNamespace(kubectl.target);
    throw new LabError(`release ${name} is not deployed${where} (no StatefulSet ${name})`, 'deploy it first: `k8s-lab deploy`');
  }
  return byOrdinal(await kubectl.pods(statefulSetSelector(sts)));
}

/** Reads every pod's counter concurrently (at most `concurrency` execs at once). */
export async function readCounters(kubectl: Kubectl, pods: Pod[], concurrency = 8): Promise<CounterReading[]> {
  return mapBounded(pods, concurrency, async (pod) => {
    const base: CounterReading = {
      pod: pod.metadata.name,
      ordinal: podOrdinal(pod.metadata.name),
      counter: null,
      pvc: podClaim(pod) ?? null,
      revision: pod.metadata.labels?.[REVISION_LABEL] ?? null,
      version: pod.metadata.labels?.[VERSION_LABEL] ?? null,
      ready: isPodReady(pod),
    };
    if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp) {
      return { ...base, error: `pod is ${pod.metadata.deletionTimestamp ? 'terminating' : (pod.status?.phase ?? 'not running')}` };
    }
    try {
      return { ...base, counter: parseCounterFile(await kubectl.readFile(pod.metadata.name, APP_CONTAINER, COUNTER_FILE)) };
    } catch (error) {
      return { ...base, error: (error as Error).message };
    }
  });
}

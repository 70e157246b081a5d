import { byOrdinal, isPodReady, podClaim, podOrdinal, REVISION_LABEL, statefulSetSelector, VERSION_LABEL, type Pod } from './adapters/kube-objects.js';
import type { ApiReader } from './adapters/exec-channel.js';
import type { KubeProxy as KubeProxyType } from './adapters/pod-exec.js';
import { ResumingReader, type ResumeOptions } from './adapters/transient.js';
import { inNamespace, type Kubectl } from './adapters/kubectl.js';
import { mapBounded } from './concurrency.js';
import { LabError } from './errors.js';
import { READ_PROXY_MS } from './limits.js';
import type { Lab } from './lab-context.js';

export const COUNTER_FILE = '/data/counter.json';
/** How many counter files are read at once through a reader of the API. */
const PROXIED_READS_AT_ONCE = 32;
export const APP_CONTAINER = 'app';
/** The app's container port (chart/templates/statefulset.yaml). */
export const APP_PORT = 8000;

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

function notDeployed(kubectl: Kubectl, name: string): LabError {
  return new LabError(`release ${name} is not deployed${inNamespace(kubectl.target)} (no StatefulSet ${name})`, 'deploy it first: `k8s-lab deploy`');
}

/** Selects the pods of a StatefulSet by its own selector, so overrides of the chart's labels still work. */
export async function statefulSetPods(kubectl: Kubectl, name: string): Promise<Pod[]> {
  const sts = await kubectl.statefulSet(name);
  if (!sts) throw notDeployed(kubectl, name);
  return byOrdinal(await kubectl.pods(statefulSetSelector(sts)));
}

/**
 * statefulSetPods with the pod list asked for at once beside the StatefulSet (one round trip to the
 * API server instead of two), by the chart's selector as the API server writes it (matchLabels sorted
 * by key). Used when the StatefulSet selects by exactly that and the list came; else its pods are
 * listed by its own selector as statefulSetPods does, whose failure is the one said.
 */
async function statefulSetPodsAtOnce(reader: ProxiedReader & { listPods: ListPods }, name: string): Promise<Pod[]> {
  const chartSelector = `app.kubernetes.io/instance=${name},app.kubernetes.io/name=k8s-lab-counter`;
  const listed = reader.listPods(chartSelector);
  const sts = await reader.kubectl.statefulSet(name);
  if (!sts) throw notDeployed(reader.kubectl, name);
  const selector = statefulSetSelector(sts);
  const pods = selector === chartSelector ? await listed : undefined;
  return byOrdinal(pods ?? (await reader.kubectl.pods(selector)));
}

/** Where a counter file is read from: `kubectl exec` (the Kubectl adapter itself), or the proxy. */
export interface FileReader {
  readFile(pod: string, container: string, path: string): Promise<string>;
}

/** Reads every pod's counter concurrently (at most `concurrency` reads at once). */
export async function readCounters(kubectl: Kubectl, pods: Pod[], concurrency = 8, reader: FileReader = kubectl): Promise<CounterReading[]> {
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
      return { ...base, counter: parseCounterFile(await reader.readFile(pod.metadata.name, APP_CONTAINER, COUNTER_FILE)) };
    } catch (error) {
      return { ...base, error: (error as Error).message };
    }
  });
}

/** Reads files, and the objects the Kubectl adapter reads, through one reader of the API: call close() when done. */
/** The pods a selector lists, straight from the API server; undefined for any answer but the list (never kubectl). */
type ListPods = (selector: string) => Promise<Pod[] | undefined>;

export interface ProxiedReader extends FileReader {
  /** Where it reads the API server itself (a read costs no process), not through kubectl proxy. */
  listPods?: ListPods;
  /** The lab's kubectl adapter, reading through the API reader. */
  kubectl: Kubectl;
  close(): Promise<void>;
}

/**
 * One reader of the API server for many reads: the counter files (served by the app through the API
 * server's pod proxy, else exec'd over a WebSocket, else `kubectl exec`, so a failing read's error is
 * kubectl's) and, through the returned adapter, the StatefulSet, pods and PVCs. The reader is the API
 * server itself, read from Node with the kubeconfig's credentials (no process at all); where the
 * kubeconfig uses what only kubectl supports, one `kubectl proxy`. Undefined, said with --verbose,
 * when neither can be had: then kubectl reads everything, as it always could.
 */
export async function openProxiedReader(
  lab: Pick<Lab, 'kubectl' | 'log'>,
  timeoutMs = READ_PROXY_MS,
  /** A demo's: reads that meet the control plane away are tried again (ResumingReader); the pod watch's lists are not (it lists again itself). */
  resume?: ResumeOptions,
): Promise<ProxiedReader | undefined> {
  const { kubectl, log } = lab;
  const resuming = (api: ApiReader): ApiReader => (resume ? new ResumingReader(api, resume) : api);
  const direct = await kubectl.direct((line) => log.debug(line));
  if ('reads' in direct) {
    const api = resuming(direct.api);
    return proxiedReader(lab, kubectl.withProxy({ ...direct.reads, proxy: api, once: direct.api }), api, 'the API server', true);
  }
  log.debug(`reading through kubectl proxy: ${direct.unsupported}`);
  // Loaded here, not at start-up: `k8s-lab counters --help` needs neither node:http nor node:crypto.
  const { KubeProxy } = await import('./adapters/pod-exec.js');
  const startedAt = Date.now();
  // Both at once; a kubeconfig kubectl cannot read fails later, in the caller's kubectl calls, as it always did.
  const [namespace, proxy] = await Promise.all([
    kubectl.namespace().catch(() => undefined),
    KubeProxy.start(kubectl, { timeoutMs, echo: (line) => log.debug(line) }).catch((error: Error) => {
      log.debug(`kubectl proxy could not start (${error.message}): reading with kubectl instead`);
      return undefined;
    }),
  ]);
  if (!proxy || namespace === undefined) {
    await proxy?.stop();
    return undefined;
  }
  // A demo's proxy that dies is started again (its reads go on); `counters` fails fast as before.
  const once = resume ? await restartingProxy(lab, proxy, startedAt + timeoutMs, resume) : proxy;
  const api = resuming(once);
  return proxiedReader(lab, kubectl.withProxy({ proxy: api, once, namespace }), api, 'kubectl proxy', false);
}

/** The demo's `kubectl proxy`, started again when it dies, until `deadline` (epoch ms): each restart told as a read outage. */
async function restartingProxy(lab: Pick<Lab, 'kubectl' | 'log'>, first: KubeProxyType, deadline: number, resume: ResumeOptions): Promise<ApiReader> {
  const [{ KubeProxy }, { RestartingProxy }] = await Promise.all([import('./adapters/pod-exec.js'), import('./adapters/restarting-proxy.js')]);
  const echo = (line: string) => lab.log.debug(line);
  return new RestartingProxy(first, {
    start: (ms) => KubeProxy.start(lab.kubectl, { timeoutMs: ms, echo }),
    deadline,
    onOutage: (outage) => {
      echo(`kubectl proxy ${outage.fault}`);
      resume.onOutage?.(outage);
    },
  });
}

function proxiedReader(lab: Pick<Lab, 'kubectl' | 'log'>, proxied: Kubectl, api: ApiReader, via: string, direct: boolean): ProxiedReader {
  // Only where a read costs no process (the API server itself): see statefulSetPodsAtOnce.
  const { kubectl, log } = lab;
  const listPods: ListPods = async (selector) => {
    try {
      const answer = await api.get(`/api/v1/namespaces/${encodeURIComponent(await proxied.namespace())}/pods?labelSelector=${encodeURIComponent(selector)}`);
      return answer.statusCode === 200 ? (JSON.parse(answer.body) as { items: Pod[] }).items : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    ...(direct && { listPods }),
    kubectl: proxied,
    async readFile(pod, container, path) {
      const namespace = await proxied.namespace();
      // The app serves its own counter file (GET /counter.json counts nothing): through the API
      // server's pod proxy that costs the node far less than an exec. A pod whose app does not
      // answer it (an older chart, shutting down) is read with exec.
      if (path === COUNTER_FILE) {
        const served = await api.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${pod}:${APP_PORT}/proxy/counter.json`).catch(() => undefined);
        if (served?.statusCode === 200) return served.body;
      }
      return api.exec(namespace, pod, container, ['cat', path]).catch((error: Error) => {
        log.debug(`exec in ${pod} through ${via} failed (${error.message}): kubectl exec instead`);
        return kubectl.readFile(pod, container, path);
      });
    },
    close: () => api.stop(),
  };
}

/**
 * Every counter of the release, read through one reader of the API (the StatefulSet, its pods, and
 * each pod's file) instead of a kubectl process per read; with kubectl for whatever it cannot do.
 */
export async function readReleaseCounters(lab: Pick<Lab, 'kubectl' | 'release' | 'log'>): Promise<CounterReading[]> {
  const reader = await openProxiedReader(lab);
  if (!reader) return readCounters(lab.kubectl, await statefulSetPods(lab.kubectl, lab.release));
  try {
    // All at once: over one HTTP/2 connection (or kubectl proxy's) a GET costs no process and no handshake.
    const { listPods } = reader;
    const pods = await (listPods ? statefulSetPodsAtOnce({ ...reader, listPods }, lab.release) : statefulSetPods(reader.kubectl, lab.release));
    return await readCounters(reader.kubectl, pods, PROXIED_READS_AT_ONCE, reader);
  } finally {
    await reader.close();
  }
}

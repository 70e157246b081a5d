// The few fields of Kubernetes objects k8s-lab reads, and pure parsers over `kubectl -o json`.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
}

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; startedAt?: string; finishedAt?: string };
}

/** A container probe's timing as the API server stores it (it fills in the defaults). */
export interface ProbeTiming {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ProbeSettings {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
}

interface ContainerSpec {
  name: string;
  readinessProbe?: ProbeTiming;
  livenessProbe?: ProbeTiming;
}

export interface Pod {
  kind?: 'Pod';
  metadata: ObjectMeta;
  spec?: { volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[]; nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    podIP?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state?: ContainerState; lastState?: ContainerState }[];
  };
}

export interface StatefulSet {
  kind?: 'StatefulSet';
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    /** The governing Service: each pod's DNS subdomain. Immutable. */
    serviceName?: string;
    podManagementPolicy?: string;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { shareProcessNamespace?: boolean; containers?: ContainerSpec[] } };
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    observedGeneration?: number;
  };
}

export interface Service {
  kind?: 'Service';
  metadata: ObjectMeta;
  spec: {
    type?: string;
    clusterIP?: string;
    externalIPs?: string[];
    ports?: { name?: string; port: number; nodePort?: number; protocol?: string; targetPort?: number | string }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface PersistentVolumeClaim {
  kind?: 'PersistentVolumeClaim';
  metadata: ObjectMeta;
  spec: { volumeName?: string; storageClassName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } } };
  status?: { phase?: string; capacity?: { storage?: string }; accessModes?: string[] };
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface Node {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: NodeTaint[] };
  status?: {
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}

export interface StorageClass {
  metadata: ObjectMeta;
  provisioner?: string;
}

/** A core/v1 Event: what the kubelet and controllers said about an object. */
export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

export type KubeObject = Pod | StatefulSet | Service | PersistentVolumeClaim;

export interface List<T> {
  items: T[];
}

/** The pod label the StatefulSet controller sets to the revision a pod runs. */
export const REVISION_LABEL = 'controller-revision-hash';
export const VERSION_LABEL = 'app.kubernetes.io/version';
export const CLAIM_TEMPLATE = 'counter-data-py';

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The ordinal of a StatefulSet pod (`helm-python-1` → 1). */
export function podOrdinal(name: string): number {
  const match = /-(\d+)$/.exec(name);
  return match ? Number(match[1]) : -1;
}

/** The STATUS column of `kubectl get pods`, computed the way kubectl's printer does (simplified). */
export function podStatus(pod: Pod): string {
  let reason = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const container of [...(pod.status?.containerStatuses ?? [])].reverse()) {
    const state = container.state ?? {};
    if (state.waiting?.reason) reason = state.waiting.reason;
    else if (state.terminated?.reason) reason = state.terminated.reason;
    else if (state.terminated) reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

/**
 * A container's readiness and liveness probes in a StatefulSet's pod template, null when it has
 * none. A field missing (not from a live object) takes the API's default: period 10 s, timeout 1 s,
 * failureThreshold 3, successThreshold 1 (kubernetes.io/docs/tasks/configure-pod-container/
 * configure-liveness-readiness-startup-probes/#configure-probes).
 */
export function containerProbes(statefulSet: StatefulSet, container: string): { readiness: ProbeSettings | null; liveness: ProbeSettings | null } {
  const spec = statefulSet.spec.template?.spec?.containers?.find((c) => c.name === container);
  const settings = (probe: ProbeTiming | undefined): ProbeSettings | null =>
    probe
      ? {
          periodSeconds: probe.periodSeconds ?? 10,
          timeoutSeconds: probe.timeoutSeconds ?? 1,
          failureThreshold: probe.failureThreshold ?? 3,
          successThreshold: probe.successThreshold ?? 1,
        }
      : null;
  return { readiness: settings(spec?.readinessProbe), liveness: settings(spec?.livenessProbe) };
}

/** The container's last exit (when it restarted) and its current start, as the kubelet reported them (to the second). */
export function containerRestart(
  pod: Pod,
  container: string,
): { exitedAt: string | null; exitCode: number | null; reason: string | null; startedAt: string | null } {
  const status = pod.status?.containerStatuses?.find((c) => c.name === container);
  const last = status?.lastState?.terminated;
  return {
    exitedAt: last?.finishedAt ?? null,
    exitCode: last?.exitCode ?? null,
    reason: last?.reason ?? null,
    startedAt: status?.state?.running?.startedAt ?? null,
  };
}

export function podRestarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0);
}

/** `1/1`: ready containers over containers. */
export function podReadyColumn(pod: Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  return `${statuses.filter((c) => c.ready).length}/${statuses.length || 1}`;
}

export function podClaim(pod: Pod): string | undefined {
  return pod.spec?.volumes?.find((v) => v.name === CLAIM_TEMPLATE)?.persistentVolumeClaim?.claimName;
}

/** Pods sorted by ordinal, as a StatefulSet numbers them. */
export function byOrdinal<T extends { metadata: ObjectMeta }>(items: T[]): T[] {
  return [...items].sort((a, b) => podOrdinal(a.metadata.name) - podOrdinal(b.metadata.name) || a.metadata.name.localeCompare(b.metadata.name));
}

/** The StatefulSet controller has seen the latest spec (status is about it, not an older one). */
export function isObserved(sts: StatefulSet): boolean {
  return (sts.status?.observedGeneration ?? 0) >= (sts.metadata.generation ?? 0);
}

/**
 * True once the StatefulSet controller has seen the latest spec and every replica exists, is Ready
 * and (unless a partition or OnDelete holds pods back on purpose) runs the newest revision.
 */
export function isStatefulSetSettled(sts: StatefulSet, pods: Pod[]): boolean {
  const want = sts.spec.replicas ?? 1;
  const status = sts.status ?? {};
  const strategy = sts.spec.updateStrategy;
  const holdsBack = strategy?.type === 'OnDelete' || (strategy?.rollingUpdate?.partition ?? 0) > 0;
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  return (
    isObserved(sts) &&
    live.length === want &&
    live.every(isPodReady) &&
    (holdsBack || live.every((p) => p.metadata.labels?.[REVISION_LABEL] === status.updateRevision))
  );
}

/** The label selector (`k=v,k=v`) of a StatefulSet's own pods. */
export function statefulSetSelector(sts: StatefulSet): string {
  return Object.entries(sts.spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * The headless Service that governs the chart's StatefulSet `name` (its serviceName), as the chart
 * names it (`k8s-lab-counter.headlessName` in chart/templates/_helpers.tpl): `helm-python-headless`.
 */
export function governingServiceName(name: string): string {
  return `${name.slice(0, 54).replace(/-$/, '')}-headless`;
}

/** The NodePort of the Service's first port (the app's). */
export function serviceNodePort(service: Service): number | undefined {
  return service.spec.ports?.[0]?.nodePort;
}

export function nodeIsReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The nodes new pods of the release can go to: Ready, not cordoned, and without a NoSchedule or
 * NoExecute taint (the chart's pods tolerate none; a control plane of kind or kubeadm has one).
 */
export function schedulableNodes(nodes: Node[]): Node[] {
  return nodes.filter(
    (n) => nodeIsReady(n) && !n.spec?.unschedulable && !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
  );
}

/** The node a pod runs on (spec.nodeName), once scheduled. */
export function podNode(pod: Pod): string | undefined {
  return pod.spec?.nodeName;
}

export function defaultStorageClass(classes: StorageClass[]): StorageClass | undefined {
  const key = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
  return classes.find((c) => key.some((k) => c.metadata.annotations?.[k] === 'true'));
}

/** Parses `kubectl ... -o json` output, naming what was being read when it is not JSON. */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`could not parse ${what} as JSON: ${text.slice(0, 120)}`);
  }
}

/**
 * What the events about an object keep saying, in one line: the most repeated warnings first
 * (`Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 (×12)`), the newest
 * among equals. Normal events only when there is no warning.
 */
export function describeEvents(events: KubeEvent[], limit = 1): string {
  const when = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? '';
  const warnings = events.filter((e) => e.type === 'Warning');
  const chosen = (warnings.length ? warnings : events)
    .slice()
    .sort((a, b) => (b.count ?? 1) - (a.count ?? 1) || when(b).localeCompare(when(a)))
    .slice(0, limit);
  return chosen.map((e) => `${e.reason ?? 'Event'}: ${(e.message ?? '').trim()}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}`).join('; ');
}

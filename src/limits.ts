// How long k8s-lab waits for things it does not choose per run: every limit in milliseconds, in one
// place. What a user chooses (--timeout, --check, ...) has its default in defaults.ts.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** A helm/kubectl `--timeout` (Go duration) for a limit: whole seconds, rounded up. */
export function goDuration(ms: number): string {
  return `${Math.ceil(ms / SECOND)}s`;
}

/** kubectl's own limit on one API request (`--request-timeout`). */
export const KUBE_REQUEST_MS = 10 * SECOND;
/** A kubectl call that reads or makes one change; killed after this. */
export const KUBECTL_CALL_MS = 20 * SECOND;
/** A quick helm call (version, status, list, get values, template). */
export const HELM_CALL_MS = 30 * SECOND;
/**
 * How much longer than its own `--timeout` a helm/kubectl process may run before it is killed: long
 * enough for it to notice and report its own timeout.
 */
export const TOOL_GRACE_MS = 30 * SECOND;

/** The process limit of a call that waits `ms` itself (`helm upgrade --timeout`, `kubectl delete --timeout`). */
export function withGrace(ms: number): number {
  return ms + TOOL_GRACE_MS;
}

/** Deleting the PVCs a demo made (canaries, or those an undo leaves behind), waiting until they are gone. */
export const DELETE_PVCS_MS = 2 * MINUTE;
/** Deleting a StatefulSet with --cascade=orphan (deploy --migrate): the garbage collector lets go of its pods in seconds. */
export const ORPHAN_STATEFULSET_MS = 2 * MINUTE;
/** Undoing a rejected first install: deleting the namespace made for it, or uninstalling it. */
export const UNDO_INSTALL_MS = 2 * MINUTE;
/** A `kubectl proxy` opened for one read of the counters: reading 20 pods takes well under a second. */
export const READ_PROXY_MS = 2 * MINUTE;
/** A kubeconfig's exec credential plugin (aws eks get-token, gke-gcloud-auth-plugin): a cloud CLI starting and asking for a token. */
export const EXEC_PLUGIN_MS = 60 * SECOND;
/** How often a wait on the StatefulSet polls it. */
export const ROLLOUT_POLL_MS = SECOND;
/** How long each Service address found may take to answer /healthz before the next is tried. */
export const CANDIDATE_HEALTH_MS = 1500;

/** How long `traffic` waits for a Service address that refuses connections to start answering. */
export const ROUTE_WAIT_MS = 30 * SECOND;
export const ROUTE_POLL_MS = 500;

/** A demo's limits, from its step timeout (--timeout) and probe interval (--interval). */
export const demoLimits = {
  /** The pods must be Ready before a demo starts. */
  readyBeforeMs: MINUTE,
  readyBeforePollMs: 250,
  /** The pod watch outlives any demo: at most six steps wait on the pods. */
  watchMs: (stepTimeoutMs: number) => 6 * stepTimeoutMs,
  /** The demo's `kubectl proxy`: the watch's time and a minute to read the counters after it. */
  proxyMs: (stepTimeoutMs: number) => 6 * stepTimeoutMs + MINUTE,
  /** A read (the counters, the pods, finding the Service) that meets the control plane away is tried again this long: a step's limit, at most 2 minutes. */
  readResumeMs: (stepTimeoutMs: number) => Math.min(stepTimeoutMs, 2 * MINUTE),
  /** One probe request: ten intervals, at least a second. */
  probeRequestMs: (intervalMs: number) => Math.max(SECOND, 10 * intervalMs),
};

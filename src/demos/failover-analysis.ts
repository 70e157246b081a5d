// What a failover run measured, and what it teaches: figures from the recorded pod events and probe
// samples, and the explanation that those figures support. Pure, table-tested with hand-worked
// figures (test/unit/failover-analysis.test.ts).
//
// Every sentence below is either a figure of the run or general Kubernetes behaviour, checked where
// the comment beside it says. Where the figures contradict the general behaviour, the sentence says
// so rather than repeat it.

import type { ProbeSettings } from '../adapters/kube-objects.js';
import type { ProbeSample } from '../probe/sample.js';
import type { PodEvent } from './record.js';

export type FailoverMode = 'delete' | 'kill' | 'hang';

/** Probe requests that failed from a moment on. */
export interface FailedRequests {
  count: number;
  /** ms after the moment of the first and the last failed request (by when each was sent); null when none failed. */
  firstMs: number | null;
  lastMs: number | null;
  /** From the first failed request to the next successful one (0 when none failed). */
  spanMs: number;
}

/** The readiness probe as the record keeps it (records before k8s-lab 0.2 have no successThreshold). */
export type ReadinessSettings = Omit<ProbeSettings, 'successThreshold'> & { successThreshold?: number };

/** The probe requests that failed from `since` on, and how long from the first to the next success. */
export function failedRequestsSince(samples: ProbeSample[], since: number): FailedRequests {
  const after = samples.filter((s) => s.t >= since).sort((a, b) => a.t - b.t);
  const failed = after.filter((s) => !s.ok);
  const first = failed[0];
  const last = failed.at(-1);
  if (!first || !last) return { count: 0, firstMs: null, lastMs: null, spanMs: 0 };
  const recovered = after.find((s) => s.ok && s.t > last.t);
  return { count: failed.length, firstMs: first.t - since, lastMs: last.t - since, spanMs: (recovered ?? last).t - first.t };
}

const OUT: PodEvent['type'][] = ['not-ready', 'deleting', 'deleted'];

/**
 * ms from `since` until `pod` was Ready again: its first `ready` after it went out of service
 * (not-ready, deleting or deleted) from `since` on. Null when it did not go out, or did not come back.
 */
export function readyAgainAfter(events: PodEvent[], pod: string, since: number): number | null {
  const own = events.filter((e) => e.pod === pod && e.t >= since).sort((a, b) => a.t - b.t);
  const out = own.findIndex((e) => OUT.includes(e.type));
  if (out < 0) return null;
  const back = own.slice(out).find((e) => e.type === 'ready');
  return back ? back.t - since : null;
}

/**
 * A change made by one command (a `kubectl delete`, or a signal sent by `kubectl exec`), in ms since
 * the run started: the command ran from `requestedAt` to `doneAt`; the signal itself was sent at
 * `podClockAt` by the node's clock, null when that clock did not say or disagrees with ours.
 */
export interface FailureMoment {
  requestedAt: number;
  doneAt: number;
  podClockAt: number | null;
}

/** The pod's time of the signal when it lies within the command's run (50 ms either side for rounding), else null. */
export function podClockWithin(requestedAt: number, doneAt: number, podClockAt: number | null): number | null {
  if (podClockAt === null || podClockAt < requestedAt - 50 || podClockAt > doneAt + 50) return null;
  return podClockAt;
}

/**
 * The moment the figures count from: when the signal was sent (the pod's clock), else when the
 * command started; the change came later than that, so times counted from it are upper bounds.
 */
export function failureTime(moment: FailureMoment): { at: number; basis: 'signal' | 'command' } {
  return moment.podClockAt === null ? { at: moment.requestedAt, basis: 'command' } : { at: moment.podClockAt, basis: 'signal' };
}

export interface FailoverFigures {
  /** ms since the run started that every other figure counts from (see failureTime). */
  at: number;
  basis: 'signal' | 'command';
  /** The pod seen not Ready (or terminating), ms after `at`. */
  notReadyMs: number | null;
  failed: FailedRequests & {
    /** No answer within the probe's timeout: sent to a process that holds its port but answers nothing. */
    timedOut: number;
    /** ECONNREFUSED: nothing listened on the port. */
    refused: number;
    other: number;
    /** The other failures by error (`ECONNRESET`, `HTTP 503`). */
    otherErrors: Record<string, number>;
  };
  /** The last failed request minus the not-Ready event; null when either is missing. */
  lastFailedAfterNotReadyMs: number | null;
  readyAgainMs: number | null;
  /** hang: the SIGCONT, ms after `at`, and the first Ready after it, ms after the SIGCONT. */
  resumedMs: number | null;
  readyAfterResumeMs: number | null;
}

export interface FailoverEvents {
  pod: string;
  /** Records before k8s-lab 0.2 have only `failedAt`, the start of the command. */
  failure: FailureMoment;
  resume?: FailureMoment | null;
  podEvents: PodEvent[];
  samples: ProbeSample[];
}

const TIMED_OUT = /^(no answer within|ETIMEDOUT|ESOCKETTIMEDOUT)/;

/** The figures of a failover run, from what it recorded. */
export function failoverFigures(run: FailoverEvents): FailoverFigures {
  const { at, basis } = failureTime(run.failure);
  const own = run.podEvents.filter((e) => e.pod === run.pod && e.t >= run.failure.requestedAt).sort((a, b) => a.t - b.t);
  const out = own.find((e) => OUT.includes(e.type));
  const notReadyMs = out ? out.t - at : null;
  const since = failedRequestsSince(run.samples, run.failure.requestedAt);
  const shift = run.failure.requestedAt - at;
  const failedSamples = run.samples.filter((s) => s.t >= run.failure.requestedAt && !s.ok);
  const timedOut = failedSamples.filter((s) => TIMED_OUT.test(s.error ?? '')).length;
  const refused = failedSamples.filter((s) => s.error === 'ECONNREFUSED').length;
  const otherErrors: Record<string, number> = {};
  for (const sample of failedSamples.filter((s) => s.error !== 'ECONNREFUSED' && !TIMED_OUT.test(s.error ?? ''))) {
    const error = sample.error ?? 'unknown';
    otherErrors[error] = (otherErrors[error] ?? 0) + 1;
  }
  const failed = {
    ...since,
    firstMs: since.firstMs === null ? null : since.firstMs + shift,
    lastMs: since.lastMs === null ? null : since.lastMs + shift,
    timedOut,
    refused,
    other: since.count - timedOut - refused,
    otherErrors,
  };
  const readyAgain = readyAgainAfter(run.podEvents, run.pod, run.failure.requestedAt);
  const resumeAt = run.resume ? failureTime(run.resume).at : null;
  const readyAfterResume =
    resumeAt === null ? undefined : own.find((e) => e.type === 'ready' && e.t >= (run.resume?.requestedAt ?? 0) && (out ? e.t > out.t : true));
  return {
    at,
    basis,
    notReadyMs,
    failed,
    lastFailedAfterNotReadyMs: failed.lastMs === null || notReadyMs === null ? null : failed.lastMs - notReadyMs,
    readyAgainMs: readyAgain === null ? null : readyAgain + shift,
    resumedMs: resumeAt === null ? null : resumeAt - at,
    readyAfterResumeMs: readyAfterResume && resumeAt !== null ? readyAfterResume.t - resumeAt : null,
  };
}

/**
 * The soonest `failureThreshold` readiness probes can fail in a row once a process refuses at
 * once: the first right away, then one every periodSeconds.
 */
export function crashProbeMinimumMs(r: ReadinessSettings): number {
  return (r.failureThreshold - 1) * r.periodSeconds * 1000;
}

/**
 * When a readiness probe takes a process that answers nothing out, ms after it stopped answering.
 * The kubelet's probe worker probes in a loop: one probe, then it waits for the next tick of a
 * periodSeconds ticker (a tick that fell during the probe is kept, later ones dropped), so a probe
 * that times out after timeoutSeconds is followed by the next one max(periodSeconds,
 * timeoutSeconds) after it began; failureThreshold failures in a row set the result
 * (kubernetes/kubernetes pkg/kubelet/prober/worker.go, run and doProbe). The first probe to find the
 * process stopped begins within one period of the stop.
 */
export function hangDetectionWindow(r: ReadinessSettings): { minMs: number; maxMs: number } {
  const min = (r.failureThreshold - 1) * Math.max(r.periodSeconds, r.timeoutSeconds) + r.timeoutSeconds;
  return { minMs: min * 1000, maxMs: (min + r.periodSeconds) * 1000 };
}

/** A restart this much after the exit (the kubelet's timestamps are to the second) is held back; the default back-off starts at 10 s. */
const BACK_OFF_SEEN_MS = 5000;
/** How much later than the probe alone the watch may see the pod not Ready: the kubelet's status update and the watch. */
const STATUS_SLACK_MS = 1500;
/** How much sooner: a probe already under way at the stop counts as the first failure. */
const EARLY_SLACK_MS = 250;

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const times = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface FailoverContext {
  mode: FailoverMode;
  pod: string;
  replicas: number;
  readiness: ReadinessSettings | null;
  /** Undefined: not recorded (records before k8s-lab 0.2); null: the container has none. */
  liveness?: ProbeSettings | null;
  restarts: { before: number; after: number | null };
  /** ms the probe waits for an answer before it counts a request failed. */
  requestTimeoutMs: number;
  /** The kubelet's record of the container's last exit and its new start (to the second), after a kill. */
  restart?: { exitedAt: string | null; startedAt: string | null } | null;
}

/** What bounded the outage, as the figures show it. */
export type OutageBound = 'container-exit' | 'readiness-probe' | 'graceful-delete' | 'unclear' | 'not-seen';

export interface FailoverExplanation {
  bound: OutageBound;
  /** One sentence each: a figure of the run, or general behaviour checked in the Kubernetes documentation or source. */
  lines: string[];
  /** What would shorten this outage, following from the figures. */
  advice: string;
}

/** The sentence about the failed requests, and how long the Service kept sending them after the pod went not Ready. */
function failedLines(f: FailoverFigures, what: string, timeoutMs: number): string[] {
  if (f.failed.count === 0) return [`No probe request failed: none of those sent while ${what} reached the pod.`];
  const kinds = [
    f.failed.refused ? `${f.failed.refused} refused (ECONNREFUSED: nothing listened on the port any more)` : '',
    f.failed.timedOut ? `${f.failed.timedOut} timed out (no answer within ${sec(timeoutMs)}, counted failed then)` : '',
    ...Object.entries(f.failed.otherErrors).map(([error, n]) => `${n} ${error}`),
  ].filter(Boolean);
  const lines = [
    `${times(f.failed.count, 'probe request')} failed, sent from ${sec(f.failed.firstMs ?? 0)} to ${sec(f.failed.lastMs ?? 0)} after it: ${kinds.join(', ')}.`,
  ];
  const after = f.lastFailedAfterNotReadyMs;
  if (after !== null && after > 0) {
    // An endpoint leaves a Service when the EndpointSlice controller sees the Pod not Ready and
    // kube-proxy reprograms the node (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
    // #types-of-probe: "the EndpointSlice controller removes the Pod's IP address").
    lines.push(
      `The last one was sent ${sec(after)} after the pod went not Ready: for that long the Service still sent it requests, while the EndpointSlice controller and kube-proxy took it out.`,
    );
  } else if (after !== null) lines.push('Every one was sent before the pod watch saw the pod not Ready.');
  return lines;
}

function explainKill(f: FailoverFigures, c: FailoverContext): FailoverExplanation {
  const from = f.basis === 'signal' ? 'the SIGKILL' : 'the start of the kubectl exec that sent the SIGKILL';
  const lines: string[] = [];
  let bound: OutageBound = 'not-seen';
  const min = c.readiness ? crashProbeMinimumMs(c.readiness) : 0;
  if (f.notReadyMs === null) lines.push(`The pod watch did not see ${c.pod} go not Ready.`);
  else if (!c.readiness) {
    bound = 'container-exit';
    lines.push(
      `${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}: its container has no readiness probe, so what took it out was the kubelet seeing the container exit (a container that is not running is never Ready).`,
    );
  } else if (f.notReadyMs < min) {
    bound = 'container-exit';
    // A container that is not running is never Ready, whatever its readiness probe last said
    // (pkg/kubelet/prober/prober_manager.go, UpdatePodStatus); the kubelet sees the exit by
    // relisting the containers every second (pkg/kubelet/kubelet.go, genericPlegRelistPeriod).
    lines.push(
      `${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}, sooner than its readiness probe could have taken it out (failureThreshold ${c.readiness.failureThreshold} failures ${c.readiness.periodSeconds} s apart take ${sec(min)} at the least). ` +
        'So the probe did not bound this outage: the kubelet saw the container exit, and a container that is not running is never Ready.',
    );
  } else {
    bound = 'unclear';
    lines.push(
      `${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}${c.readiness ? `, no sooner than its readiness probe could have (${sec(min)})` : ''}: this run does not tell the kubelet seeing the container exit from the probe failing.`,
    );
  }
  lines.push(...failedLines(f, 'it was down', c.requestTimeoutMs));
  if (f.readyAgainMs !== null) {
    const sinceOut = f.notReadyMs === null ? '' : `, ${sec(f.readyAgainMs - f.notReadyMs)} after it went not Ready`;
    lines.push(
      `Ready again ${sec(f.readyAgainMs)} after ${from}${sinceOut}: the container restarted in the same pod (restarts ${c.restarts.before} → ${c.restarts.after ?? '?'}) and its readiness probe passed.`,
    );
  }
  const gap = c.restart?.exitedAt && c.restart.startedAt ? Date.parse(c.restart.startedAt) - Date.parse(c.restart.exitedAt) : NaN;
  if (!Number.isNaN(gap)) {
    // The first restart after a crash is immediate, later ones wait 10 s, doubling up to 300 s, reset
    // after 10 minutes running (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts).
    lines.push(
      gap >= BACK_OFF_SEEN_MS
        ? `The kubelet recorded the exit at ${c.restart!.exitedAt} and started the container again at ${c.restart!.startedAt}: it held the restart back ${sec(gap)}, its crash back-off (the first restart after a crash is immediate; later ones wait 10 s, doubling up to 5 minutes).`
        : `The kubelet recorded the exit at ${c.restart!.exitedAt} and started the container again at ${c.restart!.startedAt} (timestamps to the second): sooner than the 10 s a crash back-off waits, so none held this restart back.`,
    );
  }
  const cost = f.failed.count ? `It cost ${times(f.failed.count, 'failed request')} over ${sec(f.failed.spanMs)}.` : 'It cost no failed request this time.';
  const retry = f.failed.refused ? ' A client that retries a refused connection (it never reached the app) hides it.' : '';
  const advice =
    bound === 'container-exit'
      ? `${cost} Tuning the readiness probe would not have shortened it: the pod was out before the probe could act. What remains is the time the Service kept sending the dead pod requests and the restart; more replicas make each crash hit a smaller share of requests (1 pod of ${c.replicas} here).${retry}`
      : `${cost} This run does not show what bounded it (see above); more replicas make each crash hit a smaller share of requests (1 pod of ${c.replicas} here).${retry}`;
  return { bound, lines, advice };
}

function livenessLine(c: FailoverContext, heldMs: number | null, outUntilResume: boolean): string | null {
  const { before, after } = c.restarts;
  const restarted = after !== null && after > before;
  if (c.liveness === undefined) return null;
  if (c.liveness === null) {
    // Without a liveness probe the kubelet takes the container for alive (default state Success) and
    // never restarts it (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#types-of-probe).
    return restarted
      ? `The container has no liveness probe, yet it restarted (restarts ${before} → ${after}): the run does not show why.`
      : `The chart defines no liveness probe, so nothing restarted the stopped app (restarts ${before} → ${after ?? '?'})${outUntilResume ? ': it stayed not Ready, out of the Service, until the SIGCONT' : ''}. A real hang would last until someone restarts the pod.`;
  }
  const l = c.liveness;
  const settings = `periodSeconds ${l.periodSeconds}, failureThreshold ${l.failureThreshold}, timeoutSeconds ${l.timeoutSeconds}`;
  // A failed liveness probe makes the kubelet kill the container, which then restarts in the same pod
  // (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#types-of-probe).
  return restarted
    ? `Its liveness probe (${settings}) made the kubelet kill and restart the container (restarts ${before} → ${after}).`
    : `Its liveness probe (${settings}) did not restart the container in the ${heldMs === null ? '?' : sec(heldMs)} the app was stopped (restarts ${before} → ${after ?? '?'}).`;
}

function explainHang(f: FailoverFigures, c: FailoverContext): FailoverExplanation {
  const from = f.basis === 'signal' ? 'the SIGSTOP' : 'the start of the kubectl exec that sent the SIGSTOP';
  const lines: string[] = [];
  let bound: OutageBound = 'not-seen';
  const r = c.readiness;
  const window = r ? hangDetectionWindow(r) : null;
  if (f.failed.timedOut > 0 && f.failed.refused === 0)
    lines.push('Requests to the stopped app were not refused but left unanswered: the process still held its port open.');
  if (!r) lines.push(`${c.pod} has no readiness probe, so nothing took it out of the Service while its app was stopped.`);
  else if (f.notReadyMs === null) lines.push(`The pod watch did not see ${c.pod} go not Ready while its app was stopped.`);
  else {
    const probe = `failureThreshold ${r.failureThreshold} probes in a row, each failing after timeoutSeconds ${r.timeoutSeconds} s without an answer, one every ${Math.max(r.periodSeconds, r.timeoutSeconds)} s (periodSeconds ${r.periodSeconds}, a probe starts only once the previous one is over): ${sec(window!.minMs)} to ${sec(window!.maxMs)}`;
    if (f.notReadyMs < window!.minMs - EARLY_SLACK_MS) {
      bound = 'unclear';
      lines.push(
        `${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}, sooner than its readiness probe allows (${probe}): this measurement contradicts that bound, and the run does not show why.`,
      );
    } else if (f.notReadyMs > window!.maxMs + STATUS_SLACK_MS) {
      bound = 'unclear';
      lines.push(
        `${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}, later than its readiness probe alone allows (${probe}): the run does not show where the rest went.`,
      );
    } else if (f.notReadyMs > window!.maxMs) {
      bound = 'readiness-probe';
      // The kubelet's status manager writes the new Ready condition to the API server after the
      // probe result (pkg/kubelet/status/status_manager.go), and the watch sees it after that.
      lines.push(
        `${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}: its readiness probe allows ${probe}; the ${sec(f.notReadyMs - window!.maxMs)} beyond that is not the probe's, but the kubelet reporting the new status to the API server and the watch seeing it.`,
      );
    } else {
      bound = 'readiness-probe';
      lines.push(`${c.pod} went not Ready ${sec(f.notReadyMs)} after ${from}, as its readiness probe allows: ${probe}.`);
    }
  }
  lines.push(...failedLines(f, 'the app was stopped', c.requestTimeoutMs));
  if (f.resumedMs !== null && (f.failed.lastMs === null || f.resumedMs > f.failed.lastMs) && f.notReadyMs !== null && f.notReadyMs < f.resumedMs) {
    lines.push(
      `After that no request failed until the SIGCONT, ${sec(f.resumedMs)} after ${from}: the Service sent every request to the other ${c.replicas > 2 ? 'pods' : 'pod'}.`,
    );
  }
  const outUntilResume = f.notReadyMs !== null && f.resumedMs !== null && f.notReadyMs < f.resumedMs;
  const live = livenessLine(c, f.resumedMs, outUntilResume);
  if (live) lines.push(live);
  if (f.readyAfterResumeMs !== null) {
    lines.push(
      `Ready again ${sec(f.readyAfterResumeMs)} after the SIGCONT${r ? `: the next readiness probe passed (successThreshold ${r.successThreshold ?? 1}, one every ${r.periodSeconds} s)` : ''}.`,
    );
  }
  const noLiveness =
    c.liveness === null
      ? ' The chart has no livenessProbe: add one (an httpGet on /healthz) to have the kubelet restart a hung container rather than leave it out of service.'
      : '';
  const cost = f.failed.count
    ? `It cost ${times(f.failed.count, 'failed request')}${f.failed.timedOut ? `, ${f.failed.timedOut} of them after a client wait of ${sec(c.requestTimeoutMs)}` : ''}.`
    : 'It cost no failed request this time.';
  const advice =
    bound === 'readiness-probe' && r
      ? `${cost} The readiness probe bounded it: a lower readinessProbe.periodSeconds, failureThreshold or timeoutSeconds (chart values) takes a hung pod out sooner (now ${sec(window!.minMs)} to ${sec(window!.maxMs)}), at the price of also taking out a pod that only stalls for a moment. A client timeout shorter than ${sec(c.requestTimeoutMs)} with a retry hides it.${noLiveness}`
      : `${cost} This run does not show the readiness probe bounding it (see above).${noLiveness}`;
  return { bound, lines, advice };
}

function explainDelete(f: FailoverFigures, c: FailoverContext): FailoverExplanation {
  const lines: string[] = [];
  if (f.notReadyMs !== null) lines.push(`${c.pod} was seen terminating ${sec(f.notReadyMs)} after the delete was requested.`);
  lines.push(...failedLines(f, 'it was terminating', c.requestTimeoutMs));
  if (f.readyAgainMs !== null) lines.push(`Its replacement, under the same name, was Ready ${sec(f.readyAgainMs)} after the delete.`);
  // A terminating pod's endpoint is marked not ready as its graceful shutdown begins, while the
  // preStop hook runs before the TERM signal (kubernetes.io/docs/concepts/workloads/pods/
  // pod-lifecycle/#pod-termination-flow).
  const advice =
    f.failed.count === 0
      ? `a graceful delete cost no request: the preStop sleep keeps the pod serving while it leaves the Service (${c.replicas} replicas)`
      : `${times(f.failed.count, 'request')} failed on a graceful delete: raise preStopSleepSeconds so the pod leaves the Service before it stops serving${c.replicas < 2 ? ', and run at least 2 replicas' : ''}`;
  return { bound: f.notReadyMs === null ? 'not-seen' : 'graceful-delete', lines, advice };
}

/** The explanation a failover run's figures support. */
export function explainFailover(f: FailoverFigures, c: FailoverContext): FailoverExplanation {
  if (c.mode === 'kill') return explainKill(f, c);
  if (c.mode === 'hang') return explainHang(f, c);
  return explainDelete(f, c);
}

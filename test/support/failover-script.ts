// The calls of one `demo-failover --mode hang` against the fake cluster, with their answers: the
// release, the pods before and after, the pod watch (helm-python-1 not Ready 0.5 s in, Ready again
// 2.5 s in) and the two execs that stop and resume the app.
import type { Pod, StatefulSet } from '../../src/adapters/kube-objects.js';
import { kubectl, type Expected } from './fake-cluster.js';
import { CLAIMS, HARNESS_READS, lessonRelease, NS, pod, POD_SELECTOR, PROXY_FAILS, readCounter, SELECTOR, statefulSet } from './cluster-objects.js';

/** The readiness probe of the fake live StatefulSet: not the chart's defaults (1, 2, 1), so a test sees where it was read. */
export const LIVE_READINESS = { periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 1, successThreshold: 1 };

const get = (resource: string, ...rest: string[]) => [...NS, 'get', resource, ...rest, '--output', 'json', '--request-timeout=10s'];

/** The pod as the API shows it: a UID, and its container's restarts. */
export function podOf(ordinal: number, restarts: number, ready = true): Pod {
  const p = pod(ordinal, { ready });
  return {
    ...p,
    metadata: { ...p.metadata, uid: `pod-uid-${ordinal}` },
    status: { ...p.status, containerStatuses: p.status!.containerStatuses!.map((c) => ({ ...c, restartCount: restarts, ready })) },
  };
}

export function sharedStatefulSet(): StatefulSet {
  const sts = statefulSet();
  return {
    ...sts,
    spec: {
      ...sts.spec,
      template: { spec: { shareProcessNamespace: true, containers: [{ name: 'app', readinessProbe: { ...LIVE_READINESS, initialDelaySeconds: 0 } }] } },
    },
  };
}

/** `kubectl exec` of the signal script in helm-python-1's app container, answering `PID EPOCH-MS STATE` at the moment it is called. */
export function signalExec(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL', state: string | null, onCall?: () => void): Expected {
  const expected: Expected = kubectl(
    [
      ...NS,
      'exec',
      'helm-python-1',
      '--container',
      'app',
      '--request-timeout=10s',
      '--',
      'python3',
      '-c',
      new RegExp(`os\\.kill\\(int\\(pid\\), signal\\.${signal}\\)`),
    ],
    { stdout: '' },
  );
  expected.onCall = () => {
    if (state !== null) expected.stdout = `42 ${Date.now()} ${state}\n`;
    onCall?.();
  };
  return expected;
}

export interface HangScriptOptions {
  /** The app's state the SIGCONT reports (`S`: running; `T`: still stopped). */
  resumedState?: string;
  /** false: the SIGSTOP finds no process. */
  stopFinds?: boolean;
  /** Called as the SIGSTOP is sent (a Ctrl-C). */
  onStop?: () => void;
  /** Whether the lesson waits for the pod to be Ready again (not when it stops at the SIGSTOP without Ctrl-C). */
  recovers?: boolean;
}

export function hangScript({ resumedState = 'S', stopFinds = true, onStop, recovers = stopFinds }: HangScriptOptions = {}): Expected[] {
  const STS = kubectl(get('statefulset', 'helm-python'), { stdout: sharedStatefulSet() });
  const podsBy = (selector: string) => kubectl(get('pods', '--selector', selector), { stdout: { items: [podOf(0, 0), podOf(1, 0)] } });
  const watchEvents = (...objects: [string, object][]) => objects.map(([type, object]) => JSON.stringify({ type, object })).join('\n');
  const identity = (counters: [number, number]) => [
    STS,
    podsBy(POD_SELECTOR),
    CLAIMS,
    readCounter(0, counters[0]),
    readCounter(1, counters[1]),
    podsBy(SELECTOR),
    CLAIMS,
  ];
  return [
    ...lessonRelease(),
    // The lesson's check of the release (its governing Service), then the pods Ready before the lesson.
    STS,
    PROXY_FAILS,
    // The pods Ready before the lesson.
    STS,
    podsBy(POD_SELECTOR),
    ...HARNESS_READS,
    ...identity([10, 20]),
    podsBy(SELECTOR),
    kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--watch', '--output-watch-events', '--output', 'json'], {
      stdout: watchEvents(['ADDED', podOf(0, 0)], ['ADDED', podOf(1, 0)]),
      // Ends by itself after its last event: exit 1 (a failed watch, not resumed); an exit 0 would be a
      // watch the server closed, which the pod watch resumes with a list and a new watch.
      exitCode: 1,
      later: [
        { afterMs: 500, stdout: watchEvents(['MODIFIED', podOf(1, 0, false)]) },
        { afterMs: 2500, stdout: watchEvents(['MODIFIED', podOf(1, 0)]) },
      ],
    }),
    signalExec('SIGSTOP', stopFinds ? 'T' : null, onStop),
    signalExec('SIGCONT', resumedState),
    // Ready again: the same pod, no restart.
    ...(recovers ? [STS, podsBy(POD_SELECTOR)] : []),
    ...identity([100_000, 100_000]),
  ];
}

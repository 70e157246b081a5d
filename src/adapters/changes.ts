import { goDuration, KUBECTL_CALL_MS, withGrace } from '../limits.js';
import { formatCall, type Runner, type ToolCall, type ToolResult } from '../process/runner.js';
import { LabError } from '../errors.js';
import { toolFailure } from './failure.js';
import { faultName, isTransient } from './transient.js';
import { helmArgs, type HelmMajor, type UpgradeRequest } from './helm.js';
import { kubectlArgs, type KubeTarget } from './kubectl.js';

/**
 * A call that changes the cluster, built as data by the pure builders below and carried out by
 * `apply` alone: printed with --dry-run, else run through the runner with its failure mapped.
 */
export interface Change extends ToolCall {
  /** What the call does, for its failure: `helm uninstall helm-python`, `deleting the PVCs`. */
  doing: string;
  /** When a failure of the API server may be met by running it again (docs/faults.md has the table). */
  repeat: Repeat;
  /**
   * A helm change: how to free the release when an interrupted attempt of ours left it
   * `pending-upgrade` (or `pending-rollback`): `helm rollback` to the revision before that attempt.
   */
  unlock?: Change;
}

/**
 * - `fault`: after any transient fault (connection refused, 5xx, etcd timeout, a broken
 *   connection): the change is declarative, running it again ends in the same state.
 * - `unsent`: only when the request never reached the API server (connection refused): one that
 *   reached it may have gone through, and a second one would do more (delete a pod's replacement).
 * - `never`: a failure is final (helm uninstall: many requests, some may have gone through).
 */
export type Repeat = 'fault' | 'unsent' | 'never';

/** Which binary a change runs and against which cluster: a Helm or Kubectl adapter fits. */
export interface Tool {
  bin: string;
  target: KubeTarget;
}

/** An upgrade's values; how long it may take is the builder's `timeoutMs`. */
export type UpgradeValues = Omit<UpgradeRequest, 'timeout'>;

/**
 * The changes made with helm. Every limit is in ms: helm's own `--timeout` is derived from it, and
 * the process gets a little longer (withGrace) so that helm can report its own timeout.
 */
export const helmChanges = {
  upgradeInstall(helm: Tool, major: HelmMajor, request: UpgradeValues, timeoutMs: number): Change {
    return {
      ...change(
        helm,
        helmArgs.upgradeInstall(helm.target, major, { ...request, timeout: goDuration(timeoutMs) }),
        withGrace(timeoutMs),
        `helm upgrade --install ${request.release}`,
        'fault',
      ),
      unlock: helmChanges.rollback(helm, major, request.release, undefined, timeoutMs),
    };
  },
  upgradeReusing(helm: Tool, major: HelmMajor, request: Omit<UpgradeValues, 'valuesFiles'>, timeoutMs: number): Change {
    return {
      ...change(
        helm,
        helmArgs.upgradeReusing(helm.target, major, { ...request, timeout: goDuration(timeoutMs) }),
        withGrace(timeoutMs),
        `helm upgrade ${request.release}`,
        'fault',
      ),
      unlock: helmChanges.rollback(helm, major, request.release, undefined, timeoutMs),
    };
  },
  /** To `revision`; undefined: to the one before the latest (what frees a release left pending). */
  rollback(helm: Tool, major: HelmMajor, release: string, revision: number | undefined, timeoutMs: number): Change {
    const rollback = change(
      helm,
      helmArgs.rollback(helm.target, major, release, revision, goDuration(timeoutMs)),
      withGrace(timeoutMs),
      revision === undefined ? `helm rollback ${release} (to the revision before the latest)` : `helm rollback ${release} ${revision}`,
      'fault',
    );
    return revision === undefined ? rollback : { ...rollback, unlock: helmChanges.rollback(helm, major, release, undefined, timeoutMs) };
  },
  uninstall(helm: Tool, major: HelmMajor, release: string, timeoutMs: number): Change {
    return change(helm, helmArgs.uninstall(helm.target, major, release, goDuration(timeoutMs)), withGrace(timeoutMs), `helm uninstall ${release}`, 'never');
  },
};

/** The changes made with kubectl; a limit the call waits itself (`--timeout`) is in ms, as above. */
export const kubectlChanges = {
  createNamespace(kubectl: Tool, name: string): Change {
    return change(kubectl, kubectlArgs.createNamespace(kubectl.target, name), KUBECTL_CALL_MS, `creating namespace ${name}`);
  },
  deleteNamespace(kubectl: Tool, name: string, timeoutMs: number): Change {
    return change(kubectl, kubectlArgs.deleteNamespace(kubectl.target, name, goDuration(timeoutMs)), withGrace(timeoutMs), `deleting namespace ${name}`);
  },
  /** Deletes pods without waiting for them to go (`--wait=false`). */
  deletePods(kubectl: Tool, names: string[], gracePeriodSeconds?: number): Change {
    return change(
      kubectl,
      kubectlArgs.deletePods(kubectl.target, names, gracePeriodSeconds),
      KUBECTL_CALL_MS,
      `deleting pod${names.length > 1 ? 's' : ''} ${names.join(', ')}`,
      // Several names: the first may be gone (and re-created) before the refusal.
      names.length === 1 ? 'unsent' : 'never',
    );
  },
  /** Puts a taint on a node, or with `remove` takes it off. */
  taintNode(kubectl: Tool, node: string, taint: { key: string; value: string; effect: string }, remove = false): Change {
    return change(
      kubectl,
      kubectlArgs.taintNode(kubectl.target, node, taint, remove),
      KUBECTL_CALL_MS,
      `${remove ? 'removing' : 'putting'} the taint ${taint.key}=${taint.value}:${taint.effect} ${remove ? 'from' : 'on'} node ${node}`,
    );
  },
  /** Deletes a StatefulSet and waits until it is gone, leaving its pods running and its PVCs (`--cascade=orphan`). */
  orphanStatefulSet(kubectl: Tool, name: string, timeoutMs: number): Change {
    return change(
      kubectl,
      kubectlArgs.orphanStatefulSet(kubectl.target, name, goDuration(timeoutMs)),
      withGrace(timeoutMs),
      `deleting StatefulSet ${name} (--cascade=orphan: its pods and PVCs stay)`,
    );
  },
  /** `kubectl cordon NODE`: no new pods there; those running stay. Repeatable. */
  cordon(kubectl: Tool, node: string): Change {
    return change(kubectl, kubectlArgs.cordon(kubectl.target, node, true), KUBECTL_CALL_MS, `cordoning node ${node}`, 'fault');
  },
  /** `kubectl uncordon NODE`: new pods may go there again. Repeatable. */
  uncordon(kubectl: Tool, node: string): Change {
    return change(kubectl, kubectlArgs.cordon(kubectl.target, node, false), KUBECTL_CALL_MS, `uncordoning node ${node}`, 'fault');
  },
  /** Creates an object (sent as JSON on stdin); `what` names it in an error. */
  create(kubectl: Tool, object: object, what: string): Change {
    return { ...change(kubectl, kubectlArgs.create(kubectl.target), KUBECTL_CALL_MS, `creating ${what}`), input: JSON.stringify(object) };
  },
  /** Evicts a pod through the Eviction API (policy/v1), which honours its PodDisruptionBudget; a refusal fails with 429 (isBudgetRefusal). */
  evict(kubectl: Tool, namespace: string, pod: string): Change {
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } };
    return { ...change(kubectl, kubectlArgs.evict(kubectl.target, namespace, pod), KUBECTL_CALL_MS, `evicting pod ${pod}`), input: JSON.stringify(eviction) };
  },
  /** Deletes PVCs and waits until they are gone; `what` names them in an error. */
  deletePvcs(kubectl: Tool, names: string[], timeoutMs: number, what = names.join(', ')): Change {
    return change(kubectl, kubectlArgs.deletePvcs(kubectl.target, names, goDuration(timeoutMs)), withGrace(timeoutMs), `deleting ${what}`);
  },
};

/** A failed eviction's detail (its stderr) says the PodDisruptionBudget refused it: HTTP 429, TooManyRequests. */
export function isBudgetRefusal(detail: string | undefined): boolean {
  return /TooManyRequests|disruption budget/i.test(detail ?? '');
}

/** A failed eviction's detail says the pod is not there (already gone). */
export function isPodGone(detail: string | undefined): boolean {
  return /\(NotFound\)|not found/i.test(detail ?? '');
}

function change(tool: Tool, args: string[], timeoutMs: number, doing: string, repeat: Repeat = 'unsent'): Change {
  return { bin: tool.bin, args, timeoutMs, doing, repeat };
}

/**
 * Carries out a change: the result of the call that ran, or undefined when --dry-run printed it
 * (one line on stdout, copy-pasteable) instead. A failed call throws the mapped LabError.
 */
export type Apply = (change: Change) => Promise<ToolResult | undefined>;

/** A change that met the API server away: when, what, the fault, and whether it was run again. */
export interface ChangeFault {
  /** Epoch ms of the failed attempt. */
  at: number;
  doing: string;
  fault: string;
  /** It was run again (and `ok` tells whether a later attempt succeeded). */
  retried: boolean;
  ok?: boolean;
}

/** Between attempts of a change while the API server is away; grows to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 4000;

/**
 * The one place a change is decided: printed (`dryRun`) or run through the runner. A change that
 * fails because the API server is briefly away is run again, while its time limit lasts, when it
 * is safe to repeat (`change.repeat`); each such failure is told to `onFault` (the run record's
 * control-plane windows). Otherwise the failure is thrown, naming the fault.
 */
export function createApply({
  runner,
  dryRun,
  print,
  onFault,
  warn = () => undefined,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now = Date.now,
}: {
  runner: Runner;
  dryRun: boolean;
  print: (line: string) => void;
  onFault?: (fault: ChangeFault) => void;
  /** Told, in one line, when a release left pending by an interrupted attempt is freed. */
  warn?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}): Apply {
  /** Releases (by their unlock call) a failed helm attempt of this process may have left pending. */
  const interrupted = new Set<string>();
  const apply: Apply = async (call) => {
    if (dryRun) {
      print(formatCall(call));
      return undefined;
    }
    const deadline = now() + call.timeoutMs;
    const faults: ChangeFault[] = [];
    let unlocked = false;
    for (let wait = RETRY_FIRST_MS; ; wait = Math.min(wait * 2, RETRY_MAX_MS)) {
      const result = await runner.run(call);
      if (result.exitCode === 0) {
        for (const fault of faults) fault.ok = true;
        return result;
      }
      if (call.unlock) {
        const key = formatCall(call.unlock);
        if (!isPendingRefusal(result.stderr)) interrupted.add(key);
        else if (interrupted.delete(key) && !unlocked) {
          // Ours: helm died or lost the API server before it could write the outcome. The fix helm's
          // users know: back to the revision before, then the change again.
          warn(`${call.doing}: an interrupted attempt left the release pending; ${call.unlock.doing}, then again`);
          await apply(call.unlock);
          unlocked = true;
          continue;
        }
      }
      if (result.timedOut || !isTransient(result.stderr)) throw toolFailure(result, call.doing);
      const fault = faultName(result.stderr);
      const retry = repeatable(call.repeat, result.stderr) && now() + wait < deadline;
      const seen: ChangeFault = { at: now(), doing: call.doing, fault, retried: retry };
      faults.push(seen);
      onFault?.(seen);
      if (!retry) throw faultFailure(call, fault, faults.length, result.stderr);
      await sleep(wait);
    }
  };
  return apply;
}

/** Helm refuses a change while the release's latest revision is pending (another operation, or one that died). */
export function isPendingRefusal(stderr: string): boolean {
  return /another operation \(install\/upgrade\/rollback\) is in progress/.test(stderr);
}

function repeatable(repeat: Repeat, stderr: string): boolean {
  return repeat === 'fault' || (repeat === 'unsent' && faultName(stderr) === 'API server refused connections');
}

function faultFailure(call: Change, fault: string, attempts: number, stderr: string): LabError {
  const why =
    attempts > 1
      ? `still failing after ${attempts} attempts within its limit of ${Math.round(call.timeoutMs / 1000)} s`
      : call.repeat === 'never' || (call.repeat === 'unsent' && fault !== 'API server refused connections')
        ? 'not run again: it may have gone through, and a second one would do more'
        : `no time left within its limit of ${Math.round(call.timeoutMs / 1000)} s`;
  return new LabError(
    `${call.doing}: the control plane failed (${fault}); ${why}`,
    'check the API server (`kubectl get --raw /readyz`) and run again',
    `${formatCall(call)}\n${stderr.trim()}`,
  );
}

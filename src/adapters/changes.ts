import { goDuration, KUBECTL_CALL_MS, withGrace } from '../limits.js';
import { formatCall, type Runner, type ToolCall, type ToolResult } from '../process/runner.js';
import { toolFailure } from './failure.js';
import { helmArgs, type HelmMajor, type UpgradeRequest } from './helm.js';
import { kubectlArgs, type KubeTarget } from './kubectl.js';

/**
 * A call that changes the cluster, built as data by the pure builders below and carried out by
 * `apply` alone: printed with --dry-run, else run through the runner with its failure mapped.
 */
export interface Change extends ToolCall {
  /** What the call does, for its failure: `helm uninstall helm-python`, `deleting the PVCs`. */
  doing: string;
}

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
    return change(
      helm,
      helmArgs.upgradeInstall(helm.target, major, { ...request, timeout: goDuration(timeoutMs) }),
      withGrace(timeoutMs),
      `helm upgrade --install ${request.release}`,
    );
  },
  upgradeReusing(helm: Tool, major: HelmMajor, request: Omit<UpgradeValues, 'valuesFiles'>, timeoutMs: number): Change {
    return change(
      helm,
      helmArgs.upgradeReusing(helm.target, major, { ...request, timeout: goDuration(timeoutMs) }),
      withGrace(timeoutMs),
      `helm upgrade ${request.release}`,
    );
  },
  rollback(helm: Tool, major: HelmMajor, release: string, revision: number, timeoutMs: number): Change {
    return change(
      helm,
      helmArgs.rollback(helm.target, major, release, revision, goDuration(timeoutMs)),
      withGrace(timeoutMs),
      `helm rollback ${release} ${revision}`,
    );
  },
  uninstall(helm: Tool, major: HelmMajor, release: string, timeoutMs: number): Change {
    return change(helm, helmArgs.uninstall(helm.target, major, release, goDuration(timeoutMs)), withGrace(timeoutMs), `helm uninstall ${release}`);
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
    return change(kubectl, kubectlArgs.cordon(kubectl.target, node, true), KUBECTL_CALL_MS, `cordoning node ${node}`);
  },
  /** `kubectl uncordon NODE`: new pods may go there again. Repeatable. */
  uncordon(kubectl: Tool, node: string): Change {
    return change(kubectl, kubectlArgs.cordon(kubectl.target, node, false), KUBECTL_CALL_MS, `uncordoning node ${node}`);
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

function change(tool: Tool, args: string[], timeoutMs: number, doing: string): Change {
  return { bin: tool.bin, args, timeoutMs, doing };
}

/**
 * Carries out a change: the result of the call that ran, or undefined when --dry-run printed it
 * (one line on stdout, copy-pasteable) instead. A failed call throws the mapped LabError.
 */
export type Apply = (change: Change) => Promise<ToolResult | undefined>;

/** The one place a change is decided: printed (`dryRun`) or run through the runner. */
export function createApply({ runner, dryRun, print }: { runner: Runner; dryRun: boolean; print: (line: string) => void }): Apply {
  return async (call) => {
    if (dryRun) {
      print(formatCall(call));
      return undefined;
    }
    const result = await runner.run(call);
    if (result.exitCode !== 0) throw toolFailure(result, call.doing);
    return result;
  };
}

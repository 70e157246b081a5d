// The nodes as demo-identity needs them: which can take a pod, and cordoning one for the demo.
// The cordon and uncordon are changes built as data (carried out by the lab's apply).

import type { Change, Tool } from '../adapters/changes.js';
import type { Node } from '../adapters/kube-objects.js';
import { nodeIsReady } from '../adapters/kube-objects.js';
import { kubectlArgs } from '../adapters/kubectl.js';
import { KUBECTL_CALL_MS } from '../limits.js';

/** A Node with what scheduling reads: spec.unschedulable (a cordon) and its taints. */
export type SchedulingNode = Node & {
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string; value?: string }[] };
};

/** Ready, not cordoned, no NoSchedule or NoExecute taint: a node a release's pod can be scheduled on. */
export function isSchedulable(node: SchedulingNode): boolean {
  const tainted = (node.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  return nodeIsReady(node) && !node.spec?.unschedulable && !tainted;
}

/** The names of the nodes a pod can go to. */
export function schedulableNodes(nodes: SchedulingNode[]): string[] {
  return nodes.filter(isSchedulable).map((n) => n.metadata.name);
}

/** `kubectl cordon` / `uncordon` of a node, as changes. */
export const nodeChanges = {
  cordon(kubectl: Tool, node: string): Change {
    return {
      bin: kubectl.bin,
      args: [...kubectlArgs.scope(kubectl.target, { namespaced: false }), 'cordon', node],
      timeoutMs: KUBECTL_CALL_MS,
      doing: `cordoning node ${node}`,
    };
  },
  uncordon(kubectl: Tool, node: string): Change {
    return {
      bin: kubectl.bin,
      args: [...kubectlArgs.scope(kubectl.target, { namespaced: false }), 'uncordon', node],
      timeoutMs: KUBECTL_CALL_MS,
      doing: `uncordoning node ${node}`,
    };
  },
};

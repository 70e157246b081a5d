import { schedulableNodes, type Node } from '../adapters/kube-objects.js';
import type { Lab } from '../lab-context.js';

/**
 * Why a node lesson cannot run on this cluster, in one line, or undefined: the nodes must be
 * readable (rbac/k8s-lab-nodes.yaml) and two or more of them schedulable (kind's single node, or a
 * tainted control plane with one worker, has one). `needs` finishes the sentence for the lesson.
 * `lab` skips the lesson with this line instead of failing.
 */
export async function whyNodeLessonCannotRun(lab: Lab, needs: string): Promise<{ why: string } | { nodes: Node[] }> {
  const nodes = await lab.kubectl.nodes().catch((error: Error) => error);
  if (nodes instanceof Error) return { why: `the nodes cannot be read (${nodes.message}); rbac/k8s-lab-nodes.yaml grants it` };
  const schedulable = schedulableNodes(nodes);
  if (schedulable.length < 2) return { why: `the cluster has ${schedulable.length} schedulable node${schedulable.length === 1 ? '' : 's'}, and ${needs}` };
  return { nodes };
}

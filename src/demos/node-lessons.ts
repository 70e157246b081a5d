import { schedulableNodes, type Node } from '../adapters/kube-objects.js';
import { kubectlChanges } from '../adapters/changes.js';
import type { Lab } from '../lab-context.js';
import type { DemoSession } from './session.js';

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

/** The phase that cordons `node`, its time kept in `run.cordonedAt` before the change (so an undo knows to uncordon). */
export function cordonPhase(session: DemoSession, node: string, run: { cordonedAt: number | null }): Promise<void> {
  return session.phase('cordon', `kubectl cordon ${node}: no new pod is scheduled there`, async () => {
    session.checkpoint();
    session.changed = true;
    run.cordonedAt = session.clock();
    await session.lab.apply(kubectlChanges.cordon(session.lab.kubectl, node));
  });
}

import { LabError } from '../errors.js';
import type { Kubectl } from './kubectl.js';
import type { Node } from './kube-objects.js';

/**
 * A failure because the user's RBAC does not allow the call (the API server's `Forbidden`), as
 * opposed to a cluster that is not there: reads of cluster-scoped objects (nodes, StorageClasses)
 * that a namespace-bound user may not make are skipped with a note instead.
 */
export function isForbidden(error: unknown): boolean {
  return error instanceof LabError && /\(Forbidden\)|is forbidden: User /.test(error.detail ?? '');
}

/** The cluster's nodes, or `forbidden` when the user may not list them (a namespace-bound Role). */
export async function nodesIfAllowed(kubectl: Kubectl): Promise<Node[] | 'forbidden'> {
  try {
    return await kubectl.nodes();
  } catch (error) {
    if (isForbidden(error)) return 'forbidden';
    throw error;
  }
}

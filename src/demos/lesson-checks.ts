// The checks of the release that demo-update and every lesson make before anything changes.

import { inNamespace } from '../adapters/kubectl.js';
import { LabError, UsageError } from '../errors.js';
import { refuseStale } from '../governing-service.js';
import type { Lab } from '../lab-context.js';
import type { DemoTimings } from './harness.js';

/** The release installed and deployed, its StatefulSet governed as the chart makes it: its revision and values. */
export async function checkDeployedRelease(lab: Lab): Promise<{ revision: number; values: Record<string, unknown> }> {
  const [release, values, statefulSet] = await Promise.all([
    lab.helm.find(lab.release),
    lab.helm.values(lab.release).catch(() => undefined),
    lab.kubectl.statefulSet(lab.release).catch(() => undefined),
  ]);
  if (!release) throw new LabError(`release ${lab.release} is not installed${inNamespace(lab.target)}`, 'deploy it first: `k8s-lab deploy`');
  if (release.status !== 'deployed')
    throw new LabError(`release ${lab.release} is ${release.status}, not deployed`, 'bring it back with `k8s-lab deploy` (or `helm rollback`) first');
  refuseStale(lab, statefulSet);
  return { revision: Number(release.revision), values: values ?? (await lab.helm.values(lab.release)) };
}

/** The release as a lesson finds it: deployed, and its replica count. */
export async function checkLessonRelease(lab: Lab): Promise<{ replicas: number; revision: number; values: Record<string, unknown> }> {
  const { revision, values } = await checkDeployedRelease(lab);
  const { replicaCount } = values as { replicaCount?: number };
  return { replicas: replicaCount ?? 2, revision, values };
}

/** The options of a lesson that acts on one pod. */
export interface LessonOptions extends DemoTimings {
  /** The ordinal; undefined: the highest. */
  pod?: number;
}

/** The ordinal a lesson acts on: `--pod`, else the highest; out of range is bad usage, before anything changes. */
export function lessonOrdinal(release: string, pod: number | undefined, replicas: number): number {
  const ordinal = pod ?? replicas - 1;
  if (ordinal >= replicas)
    throw new UsageError(
      `--pod ${ordinal}: release ${release} has ${replicas} replicas (pods 0-${replicas - 1}); nothing was changed`,
      `pass --pod 0 to ${replicas - 1}, or leave it out for the highest`,
    );
  return ordinal;
}

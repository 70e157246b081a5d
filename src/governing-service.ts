import { governingServiceName, type StatefulSet } from './adapters/kube-objects.js';
import { UsageError } from './errors.js';
import type { Lab } from './lab-context.js';

/**
 * A StatefulSet deployed by the chart before it had a headless Service: the NodePort Service
 * governed it. serviceName cannot change on a live StatefulSet, so any `helm upgrade` to this chart
 * fails until `k8s-lab deploy --migrate` has re-created it.
 */
export interface StaleServiceName {
  statefulSet: StatefulSet;
  /** Its serviceName now. */
  live: string;
  /** The chart's: the headless Service. */
  wanted: string;
}

/** How the StatefulSet's serviceName differs from the chart's; undefined when it does not, or there is no StatefulSet. */
export function staleServiceName(statefulSet: StatefulSet | undefined): StaleServiceName | undefined {
  if (!statefulSet) return undefined;
  const wanted = governingServiceName(statefulSet.metadata.name);
  const live = statefulSet.spec.serviceName ?? '';
  return live === wanted ? undefined : { statefulSet, live, wanted };
}

/** `k8s-lab deploy --migrate`, with the --namespace and --release it was run with. */
export function migrateCommand(lab: Pick<Lab, 'release' | 'target'>): string {
  const ns = lab.target.namespace ? ` --namespace ${lab.target.namespace}` : '';
  const release = lab.release === 'helm-python' ? '' : ` --release ${lab.release}`;
  return `k8s-lab deploy --migrate${ns}${release}`;
}

/** What is wrong with a stale StatefulSet, in one line. */
export function describeStale(stale: StaleServiceName): string {
  const name = stale.statefulSet.metadata.name;
  return `StatefulSet ${name} was deployed by an older k8s-lab chart: its serviceName is ${stale.live || '(none)'}, this chart's is the headless Service ${stale.wanted}, and a live StatefulSet's serviceName cannot change`;
}

/**
 * Refuses a demo on a release whose StatefulSet must be migrated first: its first `helm upgrade`
 * would fail halfway. Nothing has changed when it throws.
 */
export function refuseStale(lab: Pick<Lab, 'release' | 'target'>, statefulSet: StatefulSet | undefined): void {
  const stale = staleServiceName(statefulSet);
  if (!stale) return;
  throw new UsageError(`${describeStale(stale)}; nothing was changed`, `migrate it first (its pods, PVCs and values are kept): ${migrateCommand(lab)}`);
}

/**
 * The StatefulSet as `kubectl create` takes it again, to put back one the migration deleted when the
 * upgrade then failed: its name, namespace, labels and annotations (Helm's among them, so the
 * release still owns it) and its spec as the server stored it. With the same pod template it adopts
 * its pods back without restarting them.
 */
export function recreatable(statefulSet: StatefulSet): object {
  const { name, namespace, labels, annotations } = statefulSet.metadata;
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace, labels, annotations }, spec: statefulSet.spec };
}

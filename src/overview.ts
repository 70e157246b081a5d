import {
  byOrdinal,
  podReadyColumn,
  podRestarts,
  podStatus,
  type PersistentVolumeClaim,
  type Pod,
  type Service,
  type StatefulSet,
} from './adapters/kube-objects.js';
import type { Kubectl } from './adapters/kubectl.js';
import { humanDuration, renderTable } from './ui/table.js';

/** The four kinds of `kubectl get po,sts,svc,pvc`, as in the write-up, for one release. */
export interface Overview {
  pods: Pod[];
  statefulSets: StatefulSet[];
  services: Service[];
  claims: PersistentVolumeClaim[];
}

export async function readOverview(kubectl: Kubectl, selector: string): Promise<Overview> {
  if (kubectl.readsThroughProxy) {
    // An HTTP GET per kind, side by side, where one kubectl process would list all four.
    const [pods, statefulSets, services, claims] = await Promise.all([
      kubectl.list<Pod>('pods', selector),
      kubectl.list<StatefulSet>('statefulsets', selector),
      kubectl.list<Service>('services', selector),
      kubectl.list<PersistentVolumeClaim>('persistentvolumeclaims', selector),
    ]);
    return { pods: byOrdinal(pods), statefulSets: byOrdinal(statefulSets), services: byOrdinal(services), claims: byOrdinal(claims) };
  }
  const items = await kubectl.list<{ kind: string; metadata: { name: string } }>('pods,statefulsets,services,persistentvolumeclaims', selector);
  const ofKind = <T>(kind: string) => byOrdinal(items.filter((item) => item.kind === kind)) as T[];
  return {
    pods: ofKind<Pod>('Pod'),
    statefulSets: ofKind<StatefulSet>('StatefulSet'),
    services: ofKind<Service>('Service'),
    claims: ofKind<PersistentVolumeClaim>('PersistentVolumeClaim'),
  };
}

/** Renders the overview with kubectl's columns; `now` makes the AGE column testable. */
export function renderOverview(overview: Overview, now: number = Date.now()): string {
  const age = (meta: { creationTimestamp?: string }) => (meta.creationTimestamp ? humanDuration(now - Date.parse(meta.creationTimestamp)) : '<unknown>');
  const sections: string[] = [];
  if (overview.pods.length) {
    sections.push(
      renderTable(
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
        overview.pods.map((pod) => [`pod/${pod.metadata.name}`, podReadyColumn(pod), podStatus(pod), podRestarts(pod), age(pod.metadata)]),
      ),
    );
  }
  if (overview.statefulSets.length) {
    sections.push(
      renderTable(
        ['NAME', 'READY', 'AGE'],
        overview.statefulSets.map((sts) => [
          `statefulset.apps/${sts.metadata.name}`,
          `${sts.status?.readyReplicas ?? 0}/${sts.spec.replicas ?? 1}`,
          age(sts.metadata),
        ]),
      ),
    );
  }
  if (overview.services.length) {
    sections.push(
      renderTable(
        ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
        overview.services.map((svc) => [
          `service/${svc.metadata.name}`,
          svc.spec.type ?? 'ClusterIP',
          svc.spec.clusterIP ?? '<none>',
          externalIp(svc),
          (svc.spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','),
          age(svc.metadata),
        ]),
      ),
    );
  }
  if (overview.claims.length) {
    sections.push(
      renderTable(
        ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'AGE'],
        overview.claims.map((pvc) => [
          `persistentvolumeclaim/${pvc.metadata.name}`,
          pvc.status?.phase ?? 'Pending',
          pvc.spec.volumeName ?? '',
          pvc.status?.capacity?.storage ?? '',
          accessModes(pvc.status?.accessModes ?? []),
          pvc.spec.storageClassName ?? '',
          age(pvc.metadata),
        ]),
      ),
    );
  }
  return sections.length ? sections.join('\n\n') : 'No resources found.';
}

function externalIp(svc: Service): string {
  const ingress = svc.status?.loadBalancer?.ingress?.map((i) => i.ip ?? i.hostname ?? '') ?? [];
  const ips = [...ingress, ...(svc.spec.externalIPs ?? [])].filter(Boolean);
  if (ips.length) return ips.join(',');
  return svc.spec.type === 'LoadBalancer' ? '<pending>' : '<none>';
}

function accessModes(modes: string[]): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return modes.map((m) => short[m] ?? m).join(',');
}

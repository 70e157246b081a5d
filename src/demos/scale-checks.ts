import { serviceNodePort, type Service, type StatefulSet } from '../adapters/kube-objects.js';
import { UsageError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { checkUrlServes, urlTarget } from '../probe/target.js';

// What demo-scale checks before its first change: the temporary release's NodePort and whether the
// server keeps the PVC retention policy. Found out later, the lesson would already have scaled the
// release up and down (issue 22).

/** The NodePorts a Service holds, one per port that has one. */
function nodePortsOf(service: Service): number[] {
  return (service.spec.ports ?? []).map((p) => p.nodePort).filter((p): p is number => typeof p === 'number');
}

/** `namespace/name` of every Service holding each NodePort. */
export function nodePortOwners(services: Service[]): Map<number, string> {
  const owners = new Map<number, string>();
  for (const service of services) {
    for (const port of nodePortsOf(service)) owners.set(port, `${service.metadata.namespace ?? ''}/${service.metadata.name}`.replace(/^\//, ''));
  }
  return owners;
}

/** The first port from `port` up (then down) in 30000-32767 that no listed Service holds. */
export function freeNodePortNear(port: number, taken: Set<number>): number | undefined {
  for (let p = port; p <= 32767; p++) if (!taken.has(p)) return p;
  for (let p = port - 1; p >= 30000; p--) if (!taken.has(p)) return p;
  return undefined;
}

/** The server's refusal of a NodePort in a dry-run create: taken (by a Service the user may not list) or out of its range. */
export const NODE_PORT_REFUSED = /provided port is already allocated|provided port is not in the valid range[^\n]*/;

/** A NodePort Service that is never stored: the API server's dry-run allocates its port, or says why not. */
export function portCheckService(port: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `k8s-lab-port-check-${port}` },
    spec: { type: 'NodePort', selector: { 'app.kubernetes.io/name': 'k8s-lab-port-check' }, ports: [{ port: 8000, nodePort: port }] },
  };
}

/**
 * The temporary release's NodePort must be free: not the release's own, held by no Service in the
 * cluster (every namespace when the user may list them), and accepted by a server-side dry-run
 * create (which also sees Services the user may not list). Throws a UsageError (exit 2) otherwise.
 */
export async function checkTemporaryNodePort(lab: Lab, port: number, { own, given }: { own?: number; given: boolean }): Promise<void> {
  const what = given ? `--node-port ${port}` : `the temporary release's NodePort ${port} (the release's plus one)`;
  const nothing = 'nothing was changed';
  if (port === own)
    throw new UsageError(
      `${what} is the NodePort of release ${lab.release}'s own Service: the temporary release needs another; ${nothing}`,
      `pass another, e.g. --node-port ${freeNodePortNear(port + 1, new Set([port]))}`,
    );
  const services = (await lab.kubectl.servicesInAllNamespaces()) ?? (await lab.kubectl.list<Service>('services'));
  const owners = nodePortOwners(services);
  const owner = owners.get(port);
  const suggestion = () => {
    const free = freeNodePortNear(port, new Set([...owners.keys(), ...(own ? [own] : [])]));
    return free === undefined ? 'free a NodePort first' : `pass a free one, e.g. --node-port ${free}`;
  };
  if (owner) throw new UsageError(`${what} is taken by Service ${owner}; ${nothing}`, suggestion());
  const dryRun = await lab.kubectl.serverDryRunCreate(portCheckService(port));
  const refused = dryRun.exitCode === 0 ? null : NODE_PORT_REFUSED.exec(dryRun.stderr);
  if (refused)
    throw new UsageError(
      `${what}: the API server refuses it (${refused[0].replace(/\.$/, '')}); ${nothing}`,
      /range/.test(refused[0]) ? 'pass one in that range with --node-port' : suggestion(),
    );
}

type WithRetention = StatefulSet & { spec: { persistentVolumeClaimRetentionPolicy?: { whenScaled?: string } } };

/**
 * `--pvc-retention delete` needs a server that keeps persistentVolumeClaimRetentionPolicy
 * (StatefulSetAutoDeletePVC, GA in 1.32): a server-side dry-run of the patch says so
 * before the release is changed. A dry-run that fails for another reason is left to the upgrade.
 */
export async function checkRetentionKept(lab: Lab): Promise<void> {
  const result = await lab.kubectl.serverDryRunPatch('statefulset', lab.release, { spec: { persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } } });
  if (result.exitCode !== 0) return;
  let kept: string | undefined;
  try {
    kept = (JSON.parse(result.stdout) as WithRetention).spec.persistentVolumeClaimRetentionPolicy?.whenScaled;
  } catch {
    return;
  }
  if (kept !== 'Delete')
    throw new UsageError(
      '--pvc-retention delete: the API server drops persistentVolumeClaimRetentionPolicy (no StatefulSetAutoDeletePVC; server-side dry-run); nothing was changed',
      'leave out --pvc-retention, or use Kubernetes 1.32+',
    );
}

/**
 * Everything demo-scale can have refused before its first change: --node-port without a temporary
 * release, the temporary release's NodePort, --pvc-retention delete, --url. Returns the temporary
 * release's NodePort (--node-port, else the release's plus one; undefined: the cluster's choice).
 */
export async function checkBeforeScaling(
  lab: Lab,
  options: { nodePort?: number; policy: string; pvcRetention: string; url?: string },
  { own, temporaries }: { own: string; temporaries: number },
): Promise<{ nodePort: number | undefined; ownPort: number | undefined }> {
  const service = await lab.kubectl.service(lab.release);
  const ownPort = service ? serviceNodePort(service) : undefined;
  const nodePort = options.nodePort ?? (ownPort && ownPort < 32767 ? ownPort + 1 : undefined);
  if (options.nodePort !== undefined && temporaries === 0)
    throw new UsageError(
      `--node-port applies to the temporary release, and --policy ${options.policy} on ${lab.release} (${own}) installs none; nothing was changed`,
      'leave out --node-port',
    );
  if (temporaries && nodePort !== undefined) await checkTemporaryNodePort(lab, nodePort, { own: ownPort, given: options.nodePort !== undefined });
  if (options.pvcRetention === 'delete') await checkRetentionKept(lab);
  if (options.url) await checkUrlServes(urlTarget(options.url, 'given with --url'), lab.release);
  return { nodePort, ownPort };
}

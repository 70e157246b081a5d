import { defaultStorageClass, nodeIsReady } from './adapters/kube-objects.js';
import { LabError } from './errors.js';
import type { Lab } from './lab-context.js';
import { isForbidden, nodesIfAllowed } from './adapters/permissions.js';
import { resolveTarget } from './probe/target.js';

export type CheckState = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  state: CheckState;
  detail: string;
  hint?: string;
}

export interface Preflight {
  checks: Check[];
  versions: { helm?: string; helmMajor?: number; kubectl?: string; server?: string };
}

async function attempt<T>(run: () => Promise<T>): Promise<{ value?: T; error?: LabError | Error }> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: error as Error };
  }
}

const failed = (name: string, error: Error): Check => ({ name, state: 'fail', detail: error.message, hint: error instanceof LabError ? error.hint : undefined });

function minor(version: string | undefined): number | undefined {
  const match = /^v?1\.(\d+)/.exec(version ?? '');
  return match ? Number(match[1]) : undefined;
}

/** What `doctor` checks, in order; a check that depends on a failed one is skipped. */
export async function runPreflight(lab: Lab, { url }: { url?: string } = {}): Promise<Preflight> {
  const checks: Check[] = [];
  const versions: Preflight['versions'] = {};

  const helm = await attempt(() => lab.helm.version());
  if (helm.value) {
    versions.helm = helm.value.version;
    versions.helmMajor = helm.value.major;
    checks.push({ name: 'helm', state: 'ok', detail: `${helm.value.version} (Helm ${helm.value.major}) at ${lab.helm.bin}` });
  } else checks.push(failed('helm', helm.error!));

  const kubectl = await attempt(() => lab.kubectl.clientVersion());
  if (kubectl.value) {
    versions.kubectl = kubectl.value;
    checks.push({ name: 'kubectl', state: 'ok', detail: `${kubectl.value} at ${lab.kubectl.bin}` });
  } else checks.push(failed('kubectl', kubectl.error!));

  const server = kubectl.value ? await attempt(() => lab.kubectl.version()) : {};
  if (server.value?.server) {
    versions.server = server.value.server;
    checks.push({ name: 'cluster', state: 'ok', detail: `API server reachable, Kubernetes ${server.value.server}` });
    const skew = Math.abs((minor(kubectl.value) ?? 0) - (minor(server.value.server) ?? 0));
    if (skew > 1) {
      checks.push({ name: 'version skew', state: 'warn', detail: `kubectl ${kubectl.value} vs server ${server.value.server}: outside the supported ±1 minor`, hint: 'everything k8s-lab uses works across this skew; a matching kubectl avoids the warnings' });
    }
  } else if (server.error) checks.push(failed('cluster', server.error));
  else checks.push({ name: 'cluster', state: 'skip', detail: 'needs kubectl' });

  if (!versions.server) return { checks, versions };

  // StorageClasses and nodes are cluster-scoped: a user whose Role covers one namespace may not read
  // them, and needs not (README "Running with least privilege"), so those checks are skipped.
  const classes = await attempt(() => lab.kubectl.storageClasses());
  const defaultClass = classes.value && defaultStorageClass(classes.value);
  if (isForbidden(classes.error)) {
    checks.push({ name: 'storage', state: 'skip', detail: 'skipped: not allowed to list StorageClasses (cluster-scoped); the PVCs get the cluster\'s default class', hint: 'if deploy waits on Pending PVCs, ask an admin which class to pass with --set persistence.storageClass=<name>' });
  } else if (classes.error) checks.push(failed('storage', classes.error));
  else if (defaultClass) checks.push({ name: 'storage', state: 'ok', detail: `default StorageClass ${defaultClass.metadata.name} (${defaultClass.provisioner ?? '?'})` });
  else {
    checks.push({
      name: 'storage',
      state: 'fail',
      detail: `no default StorageClass (${classes.value?.length ?? 0} classes)`,
      hint: 'mark one as default, or deploy with --set persistence.storageClass=<name>',
    });
  }

  const nodes = await attempt(() => nodesIfAllowed(lab.kubectl));
  if (nodes.error) checks.push(failed('nodes', nodes.error));
  else if (nodes.value === 'forbidden') checks.push({ name: 'nodes', state: 'skip', detail: 'skipped: not allowed to list nodes (cluster-scoped); the pods\' readiness tells instead' });
  else {
    const ready = nodes.value!.filter(nodeIsReady);
    checks.push({
      name: 'nodes',
      state: ready.length > 0 ? 'ok' : 'fail',
      detail: `${ready.length}/${nodes.value!.length} Ready${ready.length ? ` (${ready.map((n) => n.metadata.name).join(', ')})` : ''}`,
      hint: ready.length ? undefined : 'wait for a node to become Ready (`kubectl get nodes`)',
    });
  }

  if (helm.error) {
    checks.push({ name: 'release', state: 'skip', detail: `skipped: needs helm, which ${helm.error.message.includes(' not found') ? 'is missing' : 'failed its check'}` });
    return { checks, versions };
  }
  const release = await attempt(() => lab.helm.status(lab.release));
  if (release.error) checks.push(failed('release', release.error));
  else if (!release.value) {
    checks.push({ name: 'release', state: 'skip', detail: `${lab.release} not installed yet`, hint: 'deploy it: `k8s-lab deploy`' });
  } else {
    checks.push({ name: 'release', state: 'ok', detail: `${lab.release} revision ${release.value.version} ${release.value.info.status}` });
    const target = await attempt(() => resolveTarget(lab.kubectl, lab.release, url));
    const reply = target.value && (await target.value.get('/healthz', 3000));
    if (target.error) checks.push(failed('service', target.error));
    else if (reply?.ok) checks.push({ name: 'service', state: 'ok', detail: `answers at ${target.value!.description}` });
    else checks.push({ name: 'service', state: 'fail', detail: `${target.value!.description}: ${reply?.error ?? `HTTP ${reply?.status}`}`, hint: 'check the pods (`k8s-lab status`), or pass --url' });
  }
  return { checks, versions };
}

import { defaultStorageClass, nodeIsReady } from './adapters/kube-objects.js';
import { LabError } from './errors.js';
import { atLeast, offersMaxUnavailable, offersRecreate, parseServerVersion, SUPPORTED_FROM, type DryRunSubject, type Offer } from './features.js';
import { describeStale, migrateCommand, staleServiceName } from './governing-service.js';
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
  /** What the cluster offers of the StatefulSet features k8s-lab can use; null where it could not be checked. */
  features?: Record<FeatureName, boolean | null>;
}

export type FeatureName = 'nativeRecreate' | 'maxUnavailable' | 'sleepPreStop' | 'pvcRetentionPolicy';

/** The throw-away StatefulSet a dry-run create checks against when the release has none yet (never stored). */
export const FEATURE_CHECK_NAME = 'k8s-lab-feature-check';

/**
 * The server's version against the one k8s-lab is built for, then each feature: GA ones by the
 * version, gated ones by a server-side dry-run against the release's StatefulSet (a patch) or, with
 * none yet, a throw-away one (a create). Nothing is stored either way.
 */
export async function featureChecks(lab: Lab, serverVersion: string): Promise<{ checks: Check[]; features: Record<FeatureName, boolean | null> }> {
  const version = parseServerVersion(serverVersion);
  const checks: Check[] = [];
  const supported = `${SUPPORTED_FROM.major}.${SUPPORTED_FROM.minor}`;
  if (atLeast(version, SUPPORTED_FROM.major, SUPPORTED_FROM.minor))
    checks.push({ name: 'server version', state: 'ok', detail: `Kubernetes ${serverVersion}: ${supported} or newer, what k8s-lab is built and tested for` });
  else {
    checks.push({
      name: 'server version',
      state: 'warn',
      detail: `Kubernetes ${serverVersion} is older than ${supported}, the oldest k8s-lab is built and tested for`,
      hint: 'the lab still runs: recreate is emulated, the chart drains with an exec where there is no sleep action, as listed below',
    });
  }

  const existing = await lab.kubectl.statefulSet(lab.release).catch(() => undefined);
  const stale = staleServiceName(existing);
  if (stale) checks.push({ name: 'serviceName', state: 'warn', detail: describeStale(stale), hint: `migrate it before any update: ${migrateCommand(lab)}` });
  const subject: DryRunSubject = existing ? { kind: 'patch', name: lab.release } : { kind: 'create', name: FEATURE_CHECK_NAME };
  const how = existing ? `a server-side dry-run patch of StatefulSet ${lab.release}` : 'a server-side dry-run create of a StatefulSet';
  const gated = async (name: string, minimum: [number, number], offer: () => Promise<Offer>, off: string, on: string): Promise<boolean | null> => {
    if (!atLeast(version, ...minimum)) {
      checks.push({ name, state: 'skip', detail: `not offered: ${off}` });
      return false;
    }
    const answer = await offer();
    if (answer.state === 'yes') checks.push({ name, state: 'ok', detail: `offered: ${on} (${how})` });
    else if (answer.state === 'no') checks.push({ name, state: 'skip', detail: `not offered: ${answer.why}` });
    else if (/namespaces? "[^"]*" not found/.test(answer.why))
      checks.push({ name, state: 'skip', detail: `not checked: the namespace does not exist yet (deploy creates it)` });
    else
      checks.push({
        name,
        state: 'warn',
        detail: `not checked: ${answer.why}`,
        hint: 'the dry-run needs patch (or create) on statefulsets, as in the Role of docs/least-privilege.md',
      });
    return answer.state === 'unknown' ? null : answer.state === 'yes';
  };
  const byVersion = (name: string, minimum: [number, number], on: string, off: string): boolean => {
    const offered = atLeast(version, ...minimum);
    checks.push({ name, state: offered ? 'ok' : 'skip', detail: offered ? `offered: ${on}` : `not offered: ${off}` });
    return offered;
  };

  const nativeRecreate = await gated(
    'native Recreate',
    [1, 37],
    () => offersRecreate(lab.kubectl, subject),
    'StatefulSet updateStrategy Recreate needs Kubernetes 1.37+ with feature gate StatefulSetRecreateStrategy; demo-update --strategy recreate emulates it (OnDelete + delete)',
    'updateStrategy Recreate (feature gate StatefulSetRecreateStrategy): demo-update --strategy recreate uses it',
  );
  const maxUnavailable = await gated(
    'maxUnavailable',
    [1, 24],
    () => offersMaxUnavailable(lab.kubectl, subject),
    'rollingUpdate.maxUnavailable needs Kubernetes 1.24+ (feature MaxUnavailableStatefulSet, on by default from 1.37)',
    'rollingUpdate.maxUnavailable is kept (MaxUnavailableStatefulSet): demo-update --strategy rolling --max-unavailable N',
  );
  const sleepPreStop = byVersion(
    'sleep preStop',
    [1, 34],
    "the kubelet's sleep action (GA in 1.34): the chart drains with it",
    'the sleep action is GA from Kubernetes 1.34: the chart drains with an exec of python3 instead',
  );
  const pvcRetentionPolicy = byVersion(
    'PVC retention',
    [1, 32],
    'persistentVolumeClaimRetentionPolicy (GA in 1.32)',
    'persistentVolumeClaimRetentionPolicy is GA from Kubernetes 1.32: PVCs always stay after a scale-in or uninstall',
  );
  return { checks, features: { nativeRecreate, maxUnavailable, sleepPreStop, pvcRetentionPolicy } };
}

async function attempt<T>(run: () => Promise<T>): Promise<{ value?: T; error?: LabError | Error }> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: error as Error };
  }
}

const failed = (name: string, error: Error): Check => ({
  name,
  state: 'fail',
  detail: error.message,
  hint: error instanceof LabError ? error.hint : undefined,
});

function minor(version: string | undefined): number | undefined {
  const match = /^v?1\.(\d+)/.exec(version ?? '');
  return match ? Number(match[1]) : undefined;
}

/** helm, kubectl, then the API server through kubectl (and the skew between them): the versions found. */
async function toolChecks(lab: Lab, checks: Check[]): Promise<{ versions: Preflight['versions']; helmError?: Error }> {
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
      checks.push({
        name: 'version skew',
        state: 'warn',
        detail: `kubectl ${kubectl.value} vs server ${server.value.server}: outside the supported ±1 minor`,
        hint: 'everything k8s-lab uses works across this skew; a matching kubectl avoids the warnings',
      });
    }
  } else if (server.error) checks.push(failed('cluster', server.error));
  else checks.push({ name: 'cluster', state: 'skip', detail: 'needs kubectl' });
  return { versions, helmError: helm.error };
}

// StorageClasses and nodes are cluster-scoped: a user whose Role covers one namespace may not read
// them, and needs not (docs/least-privilege.md), so those checks are skipped.
async function storageCheck(lab: Lab): Promise<Check> {
  const classes = await attempt(() => lab.kubectl.storageClasses());
  const defaultClass = classes.value && defaultStorageClass(classes.value);
  if (isForbidden(classes.error)) {
    return {
      name: 'storage',
      state: 'skip',
      detail: "skipped: not allowed to list StorageClasses (cluster-scoped); the PVCs get the cluster's default class",
      hint: 'if deploy waits on Pending PVCs, ask an admin which class to pass with --set persistence.storageClass=<name>',
    };
  }
  if (classes.error) return failed('storage', classes.error);
  if (defaultClass) return { name: 'storage', state: 'ok', detail: `default StorageClass ${defaultClass.metadata.name} (${defaultClass.provisioner ?? '?'})` };
  return {
    name: 'storage',
    state: 'fail',
    detail: `no default StorageClass (${classes.value?.length ?? 0} classes)`,
    hint: 'mark one as default, or deploy with --set persistence.storageClass=<name>',
  };
}

async function nodesCheck(lab: Lab): Promise<Check> {
  const nodes = await attempt(() => nodesIfAllowed(lab.kubectl));
  if (nodes.error) return failed('nodes', nodes.error);
  if (nodes.value === 'forbidden')
    return { name: 'nodes', state: 'skip', detail: "skipped: not allowed to list nodes (cluster-scoped); the pods' readiness tells instead" };
  const ready = nodes.value!.filter(nodeIsReady);
  return {
    name: 'nodes',
    state: ready.length > 0 ? 'ok' : 'fail',
    detail: `${ready.length}/${nodes.value!.length} Ready${ready.length ? ` (${ready.map((n) => n.metadata.name).join(', ')})` : ''}`,
    hint: ready.length ? undefined : 'wait for a node to become Ready (`kubectl get nodes`)',
  };
}

/** The release (through helm) and, when installed, its Service answering /healthz. */
async function releaseChecks(lab: Lab, helmError: Error | undefined, url: string | undefined): Promise<Check[]> {
  if (helmError) {
    return [
      { name: 'release', state: 'skip', detail: `skipped: needs helm, which ${helmError.message.includes(' not found') ? 'is missing' : 'failed its check'}` },
    ];
  }
  const release = await attempt(() => lab.helm.status(lab.release));
  if (release.error) return [failed('release', release.error)];
  if (!release.value) return [{ name: 'release', state: 'skip', detail: `${lab.release} not installed yet`, hint: 'deploy it: `k8s-lab deploy`' }];
  const installed: Check = { name: 'release', state: 'ok', detail: `${lab.release} revision ${release.value.version} ${release.value.info.status}` };
  const target = await attempt(() => resolveTarget(lab.kubectl, lab.release, url));
  const reply = target.value && (await target.value.get('/healthz', 3000));
  if (target.error) return [installed, failed('service', target.error)];
  if (reply?.ok) return [installed, { name: 'service', state: 'ok', detail: `answers at ${target.value!.description}` }];
  return [
    installed,
    {
      name: 'service',
      state: 'fail',
      detail: `${target.value!.description}: ${reply?.error ?? `HTTP ${reply?.status}`}`,
      hint: 'check the pods (`k8s-lab status`), or pass --url',
    },
  ];
}

/** What `doctor` checks, in order; a check that depends on a failed one is skipped. */
export async function runPreflight(lab: Lab, { url }: { url?: string } = {}): Promise<Preflight> {
  const checks: Check[] = [];
  const { versions, helmError } = await toolChecks(lab, checks);
  if (!versions.server) return { checks, versions };
  const offered = await featureChecks(lab, versions.server);
  checks.push(...offered.checks, await storageCheck(lab), await nodesCheck(lab), ...(await releaseChecks(lab, helmError, url)));
  return { checks, versions, features: offered.features };
}

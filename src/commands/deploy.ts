import { helmChanges, kubectlChanges } from '../adapters/changes.js';
import { parseRelease, type HelmRelease } from '../adapters/helm.js';
import type { Lab } from '../lab-context.js';
import { UNDO_INSTALL_MS } from '../limits.js';
import { readOverview, renderOverview } from '../overview.js';
import { chartDir } from '../paths.js';
import { waitForStatefulSet } from '../rollout.js';
import { startSpinner } from '../ui/spinner.js';

export interface DeployOptions {
  replicas?: number;
  image?: { repository: string; tag?: string };
  appVersion?: string;
  set: string[];
  values: string[];
  timeout: number;
}

/** The chart values the dedicated flags stand for; they come after -f and --set, so they win. */
export function deployValues(options: DeployOptions): { sets: string[]; setStrings: string[] } {
  const sets = [...options.set];
  const setStrings: string[] = [];
  if (options.replicas !== undefined) sets.push(`replicaCount=${options.replicas}`);
  if (options.image) {
    setStrings.push(`image.repository=${options.image.repository}`);
    if (options.image.tag) setStrings.push(`image.tag=${options.image.tag}`);
  }
  if (options.appVersion !== undefined) setStrings.push(`app.version=${options.appVersion}`);
  return { sets, setStrings };
}

export async function deploy(lab: Lab, options: DeployOptions): Promise<void> {
  const { sets, setStrings } = deployValues(options);
  const request = { release: lab.release, chart: chartDir, valuesFiles: options.values, sets, setStrings };

  // Nothing on the cluster changes until the values are known to work: helm renders the chart with
  // them locally first (schema and templates), so a bad value fails here and names the field.
  await lab.helm.validate(request);
  // Reads before any write, so an unreachable cluster, a missing permission or a missing kubectl
  // fail here too. A namespace given with --namespace is created only if missing, after validation.
  const installed = lab.dryRun ? undefined : await lab.helm.status(lab.release);
  if (!lab.dryRun) await lab.kubectl.clientVersion();
  const namespace = lab.target.namespace;
  const createNamespace = namespace !== undefined && !installed && (await lab.kubectl.namespaceExists(namespace)) === false ? namespace : undefined;
  // helm's own timeout bounds hooks; the builder gives the process a little longer so helm can report it.
  const upgrade = helmChanges.upgradeInstall(lab.helm, await lab.helm.major(), request, options.timeout);

  // With --dry-run, `apply` prints both calls and the deploy ends there.
  const spinner = lab.dryRun ? undefined : await startSpinner(`helm upgrade --install ${lab.release}`, { silent: lab.json, stream: lab.stderr });
  let release: HelmRelease | undefined;
  try {
    if (createNamespace) await lab.apply(kubectlChanges.createNamespace(lab.kubectl, createNamespace));
    const result = await lab.apply(upgrade);
    release = result && parseRelease(result.stdout);
  } catch (error) {
    spinner?.stop();
    if (!installed) await undoFirstInstall(lab, createNamespace);
    throw error;
  }
  if (!spinner || !release) return;
  try {
    spinner.update(`release ${release.name} revision ${release.version} ${release.info.status}; waiting for pods`);
    await waitForStatefulSet(lab.kubectl, lab.release, { timeoutMs: options.timeout, onProgress: (line) => spinner.update(`waiting for pods: ${line}`) });
  } catch (error) {
    // The release stays as it is, so that `kubectl describe` can show why its pods are not Ready.
    spinner.stop();
    throw error;
  }
  spinner.succeed(`${lab.release} deployed (revision ${release.version}), every pod Ready`);
  const overview = await readOverview(lab.kubectl, lab.releaseSelector);
  lab.log.result({ release: { name: release.name, namespace: release.namespace, revision: release.version, status: release.info.status }, ...overview }, () =>
    renderOverview(overview),
  );
}

/**
 * A first install the cluster rejected (a value the schema allows but the API server does not)
 * leaves nothing behind: not the failed release, not the namespace made for it. Best effort: the
 * install's own error is what the user needs to see.
 */
async function undoFirstInstall(lab: Lab, createdNamespace: string | undefined): Promise<void> {
  try {
    if (createdNamespace) await lab.apply(kubectlChanges.deleteNamespace(lab.kubectl, createdNamespace, UNDO_INSTALL_MS));
    else if (await lab.helm.status(lab.release)) await lab.apply(helmChanges.uninstall(lab.helm, await lab.helm.major(), lab.release, UNDO_INSTALL_MS));
  } catch {
    // Left as it is; `k8s-lab teardown` removes it.
  }
}

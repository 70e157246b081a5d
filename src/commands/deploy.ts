import { helmChanges, kubectlChanges, type Change } from '../adapters/changes.js';
import { parseRelease, RESET_THEN_REUSE_HELM3_MINOR, type HelmRelease } from '../adapters/helm.js';
import { InterruptedError, LabError, UsageError } from '../errors.js';
import { describeStale, migrateCommand, recreatable, staleServiceName, type StaleServiceName } from '../governing-service.js';
import { interrupts } from '../interrupt.js';
import type { Lab } from '../lab-context.js';
import { ORPHAN_STATEFULSET_MS, UNDO_INSTALL_MS } from '../limits.js';
import type { ToolResult } from '../process/runner.js';
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
  /**
   * Move a release deployed by an older chart onto this one, as it is: its values kept under the
   * options given, and a StatefulSet whose serviceName cannot change re-created (pods and PVCs kept).
   */
  migrate?: boolean;
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
  // A StatefulSet from a chart before the headless Service would fail the upgrade halfway: found here.
  const live = installed || lab.dryRun ? await lab.kubectl.statefulSet(lab.release) : undefined;
  const stale = staleServiceName(live);
  if (stale && !options.migrate) {
    throw new UsageError(
      `${describeStale(stale)}; nothing was changed`,
      'run the same deploy with --migrate: it re-creates the StatefulSet with --cascade=orphan, keeping its pods, PVCs and values (the pods then roll once onto the new Service)',
    );
  }
  const keepValues = Boolean(options.migrate && (installed ?? live));
  if (keepValues) await requireResetThenReuse(lab);
  const namespace = lab.target.namespace;
  const createNamespace = namespace !== undefined && !installed && (await lab.kubectl.namespaceExists(namespace)) === false ? namespace : undefined;
  // helm's own timeout bounds hooks; the builder gives the process a little longer so helm can report it.
  const upgrade = helmChanges.upgradeInstall(lab.helm, await lab.helm.major(), { ...request, keepValues }, options.timeout);

  // With --dry-run, `apply` prints both calls and the deploy ends there.
  const spinner = lab.dryRun ? undefined : await startSpinner(`helm upgrade --install ${lab.release}`, { silent: lab.json, stream: lab.stderr });
  let release: HelmRelease | undefined;
  try {
    if (createNamespace) await lab.apply(kubectlChanges.createNamespace(lab.kubectl, createNamespace));
    const result = stale ? await migrate(lab, stale, upgrade) : await lab.apply(upgrade);
    release = result && parseRelease(result.stdout);
  } catch (error) {
    spinner?.stop();
    if (!installed) await undoFirstInstall(lab, createNamespace);
    throw error;
  }
  if (!spinner || !release) return;
  if (stale) {
    const done = `StatefulSet ${lab.release} re-created, governed by ${stale.wanted}; its pods and PVCs kept`;
    if (interrupts.signal.aborted) {
      spinner.stop();
      throw new InterruptedError(
        `interrupted: the migration was finished first (${done})`,
        'the pods roll once onto the new Service: `k8s-lab status` shows them',
      );
    }
    lab.log.info(`migrated: ${done}; the pods roll once onto the new Service`);
  }
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

/** --reset-then-reuse-values (deploy --migrate) came with Helm 3.14. */
async function requireResetThenReuse(lab: Lab): Promise<void> {
  const { major, version } = await lab.helm.version();
  const minor = Number(/^v?\d+\.(\d+)/.exec(version)?.[1] ?? 0);
  if (major === 3 && minor < RESET_THEN_REUSE_HELM3_MINOR) {
    throw new UsageError(
      `deploy --migrate keeps the release's values with helm's --reset-then-reuse-values, which helm ${version} does not have; nothing was changed`,
      `use Helm 3.${RESET_THEN_REUSE_HELM3_MINOR}+ or Helm 4 (\`npm run tools\` fetches both)`,
    );
  }
}

/**
 * Moves a StatefulSet deployed by an older chart onto this one: deleted with --cascade=orphan (its
 * pods go on serving, its PVCs stay), then re-created by the upgrade under the new serviceName; it
 * adopts the pods, which roll once to get their DNS names under the headless Service. A failed
 * upgrade that left no StatefulSet gets the old one back, which adopts its pods unchanged. A Ctrl-C
 * waits until the upgrade has run: the release ends up migrated, never without its StatefulSet.
 */
async function migrate(lab: Lab, stale: StaleServiceName, upgrade: Change): Promise<ToolResult | undefined> {
  interrupts.narrator = () => lab.log.warn('interrupted: finishing the migration first, so the StatefulSet is not left deleted (Ctrl-C again stops at once)');
  try {
    return await interrupts.whileUndoable(async (signal) => {
      signal.throwIfAborted();
      await lab.apply(kubectlChanges.orphanStatefulSet(lab.kubectl, lab.release, ORPHAN_STATEFULSET_MS));
      try {
        return await lab.apply(upgrade);
      } catch (error) {
        throw await putBack(lab, stale, error as Error);
      }
    });
  } finally {
    interrupts.narrator = undefined;
  }
}

/** After a failed migration upgrade: the old StatefulSet created again where none is left, and the error saying so. */
async function putBack(lab: Lab, stale: StaleServiceName, error: Error): Promise<LabError> {
  const cause = error instanceof LabError ? error : new LabError(error.message);
  const again = `fix that and run \`${migrateCommand(lab)}\` again`;
  const said = (state: string) => new (cause.constructor as typeof LabError)(cause.message, `${state}; ${again}`, cause.detail);
  try {
    if (await lab.kubectl.statefulSet(lab.release))
      return said(`the upgrade had already re-created StatefulSet ${lab.release}, which adopted the pods; their PVCs are kept`);
    await lab.apply(kubectlChanges.create(lab.kubectl, recreatable(stale.statefulSet), `StatefulSet ${lab.release} as it was`));
    return said(`StatefulSet ${lab.release} was put back as it was, its pods and PVCs kept`);
  } catch {
    return said(`StatefulSet ${lab.release} is deleted, but its pods run on and their PVCs are kept`);
  }
}

import { Command, Option } from 'commander';
import { createLab, type Lab } from '../lab.js';
import { existingFile, goDuration, parseDuration, parseImage, setExpression, wholeNumber } from '../options.js';
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
  const request = { release: lab.release, chart: chartDir, valuesFiles: options.values, sets, setStrings, timeout: goDuration(options.timeout) };
  // helm's own timeout bounds hooks; the process gets a little longer so helm can report it.
  const call = await lab.helm.upgradeInstallCall(request, options.timeout + 30_000);
  if (lab.skipForDryRun(call)) return;

  const spinner = await startSpinner(`helm upgrade --install ${lab.release}`, { silent: lab.json });
  try {
    const release = await lab.helm.upgradeInstall(request, options.timeout + 30_000);
    spinner.update(`release ${release.name} revision ${release.version} ${release.info.status}; waiting for pods`);
    await waitForStatefulSet(lab.kubectl, lab.release, { timeoutMs: options.timeout, onProgress: (line) => spinner.update(`waiting for pods: ${line}`) });
    spinner.succeed(`${lab.release} deployed (revision ${release.version}), every pod Ready`);
    const overview = await readOverview(lab.kubectl, lab.releaseSelector);
    lab.log.data(lab.json ? JSON.stringify({ release: { name: release.name, namespace: release.namespace, revision: release.version, status: release.info.status }, ...overview }, null, 2) : renderOverview(overview));
  } catch (error) {
    spinner.fail(`deploy of ${lab.release} failed`);
    throw error;
  }
}

export const deployCommand = new Command('deploy')
  .option('--replicas <n>', 'number of pods (replicaCount)', wholeNumber(0, 100))
  .option('--image <image>', 'a stock Python image, e.g. localhost/k8s-lab/python:3-bookworm', parseImage)
  .option('--app-version <version>', 'the app version the pods run and answer with (app.version)')
  .addOption(new Option('--set <key=value>', 'set a chart value, as with helm (repeatable)').argParser(setExpression).default([], 'none'))
  .addOption(new Option('-f, --values <file>', 'a values file, as with helm (repeatable)').argParser(existingFile).default([], 'none'))
  .addOption(new Option('--timeout <duration>', 'how long to wait for every pod to be Ready').argParser(parseDuration).default(300_000, '5m'))
  .option('--dry-run', 'print the helm call instead of running it')
  .action(async (options: DeployOptions, command: Command) => {
    await deploy(createLab(command.optsWithGlobals()), options);
  });

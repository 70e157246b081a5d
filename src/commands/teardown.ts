import { createInterface } from 'node:readline/promises';
import { helmChanges, kubectlChanges } from '../adapters/changes.js';
import { inNamespace } from '../adapters/kubectl.js';
import type { PersistentVolumeClaim } from '../adapters/kube-objects.js';
import { LabError, UsageError } from '../errors.js';
import type { Lab } from '../lab-context.js';

export interface TeardownOptions {
  deleteData?: boolean;
  yes?: boolean;
  timeout: number;
}

async function confirm(lab: Lab, question: string): Promise<boolean> {
  const rl = createInterface({ input: lab.stdin, output: lab.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function teardown(lab: Lab, options: TeardownOptions): Promise<void> {
  const where = inNamespace(lab.target);
  const release = await lab.helm.status(lab.release);
  const claims = options.deleteData ? await lab.kubectl.list<PersistentVolumeClaim>('persistentvolumeclaims', lab.releaseSelector) : [];
  if (!release && claims.length === 0) {
    throw new LabError(`release ${lab.release} is not installed${where}: nothing to tear down`, 'check --release and --namespace (`helm list -A`)');
  }
  const names = claims.map((c) => c.metadata.name);
  if (names.length && !options.yes && !lab.dryRun) {
    if (!lab.stdin.isTTY)
      throw new UsageError(`refusing to delete ${names.length} PVCs (the counters' data) without confirmation`, 'pass --yes to delete them');
    if (!(await confirm(lab, `Delete ${names.length} PVCs with the counters' data (${names.join(', ')})?`))) {
      throw new UsageError('teardown cancelled: nothing was deleted');
    }
  }

  // Each change is printed with --dry-run, else run: `apply` decides.
  if (release && (await lab.apply(helmChanges.uninstall(lab.helm, await lab.helm.major(), lab.release, options.timeout)))) {
    lab.log.success(`release ${lab.release} uninstalled${where}`);
  }
  if (names.length) {
    if (await lab.apply(kubectlChanges.deletePvcs(lab.kubectl, names, options.timeout, 'the PVCs'))) {
      lab.log.success(`deleted ${names.length} PVCs: ${names.join(', ')}`);
    }
  } else if (!options.deleteData && release && !lab.dryRun) {
    lab.log.info(`the PVCs (counter data) are kept; \`k8s-lab deploy\` finds them again, \`k8s-lab teardown --delete-data\` removes them`);
  }
}

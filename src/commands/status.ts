import { inNamespace } from '../adapters/kubectl.js';
import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { readOverview, renderOverview } from '../overview.js';

export async function status(lab: Lab): Promise<void> {
  const release = await lab.helm.find(lab.release);
  if (!release) {
    const where = inNamespace(lab.target);
    throw new LabError(`release ${lab.release} is not installed${where}`, 'deploy it: `k8s-lab deploy`');
  }
  const overview = await readOverview(lab.kubectl, lab.releaseSelector);
  const summary = {
    name: release.name,
    namespace: release.namespace,
    revision: Number(release.revision),
    status: release.status,
    chart: release.chart,
    appVersion: release.app_version,
    updated: release.updated,
  };
  lab.log.result({ release: summary, ...overview }, () =>
    [
      `RELEASE: ${summary.name}   NAMESPACE: ${summary.namespace}   REVISION: ${summary.revision}   STATUS: ${summary.status}   CHART: ${summary.chart}`,
      '',
      renderOverview(overview),
    ].join('\n'),
  );
}

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
  // The API server read from Node where the kubeconfig allows (no kubectl process), else kubectl.
  const direct = await lab.kubectl.direct((line) => lab.log.debug(line));
  if ('unsupported' in direct) lab.log.debug(`reading with kubectl: ${direct.unsupported}`);
  const overview = await readOverview('reads' in direct ? lab.kubectl.withProxy(direct.reads) : lab.kubectl, lab.releaseSelector).finally(() =>
    'api' in direct ? direct.api.stop() : undefined,
  );
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

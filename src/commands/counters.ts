import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';

export async function counters(lab: Lab): Promise<void> {
  const [{ readReleaseCounters }, { renderTable }] = await Promise.all([import('../counters.js'), import('../ui/table.js')]);
  const readings = await readReleaseCounters(lab);
  lab.log.result(readings, () =>
    readings.length === 0
      ? `StatefulSet ${lab.release} has no pods (replicas 0?)`
      : renderTable(
          ['POD', 'COUNTER', 'PVC', 'REVISION', 'VERSION', 'READY'],
          readings.map((r) => [r.pod, r.counter ?? `? (${r.error})`, r.pvc ?? '<none>', r.revision ?? '', r.version ?? '', r.ready ? 'true' : 'false']),
        ),
  );
  const failed = readings.filter((r) => r.error);
  if (failed.length) {
    throw new LabError(
      `could not read the counter of ${failed.map((r) => r.pod).join(', ')}: ${failed[0]?.error}`,
      'wait until the pods are Running (`k8s-lab status`) and try again',
    );
  }
}

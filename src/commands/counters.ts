import { Command } from 'commander';
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
    throw new LabError(`could not read the counter of ${failed.map((r) => r.pod).join(', ')}: ${failed[0]?.error}`, 'wait until the pods are Running (`k8s-lab status`) and try again');
  }
}

// What it runs is loaded when it runs: `k8s-lab counters --help` needs commander alone.
export const countersCommand = new Command('counters')
  .action(async (_options: object, command: Command) => {
    const { labFor } = await import('../lab-context.js');
    await counters(labFor(command));
  });

import { describe, expect, it } from 'vitest';
import { helm, runCommand } from '../../support/fake-cluster.js';
import {
  DRY_RUN_MAX_UNAVAILABLE_CREATE,
  HELM_LIST,
  HELM_VERSION,
  KUBECTL_CLIENT,
  KUBECTL_SERVER,
  OVERVIEW,
  STATEFULSET_MISSING,
} from '../../support/cluster-objects.js';

describe('the fake cluster', () => {
  it('fails the test on a call it has no script for', async () => {
    await expect(runCommand(['-n', 'lab', 'status'], [HELM_VERSION, HELM_LIST])).rejects.toThrow(
      /^calls with no script:\n\["kubectl","--namespace","lab","get","pods,statefulsets,services,persistentvolumeclaims",/,
    );
  });

  it('fails the test on a call whose arguments differ from the script by one', async () => {
    const other = helm(['--namespace', 'lab', 'list', '--filter', '^helm-python$', '--all', '--output', 'json'], { stdout: [] });
    await expect(runCommand(['-n', 'lab', 'status'], [HELM_VERSION, other])).rejects.toThrow(/calls with no script/);
  });

  it('fails the test when a scripted call was not made', async () => {
    await expect(runCommand(['-n', 'lab', 'status'], [HELM_VERSION, HELM_LIST, OVERVIEW, helm(['version', '--short'])])).rejects.toThrow(
      /^scripted calls not made:\n\["helm","version","--short"\]/,
    );
  });

  it('fails the test on a call whose stdin does not match the script', async () => {
    const otherObject = { ...DRY_RUN_MAX_UNAVAILABLE_CREATE, input: /"type":"Recreate"/ };
    await expect(runCommand(['-n', 'lab', 'doctor'], [HELM_VERSION, KUBECTL_CLIENT, KUBECTL_SERVER, STATEFULSET_MISSING, otherObject])).rejects.toThrow(
      /^calls with no script:\n\["kubectl","--namespace","lab","create","--filename","-","--dry-run=server",/,
    );
  });
});

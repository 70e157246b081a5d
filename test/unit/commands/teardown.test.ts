import { describe, expect, it } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import { CLAIMS, claim, HELM_VERSION, helmStatus, NOT_INSTALLED, NS, release, SELECTOR } from '../../support/cluster-objects.js';

const INSTALLED = helmStatus({ stdout: release(2) });
const UNINSTALL = helm([...NS, 'uninstall', 'helm-python', '--timeout', '120s', '--wait=watcher']);
const PVC_NAMES = ['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1'];
const DELETE_PVCS = kubectl([...NS, 'delete', 'persistentvolumeclaims', ...PVC_NAMES, '--wait=true', '--timeout=120s']);

describe('k8s-lab teardown', () => {
  it('uninstalls the release and keeps the PVCs by default', async () => {
    const script = [HELM_VERSION, INSTALLED, UNINSTALL];
    const run = await runCommand(['-n', 'lab', 'teardown'], script);
    expect(run).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✔ release helm-python uninstalled in namespace lab\nthe PVCs (counter data) are kept; `k8s-lab deploy` finds them again, `k8s-lab teardown --delete-data` removes them\n',
      calls: callsOf(script),
    });
  });

  it('refuses to delete the data off a terminal without --yes: exit 2, nothing deleted', async () => {
    const script = [HELM_VERSION, INSTALLED, CLAIMS];
    const run = await runCommand(['-n', 'lab', 'teardown', '--delete-data'], script, { tty: false });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: "✖ refusing to delete 2 PVCs (the counters' data) without confirmation — pass --yes to delete them\n",
      calls: callsOf(script),
    });
  });

  it('on a terminal, asks and stops at a no', async () => {
    const script = [HELM_VERSION, INSTALLED, CLAIMS];
    const run = await runCommand(['-n', 'lab', 'teardown', '--delete-data'], script, { tty: true, typed: 'n\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`Delete 2 PVCs with the counters' data (${PVC_NAMES.join(', ')})? [y/N] ✖ teardown cancelled: nothing was deleted\n`);
    expect(run.calls).toEqual(callsOf(script));
  });

  it('on a terminal, deletes after a yes', async () => {
    const script = [HELM_VERSION, INSTALLED, CLAIMS, UNINSTALL, DELETE_PVCS];
    const run = await runCommand(['-n', 'lab', 'teardown', '--delete-data'], script, { tty: true, typed: 'y\n' });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(callsOf(script));
  });

  it('--delete-data --yes uninstalls and deletes the PVCs without asking', async () => {
    const script = [HELM_VERSION, INSTALLED, CLAIMS, UNINSTALL, DELETE_PVCS];
    const run = await runCommand(['-n', 'lab', 'teardown', '--delete-data', '--yes'], script);
    expect(run).toEqual({
      code: 0,
      stdout: '',
      stderr: `✔ release helm-python uninstalled in namespace lab\n✔ deleted 2 PVCs: ${PVC_NAMES.join(', ')}\n`,
      calls: callsOf(script),
    });
  });

  it('--dry-run prints the two calls and runs neither', async () => {
    const script = [HELM_VERSION, INSTALLED, CLAIMS];
    const run = await runCommand(['-n', 'lab', 'teardown', '--delete-data', '--dry-run', '--timeout', '1m'], script);
    expect(run).toEqual({
      code: 0,
      stdout: `helm --namespace lab uninstall helm-python --timeout 60s --wait=watcher\nkubectl --namespace lab delete persistentvolumeclaims ${PVC_NAMES.join(' ')} --wait=true --timeout=60s\n`,
      stderr: '',
      calls: callsOf(script),
    });
  });

  it('only the PVCs left: deletes them without a release to uninstall', async () => {
    const script = [
      HELM_VERSION,
      NOT_INSTALLED,
      kubectl([...NS, 'get', 'persistentvolumeclaims', '--selector', SELECTOR, '--output', 'json', '--request-timeout=10s'], {
        stdout: { items: [claim(0), claim(1)] },
      }),
      DELETE_PVCS,
    ];
    const run = await runCommand(['-n', 'lab', 'teardown', '--delete-data', '--yes'], script);
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(callsOf(script));
  });

  it('nothing installed and no data: exit 1 with one line', async () => {
    const script = [HELM_VERSION, NOT_INSTALLED];
    const run = await runCommand(['-n', 'lab', 'teardown'], script);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: '✖ release helm-python is not installed in namespace lab: nothing to tear down — check --release and --namespace (`helm list -A`)\n',
      calls: callsOf(script),
    });
  });
});

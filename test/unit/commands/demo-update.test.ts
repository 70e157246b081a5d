import { describe, expect, it } from 'vitest';
import { callsOf, helm, runCommand } from '../../support/fake-cluster.js';
import { HELM_VERSION, KUBECTL_CLIENT, NS, PROXY_FAILS } from '../../support/cluster-objects.js';

const list = (status: string) =>
  helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status, chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  });
const values = (values: object) => helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: values });

/** The reads every demo starts with, in the order they are made. */
const checks = (status: string, releaseValues: object) => [HELM_VERSION, KUBECTL_CLIENT, list(status), values(releaseValues), PROXY_FAILS];

describe('k8s-lab demo-update: what it checks before the first change', () => {
  it('an update to the version the release already runs is a usage error: exit 2, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2, app: { version: 'v1' } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'rolling', '--to', 'v1', '--record-dir', '/nonexistent/runs'], script);
    expect(run).toEqual({ code: 2, stdout: '', stderr: '✖ the release already runs v1 — pass another --to version\n', calls: callsOf(script) });
  });

  it('a release mid-update is not updated again: exit 1, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2, app: { version: 'v1' }, updateStrategy: { type: 'RollingUpdate', partition: 1 } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'partition', '--record-dir', '/nonexistent/runs'], script);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: '✖ release helm-python is mid-update (updateStrategy RollingUpdate partition 1) — finish or undo it first: `k8s-lab deploy` with your usual options resets it\n',
      calls: callsOf(script),
    });
  });

  it('a release with no replicas has nothing to update', async () => {
    const script = checks('deployed', { replicaCount: 0, app: { version: 'v1' } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'canary', '--record-dir', '/nonexistent/runs'], script);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('✖ release helm-python has 0 replicas: nothing to update — deploy with --replicas 2 first\n');
  });

  it('an unknown strategy is a usage error before anything runs', async () => {
    const run = await runCommand(['demo-update', '--strategy', 'bluegreen'], []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✖ .*bluegreen.* — see k8s-lab demo-update --help\n$/);
    expect(run.calls).toEqual([]);
  });
});

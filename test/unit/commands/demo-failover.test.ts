import { describe, expect, it } from 'vitest';
import { callsOf, helm, runCommand } from '../../support/fake-cluster.js';
import { HELM_VERSION, KUBECTL_CLIENT, NS, PROXY_FAILS } from '../../support/cluster-objects.js';

const list = (status: string) =>
  helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status, chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  });
const values = (values: object) => helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: values });
const checks = (status: string, releaseValues: object) => [HELM_VERSION, KUBECTL_CLIENT, list(status), values(releaseValues), PROXY_FAILS];

describe('k8s-lab demo-failover: bad input changes nothing', () => {
  it.each([
    [['demo-failover'], /--mode/],
    [['demo-failover', '--mode', 'crash'], /crash/],
    [['demo-failover', '--mode', 'kill', '--pod', '-1'], /--pod/],
    [['demo-failover', '--mode', 'kill', '--pod', 'x'], /--pod "x" is invalid/],
    [['demo-failover', '--mode', 'delete', '--interval', 'soon'], /--interval/],
  ])('%j: exit 2, one line, no call', async (argv, pattern) => {
    const run = await runCommand(argv, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });

  it('--pod beyond the replicas is a usage error after reading the release: exit 2, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2 });
    const run = await runCommand(['-n', 'lab', 'demo-failover', '--mode', 'delete', '--pod', '2', '--record-dir', '/nonexistent/lessons'], script);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '✖ --pod 2: release helm-python has 2 replicas (pods 0-1); nothing was changed — pass --pod 0 to 1, or leave it out for the highest\n',
      calls: callsOf(script),
    });
  });

  it('a release that is not deployed is refused before any change: exit 1', async () => {
    const script = checks('failed', { replicaCount: 2 });
    const run = await runCommand(['-n', 'lab', 'demo-failover', '--mode', 'kill', '--record-dir', '/nonexistent/lessons'], script);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('✖ release helm-python is failed, not deployed — bring it back with `k8s-lab deploy` (or `helm rollback`) first\n');
    expect(run.calls).toEqual(callsOf(script));
  });
});

import { describe, expect, it } from 'vitest';
import { callsOf, helm, runCommand } from '../../support/fake-cluster.js';
import { HELM_VERSION, KUBECTL_CLIENT, KUBECTL_SERVER, NS, STATEFULSET } from '../../support/cluster-objects.js';

const list = helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
  stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
});
const values = helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: { replicaCount: 4 } });

describe('k8s-lab demo-scale: bad input changes nothing', () => {
  it.each([
    [['demo-scale', '--to', '1'], /--to "1" is invalid/],
    [['demo-scale', '--to', 'six'], /--to "six" is invalid/],
    [['demo-scale', '--policy', 'random'], /random/],
    [['demo-scale', '--pvc-retention', 'keep'], /keep/],
    [['demo-scale', '--node-port', '80'], /--node-port "80" is invalid/],
    [['demo-scale', '--settle', 'later'], /--settle/],
  ])('%j: exit 2, one line, no call', async (argv, pattern) => {
    const run = await runCommand(argv, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });
});

it('--to no higher than the replicas is a usage error once the release is read: exit 2, nothing changed', async () => {
  const script = [HELM_VERSION, KUBECTL_CLIENT, list, values, STATEFULSET, STATEFULSET, KUBECTL_SERVER];
  const run = await runCommand(['-n', 'lab', 'demo-scale', '--to', '4', '--record-dir', '/nonexistent/lessons'], script);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe('✖ --to 4: release helm-python already has 4 replicas; nothing was changed — pass --to 5 or more\n');
  // Only the reads, made at once (in any order): no helm upgrade, no install.
  expect(run.calls).toHaveLength(script.length);
  expect(run.calls).toEqual(expect.arrayContaining(callsOf(script)));
});

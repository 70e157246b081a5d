// demo-identity against the scripted fake cluster: bad input changes nothing (no cordon, no delete).
import { describe, expect, it } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import { HELM_VERSION, KUBECTL_CLIENT, NS, PROXY_FAILS, STATEFULSET } from '../../support/cluster-objects.js';

const list = (status: string) =>
  helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status, chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  });
const values = (values: object) => helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: values });
const ready = [{ type: 'Ready', status: 'True' }];
/** The control plane (tainted NoSchedule), a worker, and a second worker cordoned or not. */
const nodes = (worker2: { unschedulable?: boolean; ready?: boolean } = {}) =>
  kubectl(['get', 'nodes', '--output', 'json', '--request-timeout=10s'], {
    stdout: {
      items: [
        { metadata: { name: 'cp' }, spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }, status: { conditions: ready } },
        { metadata: { name: 'worker' }, spec: {}, status: { conditions: ready } },
        {
          metadata: { name: 'worker2' },
          spec: { unschedulable: worker2.unschedulable },
          status: { conditions: [{ type: 'Ready', status: worker2.ready === false ? 'False' : 'True' }] },
        },
      ],
    },
  });
const checks = (status: string, releaseValues: object, nodeList = nodes()) => [
  HELM_VERSION,
  KUBECTL_CLIENT,
  STATEFULSET,
  list(status),
  values(releaseValues),
  nodeList,
  PROXY_FAILS,
];
/** The checks run concurrently: the same calls in any order, and none that cordons or deletes. */
const onlyReads = (calls: string[][], script: Parameters<typeof callsOf>[0]) => {
  expect(calls).toHaveLength(script.length);
  expect(calls).toEqual(expect.arrayContaining(callsOf(script)));
  expect(calls.flat().filter((arg) => ['cordon', 'uncordon', 'delete', 'drain'].includes(arg))).toEqual([]);
};
const argv = (...more: string[]) => ['-n', 'lab', 'demo-identity', '--record-dir', '/nonexistent/lessons', ...more];

describe('k8s-lab demo-identity: bad input changes nothing', () => {
  it.each([
    [['demo-identity', '--pod', '-1'], /--pod/],
    [['demo-identity', '--pod', 'x'], /--pod "x" is invalid/],
    [['demo-identity', '--pending-for', 'soon'], /--pending-for/],
    [['demo-identity', '--interval', 'soon'], /--interval/],
    [['demo-identity', '--timeout', '1s'], /--timeout/],
  ])('%j: exit 2, one line, no call', async (args, pattern) => {
    const run = await runCommand(args, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });

  it('--pod beyond the replicas: exit 2 after reading, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2 });
    const run = await runCommand(argv('--pod', '2'), script);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      '✖ --pod 2: release helm-python has 2 replicas (pods 0-1); nothing was changed — pass --pod 0 to 1, or leave it out for the highest\n',
    );
    onlyReads(run.calls, script);
  });

  it.each([
    ['a cordoned second worker', nodes({ unschedulable: true })],
    ['a second worker not Ready', nodes({ ready: false })],
  ])('one schedulable node (%s): exit 1, one line naming it, no cordon or delete', async (_, nodeList) => {
    const script = checks('deployed', { replicaCount: 2 }, nodeList);
    const run = await runCommand(argv(), script);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      '✖ demo-identity needs 2 schedulable nodes, this cluster has 1 (worker): the pod would have nowhere to go while its node is cordoned; nothing was changed — use a cluster with a second worker (kind with workers, k3d with agents), or uncordon a node\n',
    );
    onlyReads(run.calls, script);
  });

  it('one replica: exit 1, there is no other pod to resolve the DNS name from', async () => {
    const script = checks('deployed', { replicaCount: 1 });
    const run = await runCommand(argv(), script);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^✖ release helm-python has 1 replica: demo-identity resolves the pod's DNS name from another pod; nothing was changed — deploy with --replicas 2 first\n$/,
    );
    onlyReads(run.calls, script);
  });

  it('a release that is not deployed: exit 1, nothing changed', async () => {
    const script = checks('failed', { replicaCount: 2 });
    const run = await runCommand(argv(), script);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✖ release helm-python is failed, not deployed/);
    onlyReads(run.calls, script);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import {
  FEATURES_DEPLOYED,
  FEATURES_NOT_DEPLOYED,
  HELM_VERSION,
  helmStatus,
  KUBECTL_CLIENT,
  KUBECTL_SERVER,
  NOT_INSTALLED,
  release,
} from '../../support/cluster-objects.js';

const STORAGE = kubectl(['get', 'storageclasses', '--output', 'json', '--request-timeout=10s'], {
  stdout: {
    items: [{ metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path' }],
  },
});
const NODES = kubectl(['get', 'nodes', '--output', 'json', '--request-timeout=10s'], {
  stdout: { items: [{ metadata: { name: 'lab-control-plane' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }] },
});

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_, response) => response.end('{"status":"ok"}')).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

describe('k8s-lab doctor', () => {
  it('checks the tools, the cluster, its version and features (a warning below 1.35 does not fail), storage, nodes, the release and its Service, in that order', async () => {
    const script = [HELM_VERSION, KUBECTL_CLIENT, KUBECTL_SERVER, ...FEATURES_DEPLOYED, STORAGE, NODES, helmStatus({ stdout: release(2) })];
    const run = await runCommand(['-n', 'lab', 'doctor', '--url', url], script);
    expect(run).toEqual({
      code: 0,
      stdout: [
        '✔ helm             v4.1.4 (Helm 4) at helm',
        '✔ kubectl          v1.35.0 at kubectl',
        '✔ cluster          API server reachable, Kubernetes v1.34.2',
        '⚠ server version   Kubernetes v1.34.2 is older than 1.35, the oldest k8s-lab is built and tested for',
        '                   → the lab still runs: recreate is emulated, the chart drains with an exec where there is no sleep action, as listed below',
        '– native Recreate  not offered: StatefulSet updateStrategy Recreate needs Kubernetes 1.37+ with feature gate StatefulSetRecreateStrategy; demo-update --strategy recreate emulates it (OnDelete + delete)',
        '– maxUnavailable   not offered: the API server ignores rollingUpdate.maxUnavailable (feature gate MaxUnavailableStatefulSet off): it drops the field',
        "✔ sleep preStop    offered: the kubelet's sleep action (GA in 1.34): the chart drains with it",
        '✔ PVC retention    offered: persistentVolumeClaimRetentionPolicy (GA in 1.32)',
        '✔ storage          default StorageClass standard (rancher.io/local-path)',
        '✔ nodes            1/1 Ready (lab-control-plane)',
        '✔ release          helm-python revision 2 deployed',
        `✔ service          answers at ${url} (given with --url)`,
        '',
      ].join('\n'),
      stderr: '',
      calls: callsOf(script),
    });
  });

  it('a release not installed yet is skipped, not failed', async () => {
    const script = [HELM_VERSION, KUBECTL_CLIENT, KUBECTL_SERVER, ...FEATURES_NOT_DEPLOYED, STORAGE, NODES, NOT_INSTALLED];
    const run = await runCommand(['-n', 'lab', 'doctor'], script);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').at(-3)).toBe('– release          helm-python not installed yet');
    expect(run.stdout.split('\n').at(-2)).toBe('                   → deploy it: `k8s-lab deploy`');
    // No StatefulSet yet: maxUnavailable was asked with a dry-run create of a throw-away one.
    expect(run.stdout).toMatch(/^– maxUnavailable +not offered: .*drops the field$/m);
  });

  it('an unreachable cluster fails its check and the checks that need it are left out: exit 1', async () => {
    const script = [
      HELM_VERSION,
      KUBECTL_CLIENT,
      kubectl(['version', '--output', 'json', '--request-timeout=10s'], {
        exitCode: 1,
        stderr: 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n',
      }),
    ];
    const run = await runCommand(['-n', 'lab', 'doctor'], script);
    expect(run).toEqual({
      code: 1,
      stdout: [
        '✔ helm     v4.1.4 (Helm 4) at helm',
        '✔ kubectl  v1.35.0 at kubectl',
        '✖ cluster  asking the API server for its version: cannot reach the Kubernetes API server',
        '           → is the cluster running? check --context / --kubeconfig (`kubectl cluster-info`)',
        '',
      ].join('\n'),
      stderr: '✖ 1 check failed: cluster — is the cluster running? check --context / --kubeconfig (`kubectl cluster-info`)\n',
      calls: callsOf(script),
    });
  });

  it('a missing helm fails its check and skips the release check', async () => {
    const script = [helm(['version', '--short'], { notFound: true }), KUBECTL_CLIENT, KUBECTL_SERVER, ...FEATURES_NOT_DEPLOYED, STORAGE, NODES];
    const run = await runCommand(['-n', 'lab', 'doctor'], script);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✖ helm +helm not found \(looked for helm\)$/m);
    expect(run.stdout).toMatch(/^– release +skipped: needs helm, which is missing$/m);
    expect(run.stderr).toMatch(/^✖ 1 check failed: helm — install helm/);
    expect(run.calls).toEqual(callsOf(script));
  });
});

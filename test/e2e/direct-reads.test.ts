import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterReading } from '../../src/counters.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, requireCluster } from './cluster.js';

// `counters` and `status` read the API server from Node with the kubeconfig's own credentials: no
// kubectl process on the read path. Checked by taking kubectl away from them (K8S_LAB_KUBECTL names
// a file that is not there) and comparing what they read with kubectl run straight at the cluster.
const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31940);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-e2e';
const NO_KUBECTL = { K8S_LAB_KUBECTL: '/nonexistent/kubectl' };

describe('reads from Node on a real cluster', () => {
  const ns = `${NS_PREFIX}-direct`;
  const helm = HELM_BINARIES.at(-1)!.path;
  const run = (args: string[], env?: Record<string, string>) => cli([...args, '--namespace', ns], { helm, env });

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--replicas', '3', '--set', `service.nodePort=${NODE_PORT}`]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const traffic = await run(['traffic', '--requests', '30', '--url', nodePortUrl(NODE_PORT), '--json']);
    expect(traffic.exitCode, traffic.stderr).toBe(0);
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
  });

  it('counters, with no kubectl to run, reads what kubectl exec … cat /data/counter.json reads', async () => {
    const result = await run(['counters', '--json'], NO_KUBECTL);
    expect(result.exitCode, result.stderr).toBe(0);
    const readings = result.json<CounterReading[]>();
    expect(readings.map((r) => r.pod)).toEqual(['helm-python-0', 'helm-python-1', 'helm-python-2']);
    for (const reading of readings) {
      expect(reading.counter).toBe(await readCounterFile(ns, reading.pod));
      expect(reading.pvc).toBe(`counter-data-py-${reading.pod}`);
    }
    expect(readings.reduce((sum, r) => sum + (r.counter ?? 0), 0)).toBe(30);
  });

  it('counters --verbose shows the GETs it made and no kubectl call', async () => {
    const result = await run(['counters', '--verbose']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/GET \/api\/v1\/namespaces\/[^/]+\/pods\/helm-python-2:8000\/proxy\/counter\.json → 200/);
    expect(result.stderr).not.toMatch(/^\$ \S*kubectl/m);
  });

  it('status, with no kubectl to run, lists the pods and claims kubectl lists', async () => {
    const result = await run(['status', '--json'], NO_KUBECTL);
    expect(result.exitCode, result.stderr).toBe(0);
    const status = result.json<{ pods: { metadata: { name: string } }[]; claims: { metadata: { name: string } }[] }>();
    const pods = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
      '-n',
      ns,
      'get',
      'pods',
      '-l',
      'app.kubernetes.io/instance=helm-python,app.kubernetes.io/name=k8s-lab-counter',
    ]);
    const claims = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['-n', ns, 'get', 'pvc']);
    expect(status.pods.map((p) => p.metadata.name)).toEqual(pods.items.map((p) => p.metadata.name).sort());
    expect(status.claims.map((c) => c.metadata.name)).toEqual(claims.items.map((c) => c.metadata.name).sort());
  });
});

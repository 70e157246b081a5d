import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { KubeProxy } from '../../src/adapters/pod-exec.js';
import type { CounterReading } from '../../src/counters.js';
import { createRunner } from '../../src/process/runner.js';
import type { TrafficResult } from '../../src/probe/traffic.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, eventually, kubectl, kubectlBin, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, requireCluster } from './cluster.js';

interface Pod {
  metadata: { name: string; uid: string; labels: Record<string, string> };
  spec: { volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
  status: { conditions?: { type: string; status: string }[] };
}

const sum = (readings: CounterReading[]) => readings.reduce((total, r) => total + (r.counter ?? 0), 0);

// Another NodePort and namespace prefix where several suites share a cluster.
const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31941);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-e2e';

// One namespace per Helm major; they run one after the other because both use the same NodePort.
describe.each(HELM_BINARIES)('k8s-lab with Helm $major on a real cluster', ({ major, path: helm }) => {
  const ns = `${NS_PREFIX}-h${major}`;
  const run = (args: string[], env?: Record<string, string>) => cli([...args, '--namespace', ns], { helm, env });
  const url = nodePortUrl(NODE_PORT);

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
  });

  it('doctor finds the tools and a healthy cluster', async () => {
    const result = await run(['doctor', '--json']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const { checks, versions } = result.json<{ checks: { name: string; state: string; detail: string }[]; versions: { helmMajor: number; server: string } }>();
    expect(versions.helmMajor).toBe(major);
    expect(versions.server).toMatch(/^v1\.\d+\.\d+/);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.cluster?.state).toBe('ok');
    expect(byName.storage?.state).toBe('ok');
    // As many nodes as kubectl lists, all Ready (three on the project's cluster).
    const nodes = JSON.parse(String((await kubectl(['get', 'nodes', '-o', 'json'])).stdout)) as {
      items: { status: { conditions: { type: string; status: string }[] } }[];
    };
    const ready = nodes.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    expect(byName.nodes?.detail).toMatch(new RegExp(`^${ready}/${nodes.items.length} Ready`));
    expect(byName.release?.state).toBe('skip');
  });

  it('deploy installs the chart, waits for every pod Ready and prints the overview', async () => {
    const result = await run(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^pod\/helm-python-0\s+1\/1\s+Running\s+0\s+\S+$/m);
    expect(result.stdout).toMatch(/^pod\/helm-python-1\s+1\/1\s+Running\s+0\s+\S+$/m);
    expect(result.stdout).toMatch(/^statefulset\.apps\/helm-python\s+2\/2\s+\S+$/m);
    expect(result.stdout).toMatch(new RegExp(String.raw`^service\/helm-python\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+8000:${NODE_PORT}\/TCP\s+\S+$`, 'm'));
    expect(result.stdout).toMatch(/^persistentvolumeclaim\/counter-data-py-helm-python-0\s+Bound\s+pvc-[0-9a-f-]+\s+10Mi\s+RWO\s+standard\s+\S+$/m);
    expect(result.stdout).toMatch(/^persistentvolumeclaim\/counter-data-py-helm-python-1\s+Bound/m);

    // What the cluster says, read independently.
    const sts = await kubectlJson<{ spec: { replicas: number; podManagementPolicy: string }; status: { readyReplicas: number } }>([
      '-n',
      ns,
      'get',
      'statefulset',
      'helm-python',
    ]);
    expect(sts.spec.replicas).toBe(2);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.status.readyReplicas).toBe(2);
  });

  it('status shows the deployed release', async () => {
    const result = await run(['status', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const status = result.json<{ release: { status: string; revision: number }; pods: unknown[]; claims: unknown[] }>();
    expect(status.release.status).toBe('deployed');
    expect(status.release.revision).toBe(1);
    expect(status.pods).toHaveLength(2);
    expect(status.claims).toHaveLength(2);
  });

  it("the chart's helm test reaches the Service from inside the cluster", async () => {
    const result = await execa(helm, ['test', 'helm-python', '--namespace', ns, '--timeout', '180s'], { reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toMatch(/TEST SUITE:\s+helm-python-test-connection[\s\S]*Phase:\s+Succeeded/);
  });

  it('traffic goes through the Service, and the counters sum to exactly the requests sent', async () => {
    const before = (await run(['counters', '--json'])).json<CounterReading[]>();
    expect(before.map((r) => r.pod)).toEqual(['helm-python-0', 'helm-python-1']);

    const traffic = await run(['traffic', '--requests', '60', '--url', url, '--json']);
    expect(traffic.exitCode, traffic.stderr).toBe(0);
    const sent = traffic.json<TrafficResult>();
    expect(sent.sent).toBe(60);
    expect(sent.ok).toBe(60);
    expect(sent.failed).toBe(0);
    expect(sent.pods.map((p) => p.pod).sort()).toEqual(['helm-python-0', 'helm-python-1']);

    const after = await run(['counters', '--json']);
    expect(after.exitCode, after.stderr).toBe(0);
    const readings = after.json<CounterReading[]>();
    expect(sum(readings) - sum(before)).toBe(60);
    for (const reading of readings) {
      expect(reading.counter).toBe(await readCounterFile(ns, reading.pod));
      expect(reading.pvc).toBe(`counter-data-py-${reading.pod}`);
      expect(reading.ready).toBe(true);
    }
  });

  it.each(['linux', 'win32'] as const)(
    'execs in a pod over a WebSocket through kubectl proxy as on %s (a unix socket; on win32 TCP), as counters does where the app does not serve its file',
    async (platform) => {
      const kubectlRun = new Kubectl(createRunner(), kubectlBin, { namespace: ns });
      const proxy = await KubeProxy.start(kubectlRun, { timeoutMs: 60_000, platform });
      try {
        expect(proxy.transport).toBe(platform === 'linux' ? 'unix' : 'tcp');
        const text = await proxy.exec(ns, 'helm-python-0', 'app', ['cat', '/data/counter.json']);
        expect((JSON.parse(text) as { counter: number }).counter).toBe(await readCounterFile(ns, 'helm-python-0'));
        // A command that fails: the API's Failure status, with its exit code.
        await expect(proxy.exec(ns, 'helm-python-0', 'app', ['cat', '/data/no-such-file'])).rejects.toThrow(/exit code 1/);
      } finally {
        await proxy.stop();
      }
    },
  );

  it('traffic finds the NodePort on 127.0.0.1 by itself', async () => {
    // Only after the test above proved 127.0.0.1:<NodePort> answers, so discovery stops there.
    const result = await run(['traffic', '--requests', '4']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`http://127.0.0.1:${NODE_PORT} (NodePort ${NODE_PORT} on 127.0.0.1)`);
    expect(result.stdout).toMatch(/4 requests in [\d.]+ s: 4 ok, 0 failed/);
  });

  it('a deleted pod comes back with its own PVC and its counter intact', async () => {
    const before = (await run(['counters', '--json'])).json<CounterReading[]>();
    const old = await kubectlJson<Pod>(['-n', ns, 'get', 'pod', 'helm-python-1']);
    await kubectl(['-n', ns, 'delete', 'pod', 'helm-python-1', '--wait=true', '--timeout=120s']);
    await eventually('helm-python-1 to be Ready again', async () => {
      const pod = await kubectlJson<Pod>(['-n', ns, 'get', 'pod', 'helm-python-1']);
      const ready = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return ready && pod.metadata.uid !== old.metadata.uid ? pod : undefined;
    });
    const after = (await run(['counters', '--json'])).json<CounterReading[]>();
    expect(after).toEqual(before.map((r) => ({ ...r, ready: true })));
    expect(await readCounterFile(ns, 'helm-python-1')).toBe(before.find((r) => r.pod === 'helm-python-1')?.counter);
  });

  it('teardown keeps the data by default, and a new deploy finds it again', async () => {
    const before = (await run(['counters', '--json'])).json<CounterReading[]>();
    const down = await run(['teardown']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect((await kubectl(['-n', ns, 'get', 'statefulset', 'helm-python'], { reject: false })).exitCode).not.toBe(0);
    const claims = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['-n', ns, 'get', 'pvc']);
    expect(claims.items.map((c) => c.metadata.name).sort()).toEqual(['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1']);

    const again = await run(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
    expect(again.exitCode, again.stderr).toBe(0);
    const after = (await run(['counters', '--json'])).json<CounterReading[]>();
    expect(after.map((r) => [r.pod, r.counter, r.pvc])).toEqual(before.map((r) => [r.pod, r.counter, r.pvc]));
  });

  it('teardown --delete-data refuses without --yes off a terminal and deletes nothing', async () => {
    const result = await run(['teardown', '--delete-data']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/refusing to delete 2 PVCs .* pass --yes/);
    expect((await kubectl(['-n', ns, 'get', 'statefulset', 'helm-python'])).exitCode).toBe(0);
  });

  it('teardown --delete-data --yes removes the release and its PVCs', async () => {
    const result = await run(['teardown', '--delete-data', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    const claims = await kubectlJson<{ items: unknown[] }>(['-n', ns, 'get', 'pvc']);
    expect(claims.items).toHaveLength(0);
    const status = await run(['status']);
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toContain(`release helm-python is not installed in namespace ${ns} — deploy it`);
  });
});

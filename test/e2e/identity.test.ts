// demo-identity on the real three-node cluster with Helm 4, checked with kubectl independently of
// k8s-lab's own record: the pod's UID changed, its PVC's UID did not, the node it came back on, its
// DNS name resolved by the test itself from the other pod, the counter not lower, and the cluster
// left as it was (no node cordoned, every node Ready). Two releases: one on the default class
// (node-local volumes: the pod cannot move and is shown Pending), one on `hostpath` (it moves).
// It cordons nodes: it runs in the e2e-serial lane.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityRecord } from '../../src/demos/identity-analysis.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, eventually, kubectl, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, repoRoot, requireCluster } from './cluster.js';

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31960);
const NODE_PORT_2 = Number(process.env.K8S_LAB_E2E_NODEPORT_2 ?? NODE_PORT + 1);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-identity';
const TARGET = 'helm-python-1';

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { podIP?: string; conditions?: { type: string; status: string }[] };
}
interface NodeJson {
  metadata: { name: string };
  spec: { unschedulable?: boolean };
  status: { conditions?: { type: string; status: string }[] };
}

const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;

/** No node cordoned, every node Ready: the cluster as the demo found it. */
async function expectNodesAsTheyWere(): Promise<void> {
  const nodes = (await kubectlJson<{ items: NodeJson[] }>(['get', 'nodes'])).items;
  expect(nodes.length).toBeGreaterThanOrEqual(3);
  for (const node of nodes) {
    expect(node.spec.unschedulable ?? false, `${node.metadata.name} cordoned`).toBe(false);
    expect(node.status.conditions?.find((c) => c.type === 'Ready')?.status, `${node.metadata.name} Ready`).toBe('True');
  }
}

describe.each([
  { storage: 'standard', suffix: 'local', nodePort: NODE_PORT, set: [] as string[] },
  { storage: 'hostpath', suffix: 'moves', nodePort: NODE_PORT_2, set: ['--set', 'persistence.storageClass=hostpath'] },
])('demo-identity with $storage volumes on the three-node cluster (Helm 4)', ({ storage, suffix, nodePort, set }) => {
  const ns = `${NS_PREFIX}-${suffix}`;
  const records = mkdtempSync(join(tmpdir(), `k8s-lab-identity-${suffix}-`));
  const run = (args: string[]) => cli([...args, '--namespace', ns], { helm });
  const pod = async (name: string) => (await kubectlJson<PodJson>(['-n', ns, 'get', 'pod', name])) as PodJson;
  const claimUid = async () => (await kubectlJson<{ metadata: { uid: string } }>(['-n', ns, 'get', 'pvc', `counter-data-py-${TARGET}`])).metadata.uid;
  /** The test's own DNS lookup of the pod's name, from the other pod. */
  const resolve = async (name: string) =>
    String(
      (
        await kubectl([
          '-n',
          ns,
          'exec',
          'helm-python-0',
          '-c',
          'app',
          '--',
          'python3',
          '-c',
          'import socket,sys;print(socket.gethostbyname(sys.argv[1]))',
          name,
        ])
      ).stdout,
    ).trim();

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${nodePort}`, ...set]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
    await expectNodesAsTheyWere();
  });

  it(`replaces ${TARGET}: same name, hostname, DNS name, PVC and counter; new UID and IP; the node as its volume allows`, async () => {
    const before = await pod(TARGET);
    const pvcUid = await claimUid();
    const counterBefore = await readCounterFile(ns, TARGET);
    const result = await run(['demo-identity', '--pending-for', '5s', '--settle', '1s', '--url', nodePortUrl(nodePort), '--record-dir', records, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<IdentityRecord>();
    expect(record).toMatchObject({ lesson: 'identity', pod: TARGET, verdict: 'passed', dataPreserved: true });

    const after = await pod(TARGET);
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(record.before.uid).toBe(before.metadata.uid);
    expect(record.after?.uid).toBe(after.metadata.uid);
    expect(await claimUid()).toBe(pvcUid);
    expect(record.after?.pvcUid).toBe(pvcUid);
    expect(after.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    // The node: a node-local volume holds the pod on its node; one that can move lets it leave the cordoned one.
    if (storage === 'standard') expect(after.spec.nodeName).toBe(before.spec.nodeName);
    else expect(after.spec.nodeName).not.toBe(before.spec.nodeName);
    expect(record.after?.node).toBe(after.spec.nodeName);
    // Its hostname inside it and its DNS name, as the pod and the other pod see them.
    const hostname = String((await kubectl(['-n', ns, 'exec', TARGET, '-c', 'app', '--', 'cat', '/etc/hostname'])).stdout).trim();
    expect(hostname).toBe(TARGET);
    const dnsName = `${TARGET}.helm-python-headless.${ns}.svc.cluster.local`;
    expect(record.after?.dnsName).toBe(dnsName);
    // Another CoreDNS replica may still hold the old answer for up to its cache time.
    const answer = await eventually(
      'the DNS name on the new IP',
      async () => ((await resolve(dnsName)) === after.status.podIP ? after.status.podIP : undefined),
      60_000,
    );
    expect(record.after?.ip).toBe(answer);
    expect(record.after?.resolved).toEqual([answer]);
    // The counter, read with kubectl exec: not lower than before the demo.
    const counterAfter = await readCounterFile(ns, TARGET);
    expect(counterAfter).toBeGreaterThanOrEqual(counterBefore);
    expect(record.figures?.dnsMovedMs).toBeGreaterThan(0);
    if (storage === 'standard') {
      expect(record.volume.canMove).toBe(false);
      expect(record.scheduling.map((s) => s.message).join('\n')).toMatch(/node affinity|unschedulable/);
      expect(record.figures?.pendingMs).toBeGreaterThanOrEqual(5000);
    }
    await expectNodesAsTheyWere();
  });

  it.runIf(storage === 'standard')('Ctrl-C while the pod is Pending on its cordoned node: uncordoned, the pod back, exit 130', async () => {
    const child = execa(
      'node',
      [join(repoRoot, 'bin', 'k8s-lab.js'), 'demo-identity', '--url', nodePortUrl(nodePort), '--record-dir', records, '--namespace', ns],
      {
        reject: false,
        detached: true,
        timeout: 600_000,
        stdin: 'ignore',
        env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm },
      },
    );
    let sent = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (sent || !chunk.includes('▸ pending:')) return;
      sent = true;
      setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 1000);
    });
    const result = await child;
    expect(sent, String(result.stderr)).toBe(true);
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toMatch(/during pending; \S+ uncordoned; helm-python-1 is Ready again/);
    await expectNodesAsTheyWere();
    expect((await pod(TARGET)).status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const { stdout } = await execa(helm, ['list', '--namespace', ns, '--output', 'json']);
    expect((JSON.parse(stdout) as { name: string; status: string }[]).map((r) => [r.name, r.status])).toEqual([['helm-python', 'deployed']]);
  });
});

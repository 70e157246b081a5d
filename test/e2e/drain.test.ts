// demo-drain on the real three-node cluster, once per Helm (one deployment each): the record is
// checked against the cluster read with kubectl directly (pod UIDs and nodes, PVC UIDs, counters
// with kubectl exec), and the cluster is left as it was (no node cordoned, every node Ready).
// Helm 4: 3 replicas, so that two pods share a node and the budget refuses the second eviction;
// then a Ctrl-C during the evictions, and bad input that changes nothing. Helm 3: 2 replicas,
// --uncordon-after. In the e2e-serial lane: it cordons a node.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrainRecord } from '../../src/demos/drain-analysis.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, repoRoot, requireCluster } from './cluster.js';

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31962);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-drain';
const SELECTOR = 'app.kubernetes.io/name=k8s-lab-counter';

interface PodList {
  items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; spec: { nodeName?: string } }[];
}
interface NodeList {
  items: { metadata: { name: string }; spec: { unschedulable?: boolean }; status: { conditions: { type: string; status: string }[] } }[];
}

const helm4 = HELM_BINARIES.find((h) => h.major === 4)!;
const helm3 = HELM_BINARIES.find((h) => h.major === 3)!;

/** No node cordoned, every node Ready. */
async function expectNodesAsTheyWere(): Promise<void> {
  const nodes = (await kubectlJson<NodeList>(['get', 'nodes'])).items;
  expect(nodes.filter((n) => n.spec.unschedulable).map((n) => n.metadata.name)).toEqual([]);
  expect(nodes.filter((n) => n.status.conditions.find((c) => c.type === 'Ready')?.status !== 'True').map((n) => n.metadata.name)).toEqual([]);
}

describe.each([
  { helm: helm4, replicas: 3, full: true },
  { helm: helm3, replicas: 2, full: false },
])('demo-drain with Helm $helm.major on the three-node cluster', ({ helm: { major, path: helm }, replicas, full }) => {
  const ns = `${NS_PREFIX}-h${major}`;
  const records = mkdtempSync(join(tmpdir(), `k8s-lab-drain-h${major}-`));
  const run = (args: string[]) => cli([...args, '--namespace', ns], { helm });
  const pods = async () => (await kubectlJson<PodList>(['-n', ns, 'get', 'pods', '-l', SELECTOR])).items.filter((p) => !p.metadata.deletionTimestamp);
  const claims = async () =>
    Object.fromEntries(
      (await kubectlJson<{ items: { metadata: { name: string; uid: string } }[] }>(['-n', ns, 'get', 'pvc', '-l', SELECTOR])).items.map((c) => [
        c.metadata.name,
        c.metadata.uid,
      ]),
    );
  const counters = async (names: string[]) => Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readCounterFile(ns, n)] as const)));

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--replicas', String(replicas), '--set', `service.nodePort=${NODE_PORT}`]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
    await expectNodesAsTheyWere();
  });

  it('drains the node of a pod: the evicted pod back under its name on its PVC, counters not lower, no failed request, the node uncordoned', async () => {
    const before = await pods();
    // The pod to drain: one whose node runs another pod of the release, when there is one (3 pods on 2 workers: always).
    const byNode = (node?: string) => before.filter((p) => p.spec.nodeName === node);
    const target = before.find((p) => byNode(p.spec.nodeName).length > 1) ?? before.at(-1)!;
    const node = target.spec.nodeName!;
    const ordinal = Number(target.metadata.name.split('-').at(-1));
    const claimsBefore = await claims();
    const countersBefore = await counters(before.map((p) => p.metadata.name));

    const args = ['demo-drain', '--pod', String(ordinal), '--url', nodePortUrl(NODE_PORT), '--record-dir', records, '--json'];
    const result = await run(full ? args : [...args, '--uncordon-after', '12s']);
    const uptime = (await execa('uptime')).stdout;
    expect(result.exitCode, `${result.stderr}\n${uptime}`).toBe(0);
    const record = result.json<DrainRecord>();

    // The record against kubectl's reads from before.
    expect(record.node).toBe(node);
    expect(record.moves.map((m) => m.pod).sort()).toEqual(
      byNode(node)
        .map((p) => p.metadata.name)
        .sort(),
    );
    const moved = record.moves.find((m) => m.pod === target.metadata.name)!;
    expect(moved.fromUid).toBe(target.metadata.uid);
    expect(moved.evictedAt).not.toBeNull();
    // local-path: the volume stays on its node, so the replacement waited Pending for the uncordon and came back there.
    expect(moved.pendingUntilUncordon, JSON.stringify(moved)).toBe(true);
    expect(moved.toNode).toBe(node);
    expect(moved.pendingWhy).toMatch(/node affinity/);
    if (byNode(node).length > 1) {
      const refused = record.moves.find((m) => m.pod !== target.metadata.name)!;
      expect(refused.refusals).toBeGreaterThan(0);
      expect(record.evictions.filter((e) => e.outcome === 'refused').every((e) => /TooManyRequests|disruption budget/.test(e.message ?? ''))).toBe(true);
    }
    expect(record.failedRequests.count, uptime).toBe(0);

    // The cluster, read with kubectl now.
    const after = await pods();
    expect(after.map((p) => p.metadata.name).sort()).toEqual(before.map((p) => p.metadata.name).sort());
    for (const p of after) {
      const was = before.find((b) => b.metadata.name === p.metadata.name)!;
      if (p.metadata.name === target.metadata.name) {
        expect(p.metadata.uid).not.toBe(was.metadata.uid);
        expect(p.metadata.uid).toBe(moved.toUid);
      } else if (!record.moves.some((m) => m.pod === p.metadata.name && m.evictedAt !== null)) expect(p.metadata.uid).toBe(was.metadata.uid);
      expect(p.spec.nodeName).toBe(was.spec.nodeName);
    }
    expect(await claims()).toEqual(claimsBefore);
    const countersAfter = await counters(after.map((p) => p.metadata.name));
    for (const [pod, value] of Object.entries(countersBefore)) expect(countersAfter[pod]).toBeGreaterThanOrEqual(value);
    expect(record.uncordonedAfter).toBe(true);
    await expectNodesAsTheyWere();
  });

  it.runIf(full)('Ctrl-C during the evictions uncordons the node and waits for the pods: exit 130, nothing left cordoned', async () => {
    const child = execa(
      'node',
      [join(repoRoot, 'bin', 'k8s-lab.js'), 'demo-drain', '--url', nodePortUrl(NODE_PORT), '--record-dir', records, '--namespace', ns],
      {
        reject: false,
        detached: true,
        timeout: 300_000,
        stdin: 'ignore',
        env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm },
      },
    );
    let sent = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (sent || !chunk.includes('eviction of')) return;
      sent = true;
      process.kill(-child.pid!, 'SIGINT');
    });
    const result = await child;
    expect(sent, String(result.stderr)).toBe(true);
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toMatch(/uncordoned; every pod is Ready again/);
    await expectNodesAsTheyWere();
    const live = await pods();
    expect(live).toHaveLength(replicas);
    const newest = readdirSync(records).sort().at(-1)!;
    expect((JSON.parse(readFileSync(join(records, newest), 'utf8')) as DrainRecord).verdict).toBe('interrupted');
  });

  it.runIf(full)('bad input changes nothing: --pod out of range exits 2 in one line, the pods and nodes untouched', async () => {
    const before = await pods();
    const result = await run(['demo-drain', '--pod', String(replicas), '--record-dir', records]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`--pod ${replicas}: release helm-python has ${replicas} replicas`));
    expect((await pods()).map((p) => p.metadata.uid).sort()).toEqual(before.map((p) => p.metadata.uid).sort());
    await expectNodesAsTheyWere();
  });
});

// demo-node-loss on the real three-node cluster with Helm 4: a worker powered off under the probe
// (test/cluster/node, through the k8s-lab-node script test/cluster/up writes), recovered once by
// starting it and once with the out-of-service taint. Checked with kubectl, polled alongside the run,
// independently of the record: the node seen NotReady, no other pod under the name while the node
// was down and not declared out of service, the pod UID the same (start) or new (out-of-service),
// the PVC UID the same, counters not lower; every node Ready, schedulable and untainted afterwards.
// Stops a node: run it alone, under `flock -x /tmp/k8s-lab-cluster.lock`.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeLossRecord } from '../../src/demos/node-loss-record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, repoRoot, requireCluster } from './cluster.js';

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31964);
const NS = `${process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-node-loss'}-h4`;
const SELECTOR = 'app.kubernetes.io/name=k8s-lab-counter';
const POD = 'helm-python-1';
const OOS = 'node.kubernetes.io/out-of-service';
const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;

interface NodeObject {
  metadata: { name: string };
  spec: { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status: { conditions: { type: string; status: string }[] };
}
interface PodObject {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string; volumes?: { persistentVolumeClaim?: { claimName: string } }[] };
  status: { conditions?: { type: string; status: string }[] };
}

const ready = (conditions: { type: string; status: string }[] | undefined) => conditions?.find((c) => c.type === 'Ready')?.status;
const pods = async () => (await kubectlJson<{ items: PodObject[] }>(['-n', NS, 'get', 'pods', '-l', SELECTOR])).items;
const claimUid = async (name: string) => (await kubectlJson<{ metadata: { uid: string } }>(['-n', NS, 'get', 'pvc', name])).metadata.uid;

/** What kubectl saw, once a second, while the CLI ran. */
interface Poll {
  nodeReady: string | undefined;
  tainted: boolean;
  /** The UIDs read under POD's name (a list can hold one per name: more would be a bug of the API server). */
  uids: string[];
  /** The pod under POD's name was Ready. */
  podReady: boolean;
}

function pollWhile(node: string, running: Promise<unknown>): Promise<Poll[]> {
  const polls: Poll[] = [];
  let done = false;
  void running.finally(() => (done = true));
  return (async () => {
    while (!done) {
      const [n, list] = await Promise.all([kubectlJson<NodeObject>(['get', 'node', node]), pods()]).catch(() => [undefined, undefined] as const);
      if (n && list) {
        const own = list.filter((p) => p.metadata.name === POD);
        polls.push({
          nodeReady: ready(n.status.conditions),
          tainted: (n.spec.taints ?? []).some((t) => t.key === OOS),
          uids: own.map((p) => p.metadata.uid),
          podReady: own.some((p) => ready(p.status.conditions) === 'True' && !p.metadata.deletionTimestamp),
        });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return polls;
  })();
}

async function expectNodesPutBack(): Promise<void> {
  const nodes = (await kubectlJson<{ items: NodeObject[] }>(['get', 'nodes'])).items;
  for (const n of nodes) {
    expect(ready(n.status.conditions), n.metadata.name).toBe('True');
    expect(n.spec.unschedulable ?? false, n.metadata.name).toBe(false);
    expect(
      (n.spec.taints ?? []).filter((t) => t.key === OOS || t.key.startsWith('node.kubernetes.io/')),
      n.metadata.name,
    ).toEqual([]);
  }
}

describe('demo-node-loss with Helm 4 on the three-node cluster', () => {
  const records = mkdtempSync(join(tmpdir(), 'k8s-lab-node-loss-'));
  const run = (args: string[]) => cli([...args, '--namespace', NS], { helm, timeoutMs: 400_000 });

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(NS);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(NS);
  }, 300_000);

  async function nodeLoss(recover: 'start' | 'out-of-service') {
    const before = (await pods()).find((p) => p.metadata.name === POD)!;
    const node = before.spec.nodeName!;
    const claim = before.spec.volumes!.find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim!.claimName;
    const pvcUid = await claimUid(claim);
    const counters = [await readCounterFile(NS, 'helm-python-0'), await readCounterFile(NS, POD)];
    const running = run(['demo-node-loss', '--recover', recover, '--settle', '2s', '--url', nodePortUrl(NODE_PORT), '--record-dir', records, '--json']);
    const [result, polls] = await Promise.all([running, pollWhile(node, running)]);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    const record = result.json<NodeLossRecord>();
    expect(record).toMatchObject({ lesson: 'node-loss', recover, pod: POD, node, verdict: 'passed', dataPreserved: true });
    // kubectl saw the node NotReady, and while it was down and untainted only the old pod under the name.
    const down = polls.filter((p) => p.nodeReady !== 'True');
    expect(down.length).toBeGreaterThan(0);
    for (const p of polls) expect(p.uids.length).toBeLessThanOrEqual(1);
    for (const p of down.filter((d) => !d.tainted)) expect(p.uids.filter((u) => u !== before.metadata.uid)).toEqual([]);
    const after = (await pods()).find((p) => p.metadata.name === POD)!;
    expect(ready(after.status.conditions)).toBe('True');
    expect(await claimUid(claim)).toBe(pvcUid);
    expect([await readCounterFile(NS, 'helm-python-0'), await readCounterFile(NS, POD)].every((c, i) => c >= counters[i]!)).toBe(true);
    expect(record.identity.before.uid).toBe(before.metadata.uid);
    expect(record.identity.after?.uid).toBe(after.metadata.uid);
    await expectNodesPutBack();
    return { record, before, after, polls, node };
  }

  it('--recover start: the node NotReady, no replacement, the same pod back on the same PVC', async () => {
    const { record, before, after } = await nodeLoss('start');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(record.figures?.replacement).toBeNull();
    // The controller manager's --node-monitor-grace-period is 50 s: NotReady cannot come sooner.
    expect(record.figures?.notReadyMs).toBeGreaterThan(40_000);
  }, 400_000);

  it('--recover out-of-service: the old pod removed only after the taint, a new pod on the same PVC, on its volume node', async () => {
    const { record, before, after, polls, node } = await nodeLoss('out-of-service');
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(after.spec.nodeName).toBe(node);
    // The new UID appeared only once kubectl saw the taint, and it was not Ready before the node was back (node-local volume).
    const firstNew = polls.findIndex((p) => p.uids.some((u) => u !== before.metadata.uid));
    expect(firstNew).toBeGreaterThan(-1);
    expect(polls.slice(0, firstNew).some((p) => p.tainted)).toBe(true);
    for (const p of polls.slice(firstNew).filter((q) => q.nodeReady !== 'True')) expect(p.podReady).toBe(false);
    expect(record.figures?.replacement).toMatchObject({ early: false, node });
  }, 400_000);

  it('Ctrl-C while the node is down: exit 130, the node started again, the same pod Ready, nothing lost', async () => {
    const before = (await pods()).find((p) => p.metadata.name === POD)!;
    const counters = [await readCounterFile(NS, 'helm-python-0'), await readCounterFile(NS, POD)];
    const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-node-loss-int-'));
    const child = execa(
      'node',
      [join(repoRoot, 'bin', 'k8s-lab.js'), 'demo-node-loss', '--namespace', NS, '--url', nodePortUrl(NODE_PORT), '--record-dir', dir],
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
      if (sent || !chunk.includes('▸ down:')) return;
      sent = true;
      // A terminal's Ctrl-C, to the whole process group, 5 s into the wait for NotReady.
      setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 5000);
    });
    const result = await child;
    expect(sent, String(result.stderr)).toBe(true);
    expect(result.exitCode, String(result.stderr).slice(-2000)).toBe(130);
    const record = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as NodeLossRecord;
    expect(record.verdict).toBe('interrupted');
    expect(record.reason).toContain('during down');
    const after = (await pods()).find((p) => p.metadata.name === POD)!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(ready(after.status.conditions)).toBe('True');
    expect([await readCounterFile(NS, 'helm-python-0'), await readCounterFile(NS, POD)].every((c, i) => c >= counters[i]!)).toBe(true);
    await expectNodesPutBack();
  }, 300_000);
});

// demo-failover and demo-scale on the real cluster. What the records say is checked against the
// cluster read with kubectl directly (pods and their UIDs, PVCs and theirs, counters with kubectl
// exec), and so is the release afterwards: its replica count, no temporary release, no PVC of an
// added ordinal unless --keep-pvcs. Helm 4 runs every mode of each lesson (failover: delete, kill,
// hang) and a Ctrl-C in each, and one in the hang;
// Helm 3 `demo-scale --policy both` and `demo-failover --mode delete`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverRecord, ScaleRecord } from '../../src/demos/lessons.js';
import { CHART_DIR, HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectl, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, repoRoot, requireCluster } from './cluster.js';

// Cluster-wide NodePorts: the release's and the temporary OrderedReady release's, clear of the other files'.
const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31985);
const ORDERED_NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT_2 ?? NODE_PORT + 1);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-lessons';
const SELECTOR = 'app.kubernetes.io/name=k8s-lab-counter';

interface PodList {
  items: {
    metadata: { name: string; uid: string; deletionTimestamp?: string };
    status: { containerStatuses?: { restartCount: number }[]; conditions?: { type: string; status: string }[] };
  }[];
}
interface ClaimList {
  items: { metadata: { name: string; uid: string } }[];
}

const helm4 = HELM_BINARIES.find((h) => h.major === 4)!;
const helm3 = HELM_BINARIES.find((h) => h.major === 3)!;

describe.each([
  { helm: helm4, full: true },
  { helm: helm3, full: false },
])('lessons with Helm $helm.major on a real cluster', ({ helm: { major, path: helm }, full }) => {
  const ns = `${NS_PREFIX}-h${major}`;
  const records = mkdtempSync(join(tmpdir(), `k8s-lab-lessons-h${major}-`));
  const run = (args: string[]) => cli([...args, '--namespace', ns], { helm });

  const pods = async () => (await kubectlJson<PodList>(['-n', ns, 'get', 'pods', '-l', SELECTOR])).items.filter((p) => !p.metadata.deletionTimestamp);
  const claims = async () =>
    Object.fromEntries((await kubectlJson<ClaimList>(['-n', ns, 'get', 'pvc', '-l', SELECTOR])).items.map((c) => [c.metadata.name, c.metadata.uid]));

  /** The release as it was: 2 replicas, pods 0 and 1 Ready, their PVCs only (plus `extraClaims`), no temporary release. */
  async function expectReleaseAsItWas(extraClaims: string[] = []): Promise<void> {
    const sts = await kubectlJson<{ spec: { replicas: number; podManagementPolicy: string } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec).toMatchObject({ replicas: 2, podManagementPolicy: 'Parallel' });
    const live = await pods();
    expect(live.map((p) => p.metadata.name).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    for (const pod of live) expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(Object.keys(await claims()).sort()).toEqual(['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1', ...extraClaims].sort());
    const { stdout } = await execa(helm, ['list', '--namespace', ns, ...(major === 3 ? ['--all'] : []), '--output', 'json']);
    expect((JSON.parse(stdout) as { name: string }[]).map((r) => r.name)).toEqual(['helm-python']);
  }

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
  });

  async function failover(mode: 'delete' | 'kill'): Promise<void> {
    const before = Object.fromEntries((await pods()).map((p) => [p.metadata.name, p]));
    const claimsBefore = await claims();
    const result = await run(['demo-failover', '--mode', mode, '--url', nodePortUrl(NODE_PORT), '--record-dir', records, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<FailoverRecord>();
    expect(record).toMatchObject({ lesson: 'failover', mode, pod: 'helm-python-1', verdict: 'passed', dataPreserved: true });
    const target = 'helm-python-1';
    const now = (await pods()).find((p) => p.metadata.name === target)!;
    // The pod as kubectl saw it before and sees it now.
    expect(record.identity.before.uid).toBe(before[target]!.metadata.uid);
    expect(record.identity.after?.uid).toBe(now.metadata.uid);
    if (mode === 'delete') expect(now.metadata.uid).not.toBe(before[target]!.metadata.uid);
    else {
      expect(now.metadata.uid).toBe(before[target]!.metadata.uid);
      expect(now.status.containerStatuses?.[0]?.restartCount).toBe((before[target]!.status.containerStatuses?.[0]?.restartCount ?? 0) + 1);
    }
    // The same claim, by UID, before and after, as the record says.
    expect(await claims()).toEqual(claimsBefore);
    expect(record.identity.before.pvcUid).toBe(claimsBefore['counter-data-py-helm-python-1']);
    expect(record.identity.after?.pvcUid).toBe(claimsBefore['counter-data-py-helm-python-1']);
    // Counters read with kubectl exec: what the record read last, and at least the old value plus every acknowledged increment.
    for (const check of record.dataChecks) {
      const counter = await readCounterFile(ns, check.pod);
      expect(check.after).toBe(counter);
      expect(counter - check.before!).toBeGreaterThanOrEqual(check.acknowledged);
      expect(check.acknowledged).toBe(record.samples.filter((s) => s.ok && s.pod === check.pod).length);
    }
    expect(record.readyAgainMs).toBeGreaterThan(0);
    if (mode === 'delete') expect(record.failedRequests.count).toBe(0);
    await expectReleaseAsItWas();
  }

  it('demo-failover --mode delete: re-created under its name on its PVC, no request failed, nothing acknowledged lost', async () => {
    await failover('delete');
  });

  it.runIf(full)('demo-failover --mode kill: the app restarts in the same pod, nothing acknowledged lost', async () => {
    await failover('kill');
  });

  /** The state of `python3 /app/server.py` in the pod (/proc/PID/stat: T stopped), read with a script of this test's own. */
  async function appState(pod: string): Promise<string[]> {
    const script = [
      'import os',
      'for p in [p for p in os.listdir("/proc") if p.isdigit()]:',
      '    try:',
      '        if open("/proc/%s/cmdline" % p, "rb").read() == b"python3\\0/app/server.py\\0":',
      '            print(open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[0])',
      '    except OSError:',
      '        pass',
    ].join('\n');
    const { stdout } = await kubectl(['-n', ns, 'exec', pod, '-c', 'app', '--', 'python3', '-c', script]);
    return String(stdout).trim().split('\n').filter(Boolean);
  }

  it.runIf(full)('demo-failover --mode hang: the same pod, PVC and container (no restart), counters never down, the app not left stopped', async () => {
    const target = 'helm-python-1';
    const before = (await pods()).find((p) => p.metadata.name === target)!;
    const claimsBefore = await claims();
    const counterBefore = await readCounterFile(ns, target);
    const live = await kubectlJson<{ spec: { template: { spec: { containers: { name: string; readinessProbe?: object; livenessProbe?: object }[] } } } }>([
      '-n',
      ns,
      'get',
      'statefulset',
      'helm-python',
    ]);
    const app = live.spec.template.spec.containers.find((c) => c.name === 'app')!;
    const result = await run(['demo-failover', '--mode', 'hang', '--url', nodePortUrl(NODE_PORT), '--record-dir', records, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<FailoverRecord>();
    expect(record).toMatchObject({ lesson: 'failover', mode: 'hang', pod: target, verdict: 'passed', dataPreserved: true });
    // The readiness probe the record explains with is the live StatefulSet's, as kubectl reads it.
    expect(app.readinessProbe).toMatchObject(record.readiness!);
    expect(record.liveness ?? null).toEqual(app.livenessProbe ? expect.objectContaining({}) : null);
    const now = (await pods()).find((p) => p.metadata.name === target)!;
    expect(now.metadata.uid).toBe(before.metadata.uid);
    expect(now.status.containerStatuses?.[0]?.restartCount).toBe(before.status.containerStatuses?.[0]?.restartCount);
    expect(now.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(await claims()).toEqual(claimsBefore);
    // Not left stopped: the app's state, read in the pod.
    const states = await appState(target);
    expect(states).toHaveLength(1);
    expect(states[0]).not.toBe('T');
    // Counters never down: the file holds at least the old value plus every acknowledged increment,
    // and every answer of the pod after the SIGCONT counts higher than every answer before the SIGSTOP.
    const counterAfter = await readCounterFile(ns, target);
    const acknowledged = record.samples.filter((s) => s.ok && s.pod === target);
    expect(counterAfter - counterBefore).toBeGreaterThanOrEqual(acknowledged.length);
    const beforeStop = acknowledged.filter((s) => s.t < record.failure!.requestedAt).map((s) => s.counter!);
    const afterResume = acknowledged.filter((s) => s.t > record.resume!.doneAt).map((s) => s.counter!);
    expect(beforeStop.length * afterResume.length).toBeGreaterThan(0);
    expect(Math.min(...afterResume)).toBeGreaterThan(Math.max(...beforeStop));
    // While stopped, no answer came from it, and what failed failed by timing out, not by refusal.
    expect(acknowledged.filter((s) => s.t > record.failure!.doneAt && s.t < record.resume!.requestedAt - 1000)).toEqual([]);
    const failed = record.samples.filter((s) => !s.ok && s.t >= record.failure!.requestedAt);
    expect(failed.every((s) => /^no answer within/.test(s.error ?? ''))).toBe(true);
    await expectReleaseAsItWas();
  });

  it(`demo-scale --policy both: Parallel starts the added pods together, OrderedReady one after another; Retain keeps their values; the release is put back`, async () => {
    const to = full ? 4 : 3;
    const result = await run([
      'demo-scale',
      '--to',
      String(to),
      '--policy',
      'both',
      '--node-port',
      String(ORDERED_NODE_PORT),
      '--settle',
      '500ms',
      '--url',
      nodePortUrl(NODE_PORT),
      '--record-dir',
      records,
      '--json',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<ScaleRecord>();
    expect(record).toMatchObject({ lesson: 'scale', verdict: 'passed', options: { replicas: 2, to, policy: 'both', pvcRetention: 'retain' } });
    expect(record.runs.map((r) => [r.policy, r.release, r.temporary])).toEqual([
      ['Parallel', 'helm-python', false],
      ['OrderedReady', 'helm-python-ordered', true],
    ]);
    // The temporary release was reached like the main one: --url, on its own NodePort.
    expect(record.notes).toContain(
      `OrderedReady: probe GET / through ${nodePortUrl(ORDERED_NODE_PORT)} (--url on NodePort ${ORDERED_NODE_PORT}, the temporary release's) every 100 ms.`,
    );
    for (const r of record.runs) {
      expect(r.failedUp + r.failedDown).toBe(0);
      expect(r.up.pods.map((p) => p.ordinal)).toEqual(Array.from({ length: to - 2 }, (_, i) => 2 + i));
      // Scale-down goes highest ordinal first.
      const deleting = r.down.order.filter((o) => o.deletingMs !== null).map((o) => o.pod);
      expect(deleting).toHaveLength(to - 2);
      for (const check of r.storage) {
        expect(check).toMatchObject({ expected: 'kept', ok: true });
        expect(check.returned.pvcUid).toBe(check.before.pvcUid);
        expect(check.returned.counter).toBeGreaterThanOrEqual(check.before.counter! + check.acknowledgedAfterRead);
      }
    }
    if (full) {
      const [parallel, ordered] = record.runs;
      // OrderedReady: each pod created only once the one before it is Ready; Parallel: the second created before the first is Ready.
      expect(ordered!.up.shape).toBe('staircase');
      expect(ordered!.up.pods[1]!.createdMs!).toBeGreaterThanOrEqual(ordered!.up.pods[0]!.readyMs!);
      expect(parallel!.up.shape).toBe('block');
      expect(ordered!.down.order.map((o) => o.pod)).toEqual(['helm-python-ordered-3', 'helm-python-ordered-2']);
    }
    expect(record.cleanup.join('\n')).toMatch(/temporary release helm-python-ordered uninstalled, its PVCs deleted/);
    await expectReleaseAsItWas();
    expect((await kubectl(['-n', ns, 'get', 'pvc', '-l', 'app.kubernetes.io/instance=helm-python-ordered', '-o', 'name'])).stdout).toBe('');
  });

  it.runIf(full)('demo-scale --keep-pvcs: the added PVCs stay and a scale-up by hand finds each value again', async () => {
    const result = await run([
      'demo-scale',
      '--to',
      '3',
      '--policy',
      'parallel',
      '--keep-pvcs',
      '--settle',
      '500ms',
      '--url',
      nodePortUrl(NODE_PORT),
      '--record-dir',
      records,
      '--json',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<ScaleRecord>();
    const check = record.runs[0]!.storage[0]!;
    expect(check).toMatchObject({ pod: 'helm-python-2', ok: true });
    await expectReleaseAsItWas(['counter-data-py-helm-python-2']);
    expect((await claims())['counter-data-py-helm-python-2']).toBe(check.returned.pvcUid);
    // By hand, with helm (a `kubectl scale` would take spec.replicas from Helm 4's server-side apply):
    // scale up and read the counter with kubectl exec.
    const scaleTo = (n: number) => execa(helm, ['upgrade', 'helm-python', CHART_DIR, '--namespace', ns, '--reuse-values', '--set', `replicaCount=${n}`]);
    await scaleTo(3);
    await kubectl(['-n', ns, 'wait', '--for=condition=Ready', 'pod/helm-python-2', '--timeout=120s']);
    expect(await readCounterFile(ns, 'helm-python-2')).toBeGreaterThanOrEqual(check.returned.counter!);
    await scaleTo(2);
    await kubectl(['-n', ns, 'wait', '--for=delete', 'pod/helm-python-2', '--timeout=120s']);
    await kubectl(['-n', ns, 'delete', 'pvc', 'counter-data-py-helm-python-2', '--wait=true']);
    await expectReleaseAsItWas();
  });

  it.runIf(full)('demo-scale --pvc-retention delete: the StatefulSet deletes the removed PVCs and the returning pods start from 0', async () => {
    const result = await run([
      'demo-scale',
      '--to',
      '3',
      '--policy',
      'parallel',
      '--pvc-retention',
      'delete',
      '--settle',
      '500ms',
      '--url',
      nodePortUrl(NODE_PORT),
      '--record-dir',
      records,
      '--json',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<ScaleRecord>();
    const check = record.runs[0]!.storage[0]!;
    expect(check).toMatchObject({ expected: 'fresh', ok: true, pvcUidAfterScaleDown: null });
    expect(check.returned.pvcUid).not.toBe(check.before.pvcUid);
    expect(check.returned.counter!).toBeLessThan(check.before.counter! + 1);
    // The release's own policy is back: unset, which the server shows as Retain.
    const sts = await kubectlJson<{ spec: { persistentVolumeClaimRetentionPolicy?: { whenScaled: string } } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain').toBe('Retain');
    await expectReleaseAsItWas();
  });

  /** Runs the CLI and sends Ctrl-C (SIGINT to its process group) once it prints `▸ <phase>:`. */
  async function interruptAt(args: string[], phase: string): Promise<{ exitCode: number; stderr: string }> {
    const child = execa('node', [join(repoRoot, 'bin', 'k8s-lab.js'), ...args, '--namespace', ns], {
      reject: false,
      detached: true,
      timeout: 600_000,
      stdin: 'ignore',
      env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm },
    });
    let sent = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (sent || !chunk.includes(`▸ ${phase}:`)) return;
      sent = true;
      setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 300);
    });
    const result = await child;
    expect(sent, `phase ${phase} never started:\n${String(result.stderr)}`).toBe(true);
    return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr) };
  }

  it.runIf(full)('Ctrl-C during demo-scale (OrderedReady scaling up) puts the release back and removes the temporary release', async () => {
    const result = await interruptAt(
      ['demo-scale', '--to', '4', '--policy', 'ordered', '--node-port', String(ORDERED_NODE_PORT), '--url', nodePortUrl(NODE_PORT), '--record-dir', records],
      'OrderedReady: scale up',
    );
    expect(result.exitCode, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/temporary release helm-python-ordered uninstalled/);
    await expectReleaseAsItWas();
    expect((await kubectl(['-n', ns, 'get', 'pvc', '-l', 'app.kubernetes.io/instance=helm-python-ordered', '-o', 'name'])).stdout).toBe('');
  });

  it.runIf(full)('Ctrl-C during demo-failover --mode hang resumes the app (SIGCONT): not left stopped, no restart', async () => {
    const restarts = (await pods()).find((p) => p.metadata.name === 'helm-python-1')!.status.containerStatuses?.[0]?.restartCount;
    const result = await interruptAt(['demo-failover', '--mode', 'hang', '--url', nodePortUrl(NODE_PORT), '--record-dir', records], 'hang');
    expect(result.exitCode, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/SIGCONT sent: helm-python-1's app resumed; helm-python-1 is Ready again/);
    expect((await appState('helm-python-1'))[0]).not.toBe('T');
    expect((await pods()).find((p) => p.metadata.name === 'helm-python-1')!.status.containerStatuses?.[0]?.restartCount).toBe(restarts);
    await expectReleaseAsItWas();
  });

  it.runIf(full)('Ctrl-C during demo-failover (the pod coming back) waits for it: the release is as it was', async () => {
    const result = await interruptAt(['demo-failover', '--mode', 'delete', '--url', nodePortUrl(NODE_PORT), '--record-dir', records], 'recover');
    expect(result.exitCode, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/helm-python-1 is Ready again/);
    await expectReleaseAsItWas();
  });
});

// The control plane failing during a demo, on the real cluster: the API server restarted (down
// 8 s, test/cluster/fault) during the rollout phase of rolling and canary, during a failover
// lesson, and under `k8s-lab watch`; etcd stalled, the controller manager, the scheduler, a
// node's kubelet and kube-proxy restarted during rolling's rollout, canary's promote and the
// failover lesson (etcd stalled with Helm 3; etcd and the scheduler not during canary, for time).
// After each, the cluster is read with helm and kubectl only:
// the release deployed, 2 replicas, RollingUpdate partition 0, pods 0 and 1 Ready on one version
// (the one before, or the new one when the demo finished), the same PVCs, no counter ever down.
// Needs root (the fault restarts a daemon) and the exclusive cluster lock:
//   flock -o -x /tmp/k8s-lab-cluster.lock npx vitest run --project e2e-serial test/e2e/faults.test.ts
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverRecord } from '../../src/demos/lessons.js';
import type { RunRecord } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, expectRollingUpdate, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, repoRoot, requireCluster } from './cluster.js';

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31966);
const NS = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ? `${process.env.K8S_LAB_E2E_NAMESPACE_PREFIX}-faults` : 'k8s-lab-faults';
const FAULT = join(repoRoot, 'test', 'cluster', 'fault');
const DOWN = '8s';
const SELECTOR = 'app.kubernetes.io/name=k8s-lab-counter';
const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;
const helm3 = HELM_BINARIES.find((h) => h.major === 3)!.path;

interface PodList {
  items: {
    metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
    spec: { nodeName?: string };
    status: { conditions?: { type: string; status: string }[] };
  }[];
}
interface ClaimList {
  items: { metadata: { name: string; uid: string } }[];
}

interface FaultedRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** What test/cluster/fault printed: "apiserver: stopped, down 8s, …; away 13.2s until /readyz ok". */
  fault: string;
}

/** Runs the built CLI; once it prints `▸ <phase>:` (or `when` is seen), injects the fault (by default the API server restarted). */
async function runWithFault(args: string[], when: string, faultArgs = ['apiserver', '--down', DOWN], withHelm = helm): Promise<FaultedRun> {
  const child = execa('node', [join(repoRoot, 'bin', 'k8s-lab.js'), ...args, '--namespace', NS], {
    reject: false,
    timeout: 400_000,
    stdin: 'ignore',
    env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: withHelm },
  });
  let fault: Promise<string> | undefined;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (fault || !chunk.includes(when)) return;
    // Into the phase: its helm upgrade or wait is under way.
    fault = new Promise((resolve) => setTimeout(resolve, 500)).then(async () => (await execa(FAULT, faultArgs)).stdout);
  });
  const result = await child;
  expect(fault, `"${when}" never printed:\n${String(result.stderr)}`).toBeDefined();
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), fault: await fault! };
}

/** The record's control-plane windows, for the table: `12.4 s (pod watch: …)`, or none. */
const awayWindows = (cp: RunRecord['controlPlane']): string =>
  (cp?.away ?? []).map((w) => `${((w.end - w.start) / 1000).toFixed(1)} s (${w.seen.join('; ')})`).join(', ') || 'none recorded';

/** How long a phase of the run took: `14.2 s`. */
const phaseSeconds = (record: { phases: { name: string; start: number; end: number }[] }, name: string): string => {
  const phase = record.phases.find((p) => p.name === name);
  return phase ? `${((phase.end - phase.start) / 1000).toFixed(1)} s` : 'not run';
};

const onlyRecord = <T>(dir: string): T => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as T;
};

describe('the control plane failing during demos, on a real cluster', () => {
  const url = nodePortUrl(NODE_PORT);
  let claimUids: Record<string, string> = {};
  const history: Record<string, number[]> = {};
  /** What each case saw, for docs/faults.md. */
  const table: string[] = [];

  async function readAllCounters(): Promise<void> {
    for (const pod of ['helm-python-0', 'helm-python-1']) {
      const value = await readCounterFile(NS, pod);
      const seen = (history[pod] ??= []);
      expect(value, `${pod}'s counter went down: ${seen.join(' → ')} → ${value}`).toBeGreaterThanOrEqual(seen.at(-1) ?? 0);
      seen.push(value);
    }
  }

  async function helmRelease(): Promise<{ revision: number; status: string }> {
    const { stdout } = await execa(helm, ['list', '--namespace', NS, '--filter', '^helm-python$', '--output', 'json']);
    const [release] = JSON.parse(stdout) as { revision: string; status: string }[];
    return { revision: Number(release!.revision), status: release!.status };
  }

  /** Read with helm and kubectl alone: as it was, or fully updated; returns the pods' version. */
  async function expectWholeRelease(versions: string[]): Promise<string> {
    expect((await helmRelease()).status).toBe('deployed');
    const sts = await kubectlJson<{ spec: { replicas: number; updateStrategy: unknown } }>(['-n', NS, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec.replicas).toBe(2);
    expectRollingUpdate(sts.spec.updateStrategy, 0);
    const pods = await kubectlJson<PodList>(['-n', NS, 'get', 'pods', '-l', SELECTOR]);
    expect(pods.items.map((p) => p.metadata.name).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    const on = new Set(pods.items.map((p) => p.metadata.labels['app.kubernetes.io/version']));
    expect(on.size, `pods on ${[...on].join(' and ')}`).toBe(1);
    for (const pod of pods.items) {
      expect(pod.metadata.deletionTimestamp, pod.metadata.name).toBeUndefined();
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status, pod.metadata.name).toBe('True');
    }
    const version = [...on][0]!;
    expect(versions).toContain(version);
    const claims = await kubectlJson<ClaimList>(['-n', NS, 'get', 'pvc']);
    expect(Object.fromEntries(claims.items.map((c) => [c.metadata.name, c.metadata.uid]))).toEqual(claimUids);
    await readAllCounters();
    return version;
  }

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(NS);
    const deployed = await cli(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`, '--namespace', NS], { helm });
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const claims = await kubectlJson<ClaimList>(['-n', NS, 'get', 'pvc']);
    claimUids = Object.fromEntries(claims.items.map((c) => [c.metadata.name, c.metadata.uid]));
    await readAllCounters();
  });
  afterAll(async () => {
    await cli(['teardown', '--delete-data', '--yes', '--namespace', NS], { helm });
    await deleteNamespace(NS);
    console.log(['fault | demo | exit | what k8s-lab did | failed requests | control plane away', ...table].join('\n'));
  });

  it.each([
    { strategy: 'rolling', phase: 'rollout' },
    { strategy: 'canary', phase: 'promote' },
  ])('API server down $strategy $phase: finished or undone, never half-way; the record names the window', async ({ strategy, phase }) => {
    const records = mkdtempSync(join(tmpdir(), `k8s-lab-faults-${strategy}-`));
    const before = await helmRelease();
    const run = await runWithFault(
      ['demo-update', '--strategy', strategy, '--check', '2s', '--settle', '2s', '--url', url, '--record-dir', records],
      `▸ ${phase}:`,
    );
    const record = onlyRecord<RunRecord>(records);
    // Finished (every pod on the new version: exit 0, or 1 when requests failed) or undone (exit 1
    // naming the fault, every pod on the old version); never half-way.
    expect([0, 1], run.stderr).toContain(run.exitCode);
    const version = await expectWholeRelease([record.versions.from, record.versions.to]);
    if (run.exitCode === 0) expect(version).toBe(record.versions.to);
    if (version === record.versions.from) expect(run.stderr).toMatch(/control plane failed|cannot reach the Kubernetes API server/);
    expect((await helmRelease()).revision).toBeGreaterThan(before.revision);
    expect(record.controlPlane?.away.length, JSON.stringify(record.controlPlane)).toBeGreaterThanOrEqual(1);
    const away = record.controlPlane!.away.map((w) => `${((w.end - w.start) / 1000).toFixed(1)} s (${w.seen.join('; ')})`).join(', ');
    table.push(
      `${run.fault} | ${strategy} (${phase}) | ${run.exitCode} | ${record.verdict}: ${record.reason}; outages at ${record.probe.outages.map((o) => `${(o.start / 1000).toFixed(1)} s`).join(', ') || 'none'} | ${record.probe.failures}/${record.probe.requests} | ${away}`,
    );
  });

  it('API server down during demo-failover --mode delete (recover): the lesson ends, the release as it was', async () => {
    const records = mkdtempSync(join(tmpdir(), 'k8s-lab-faults-failover-'));
    const pods = await kubectlJson<PodList>(['-n', NS, 'get', 'pods', '-l', SELECTOR]);
    const version = pods.items[0]!.metadata.labels['app.kubernetes.io/version']!;
    const run = await runWithFault(['demo-failover', '--mode', 'delete', '--url', url, '--settle', '1s', '--record-dir', records], '▸ recover:');
    expect([0, 1], run.stderr).toContain(run.exitCode);
    const record = onlyRecord<FailoverRecord>(records);
    await expectWholeRelease([version]);
    // The recover wait reads the pods through the demo's reader every 250 ms: those reads were tried
    // again while the API server was away (not failed), and the record's window says so.
    const away = awayWindows(record.controlPlane);
    expect(away).toMatch(/API reads: [^;()]+ \(tried again\)/);
    table.push(
      `${run.fault} | demo-failover delete (recover) | ${run.exitCode} | ${record.verdict} | ${record.probe.failures}/${record.probe.requests} | ${away}`,
    );
  });

  it('k8s-lab watch across an API server restart: keeps going, says so in one line, exit 0', async () => {
    const run = await runWithFault(['watch', '--for', '45s'], 'watching helm-python');
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.includes('the API server was away'));
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/the API server was away \d+\.\d s \(.+\): listed again, watching on, nothing missed/);
    table.push(`${run.fault} | k8s-lab watch --for 45s | 0 | ${lines[0]!.trim()} | – | –`);
  });

  // The other faults, none of them the API server: etcd stalled (requests wait), the controller
  // manager (the StatefulSet and EndpointSlice controllers), the scheduler (the re-created pods are
  // scheduled), the kubelet of helm-python-1's node (it kills the old container and starts the new
  // one; helm-python-1 goes first in a rollout and is the pod the lesson deletes) and kube-proxy
  // (the Service's rules while endpoints change). Each during the rollout phase of rolling and
  // canary and during the failover lesson; each demo finishes, nothing to undo.
  /** The fault's arguments; NODE stands for helm-python-1's node, read before the run. */
  async function faultArgs(fault: string[]): Promise<{ args: string[]; node: string }> {
    const pods = await kubectlJson<PodList>(['-n', NS, 'get', 'pods', '-l', SELECTOR]);
    const node = pods.items.find((p) => p.metadata.name === 'helm-python-1')?.spec.nodeName;
    expect(node).toBeDefined();
    return { args: fault.map((a) => (a === 'NODE' ? node! : a)), node: node! };
  }
  const KUBELET = ['kubelet', 'NODE'];

  it.each([
    { name: 'etcd stalled 5 s', fault: ['etcd', '--stall', '5s'], strategy: 'rolling', phase: 'rollout', major: 3 },
    { name: 'controller manager restarted', fault: ['controller-manager'], strategy: 'rolling', phase: 'rollout', major: 4 },
    { name: 'scheduler restarted', fault: ['scheduler'], strategy: 'rolling', phase: 'rollout', major: 4 },
    { name: "helm-python-1's kubelet restarted", fault: KUBELET, strategy: 'rolling', phase: 'rollout', major: 4 },
    { name: 'kube-proxy restarted', fault: ['kube-proxy'], strategy: 'rolling', phase: 'rollout', major: 4 },
    { name: 'controller manager restarted', fault: ['controller-manager'], strategy: 'canary', phase: 'promote', major: 4 },
    { name: "helm-python-1's kubelet restarted", fault: KUBELET, strategy: 'canary', phase: 'promote', major: 4 },
    { name: 'kube-proxy restarted', fault: ['kube-proxy'], strategy: 'canary', phase: 'promote', major: 4 },
    { name: 'etcd stalled 5 s', fault: ['etcd', '--stall', '5s'], strategy: 'canary', phase: 'promote', major: 4 },
    { name: 'scheduler restarted', fault: ['scheduler'], strategy: 'canary', phase: 'promote', major: 4 },
  ])('$name during $strategy ($phase), Helm $major: the demo finishes, every pod on the new version', async ({ fault, strategy, phase, major }) => {
    const records = mkdtempSync(join(tmpdir(), `k8s-lab-faults-${strategy}-${fault[0]}-`));
    const before = await helmRelease();
    const { args, node } = await faultArgs(fault);
    const run = await runWithFault(
      ['demo-update', '--strategy', strategy, ...(strategy === 'canary' ? ['--check', '2s'] : []), '--settle', '1s', '--url', url, '--record-dir', records],
      `▸ ${phase}:`,
      args,
      major === 3 ? helm3 : helm,
    );
    const record = onlyRecord<RunRecord>(records);
    // Exit 1 only for requests that failed (the verdict), never for an undo: the release is updated,
    // and (canary) the extra pod and its PVC are gone (expectWholeRelease: pods 0 and 1, the same PVCs).
    expect([0, 1], run.stderr).toContain(run.exitCode);
    expect(run.stderr).not.toMatch(/undo|rolled back|helm rollback/i);
    expect(await expectWholeRelease([record.versions.to])).toBe(record.versions.to);
    expect((await helmRelease()).revision).toBeGreaterThan(before.revision);
    expect(record.environment.helm).toMatch(new RegExp(`^v?${major}\\.`));
    table.push(
      `${run.fault} | ${strategy} (${phase}), Helm ${major}${fault[0] === 'kubelet' ? `, on ${node}` : ''} | ${run.exitCode} | ${record.verdict}: ${record.reason}; ${phase} ${phaseSeconds(record, phase)} | ${record.probe.failures}/${record.probe.requests} | ${awayWindows(record.controlPlane)}`,
    );
  });

  it.each([
    { name: "helm-python-1's kubelet restarted", fault: KUBELET },
    { name: 'kube-proxy restarted', fault: ['kube-proxy'] },
    { name: 'etcd stalled 5 s', fault: ['etcd', '--stall', '5s'] },
    { name: 'controller manager restarted', fault: ['controller-manager'] },
    { name: 'scheduler restarted', fault: ['scheduler'] },
  ])('$name during demo-failover --mode delete --pod 1 (fail): the lesson ends, the pod back, the release as it was', async ({ fault }) => {
    const records = mkdtempSync(join(tmpdir(), `k8s-lab-faults-failover-${fault[0]}-`));
    const pods = await kubectlJson<PodList>(['-n', NS, 'get', 'pods', '-l', SELECTOR]);
    const version = pods.items[0]!.metadata.labels['app.kubernetes.io/version']!;
    const { args, node } = await faultArgs(fault);
    const run = await runWithFault(
      ['demo-failover', '--mode', 'delete', '--pod', '1', '--url', url, '--settle', '1s', '--record-dir', records],
      '▸ fail:',
      args,
    );
    expect([0, 1], run.stderr).toContain(run.exitCode);
    const record = onlyRecord<FailoverRecord>(records);
    expect(record.readyAgainMs, run.stderr).not.toBeNull();
    await expectWholeRelease([version]);
    table.push(
      `${run.fault} | demo-failover delete --pod 1 (fail), on ${node} | ${run.exitCode} | ${record.verdict}; Ready again ${(record.readyAgainMs! / 1000).toFixed(1)} s after the delete | ${record.probe.failures}/${record.probe.requests} | ${awayWindows(record.controlPlane)}`,
    );
  });
});

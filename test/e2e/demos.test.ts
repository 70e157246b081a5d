import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, Strategy } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectlJson, LOCAL_IMAGE, nodePortUrl, readCounterFile, requireCluster } from './cluster.js';

interface PodList {
  items: { metadata: { name: string; labels: Record<string, string> }; status: { conditions?: { type: string; status: string }[] } }[];
}

describe.each(HELM_BINARIES)('demo-update with Helm $major on a real cluster', ({ major, path: helm }) => {
  const ns = `k8s-lab-demo-h${major}`;
  const records = mkdtempSync(join(tmpdir(), `k8s-lab-runs-h${major}-`));
  const run = (args: string[]) => cli([...args, '--namespace', ns], { helm });
  /** Every counter read with kubectl exec between demos: none may ever go down. */
  const history: Record<string, number[]> = {};

  async function readAllCounters(): Promise<Record<string, number>> {
    const pods = await kubectlJson<PodList>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=k8s-lab-counter']);
    const values: Record<string, number> = {};
    for (const pod of pods.items) {
      values[pod.metadata.name] = await readCounterFile(ns, pod.metadata.name);
      (history[pod.metadata.name] ??= []).push(values[pod.metadata.name]!);
    }
    return values;
  }

  /** The release is healthy: helm says deployed, 2 pods Ready on `version`, no canary left. */
  async function expectHealthy(version: string): Promise<void> {
    const status = (await run(['status', '--json'])).json<{ release: { status: string } }>();
    expect(status.release.status).toBe('deployed');
    const pods = await kubectlJson<PodList>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=k8s-lab-counter']);
    expect(pods.items.map((p) => p.metadata.name).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    for (const pod of pods.items) {
      expect(pod.metadata.labels['app.kubernetes.io/version']).toBe(version);
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const sts = await kubectlJson<{ spec: { replicas: number; updateStrategy: { type: string; rollingUpdate?: { partition: number } } } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec.replicas).toBe(2);
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  }

  async function demo(strategy: Strategy, extra: string[] = []): Promise<{ exitCode: number; record: RunRecord; stderr: string }> {
    const result = await run(['demo-update', '--strategy', strategy, '--check', '5s', '--url', nodePortUrl(), '--record-dir', records, '--json', ...extra]);
    const record = result.json<RunRecord>();
    const onDisk = JSON.parse(readFileSync(join(records, `${record.id}.json`), 'utf8')) as RunRecord;
    expect(onDisk).toEqual(record);
    return { exitCode: result.exitCode, record, stderr: result.stderr };
  }

  /** What the record says about the counters matches kubectl exec, and covers every acknowledged request. */
  async function expectDataPreserved(record: RunRecord): Promise<void> {
    const now = await readAllCounters();
    expect(record.dataPreserved).toBe(true);
    for (const check of record.dataChecks) {
      expect(check.preserved, `${check.pod}: ${check.reason}`).toBe(true);
      expect(check.after).toBe(now[check.pod]);
      expect(check.after! - check.before!).toBeGreaterThanOrEqual(check.acknowledged);
    }
    const before = Object.fromEntries(record.counters.before.map((c) => [c.pod, c]));
    for (const after of record.counters.after) {
      expect(after.pvcUid).toBe(before[after.pod]?.pvcUid);
    }
  }

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    await readAllCounters();
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
  });

  it('rolling: one pod at a time, highest ordinal first, no failed request, no data lost', async () => {
    const { exitCode, record, stderr } = await demo('rolling');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v1', to: 'v2' }, maxPodsDown: 1 });
    expect(record.probe.failures).toBe(0);
    expect(record.probe.requests).toBeGreaterThan(100);
    const deletions = record.podEvents.filter((e) => e.type === 'deleting').map((e) => e.pod);
    expect(deletions).toEqual(['helm-python-1', 'helm-python-0']);
    await expectDataPreserved(record);
    await expectHealthy('v2');
  });

  it('recreate: every pod replaced at once, and the outage is real and recorded', async () => {
    const { exitCode, record, stderr } = await demo('recreate');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v2', to: 'v3' }, maxPodsDown: 2 });
    expect(record.probe.failures).toBeGreaterThan(0);
    expect(record.probe.longestOutageMs).toBeGreaterThan(1000);
    expect(record.probe.outages.length).toBeGreaterThanOrEqual(1);
    expect(record.notes.join(' ')).toMatch(/Recreate emulated/);
    const deleting = record.podEvents.filter((e) => e.type === 'deleting');
    expect(deleting.map((e) => e.pod).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    expect(Math.abs(deleting[0]!.t - deleting[1]!.t)).toBeLessThan(2000);
    await expectDataPreserved(record);
    await expectHealthy('v3');
  });

  it('canary: an extra pod on the new version is checked under traffic, then promoted and removed', async () => {
    const { exitCode, record, stderr } = await demo('canary');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v3', to: 'v4' } });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'scale-out', 'check', 'promote', 'scale-in', 'settle']);
    expect(record.probe.failures).toBe(0);
    // The canary really served v4 under traffic while the old pods still served v3.
    const check = record.phases.find((p) => p.name === 'check')!;
    const during = record.samples.filter((s) => s.t >= check.start && s.t <= check.end);
    expect(during.some((s) => s.pod === 'helm-python-2' && s.version === 'v4')).toBe(true);
    expect(during.some((s) => s.pod !== 'helm-python-2' && s.version === 'v3')).toBe(true);
    expect(record.podEvents.filter((e) => e.pod === 'helm-python-2').map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'ready', 'deleted']));
    const claims = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['-n', ns, 'get', 'pvc']);
    expect(claims.items.map((c) => c.metadata.name).sort()).toEqual(['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1']);
    await expectDataPreserved(record);
    await expectHealthy('v4');
  });

  it('partition: the highest ordinal first, checked, then the rest', async () => {
    const { exitCode, record, stderr } = await demo('partition');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v4', to: 'v5' }, maxPodsDown: 1 });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'first-pod', 'check', 'rest', 'settle']);
    expect(record.probe.failures).toBe(0);
    const check = record.phases.find((p) => p.name === 'check')!;
    const versionsDuringCheck = new Set(record.samples.filter((s) => s.t >= check.start && s.t <= check.end).map((s) => `${s.pod}=${s.version}`));
    expect(versionsDuringCheck).toEqual(new Set(['helm-python-1=v5', 'helm-python-0=v4']));
    await expectDataPreserved(record);
    await expectHealthy('v5');
  });

  it('canary with a version that never gets Ready aborts and leaves the old version serving, no failed request', async () => {
    const { exitCode, record, stderr } = await demo('canary', ['--broken', '--ready-timeout', '20s']);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/canary aborted: canary pods helm-python-2 not Ready after 20 s/);
    expect(record.verdict).toBe('aborted');
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'scale-out', 'abort', 'settle']);
    expect(record.probe.failures).toBe(0);
    expect(record.probe.perVersion).toEqual({ v5: record.probe.ok });
    await expectDataPreserved(record);
    await expectHealthy('v5');
    expect(existsSync(join(records, `${record.id}.json`))).toBe(true);
  });

  it('no counter ever went down across the whole sequence of demos', () => {
    for (const [pod, series] of Object.entries(history)) {
      expect(series.length, pod).toBeGreaterThanOrEqual(5);
      expect(series, pod).toEqual([...series].sort((a, b) => a - b));
    }
  });
});

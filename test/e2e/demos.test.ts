import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, Strategy } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import {
  cli,
  deleteNamespace,
  expectOneLineFailure,
  expectRollingUpdate,
  kubectl,
  kubectlJson,
  LOCAL_IMAGE,
  nodePortUrl,
  readCounterFile,
  requireCluster,
} from './cluster.js';

interface PodList {
  items: { metadata: { name: string; labels: Record<string, string> }; status: { conditions?: { type: string; status: string }[] } }[];
}

// The NodePort is cluster-wide: a second run of this file on the same cluster (another checkout,
// CI) takes another port and namespace prefix with these.
const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31949);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-demo';

/**
 * Asked of the API server directly, with a server-side dry-run patch (nothing stored): whether it
 * takes updateStrategy Recreate, and whether it keeps rollingUpdate.maxUnavailable.
 */
async function serverOffers(ns: string): Promise<{ recreate: boolean; maxUnavailable: boolean }> {
  const patch = (body: object) =>
    kubectl(['-n', ns, 'patch', 'statefulset', 'helm-python', '--type', 'merge', '-p', JSON.stringify(body), '--dry-run=server', '-o', 'json'], {
      reject: false,
    });
  const recreate = await patch({ spec: { updateStrategy: { type: 'Recreate', rollingUpdate: null } } });
  const max = await patch({ spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 2 } } } });
  const kept =
    max.exitCode === 0 &&
    (JSON.parse(String(max.stdout)) as { spec: { updateStrategy: { rollingUpdate?: { maxUnavailable?: number } } } }).spec.updateStrategy.rollingUpdate
      ?.maxUnavailable === 2;
  if (recreate.exitCode !== 0)
    expect(String(recreate.stderr)).toMatch(/Unsupported value: "Recreate"|updateStrategy: Invalid value: .*Recreate.*: must be 'RollingUpdate' or 'OnDelete'/);
  return { recreate: recreate.exitCode === 0, maxUnavailable: kept };
}

describe.each(HELM_BINARIES)('demo-update with Helm $major on a real cluster', ({ major, path: helm }) => {
  const ns = `${NS_PREFIX}-h${major}`;
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
    const sts = await kubectlJson<{ spec: { replicas: number; updateStrategy: unknown } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec.replicas).toBe(2);
    expectRollingUpdate(sts.spec.updateStrategy, 0);
  }

  async function demo(strategy: Strategy, extra: string[] = []): Promise<{ exitCode: number; record: RunRecord; stderr: string }> {
    const result = await run([
      'demo-update',
      '--strategy',
      strategy,
      '--check',
      '5s',
      '--url',
      nodePortUrl(NODE_PORT),
      '--record-dir',
      records,
      '--json',
      ...extra,
    ]);
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
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
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

  /** Both pods went at once, the outage is real, and no pod of the new version served before both old ones were gone. */
  function expectRecreated(record: RunRecord, to: string): void {
    expect(record.maxPodsDown).toBe(2);
    expect(record.probe.failures).toBeGreaterThan(0);
    expect(record.probe.longestOutageMs).toBeGreaterThan(1000);
    expect(record.probe.outages.length).toBeGreaterThanOrEqual(1);
    const deleting = record.podEvents.filter((e) => e.type === 'deleting');
    expect(deleting.map((e) => e.pod).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    expect(Math.abs(deleting[0]!.t - deleting[1]!.t)).toBeLessThan(2000);
    const lastOldGone = Math.max(...record.podEvents.filter((e) => e.type === 'deleted').map((e) => e.t));
    const firstNew = Math.min(...record.samples.filter((s) => s.ok && s.version === to).map((s) => s.t));
    expect(firstNew).toBeGreaterThan(lastOldGone);
  }

  it('recreate: native Recreate where the server takes it (StatefulSetRecreateStrategy), every pod replaced at once, the outage recorded', async () => {
    const offers = await serverOffers(ns);
    const { exitCode, record, stderr } = await demo('recreate');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v2', to: 'v3' } });
    if (offers.recreate) {
      expect(record.method).toEqual({
        id: 'native-recreate',
        label: 'native Recreate (StatefulSetRecreateStrategy)',
        why: 'the API server accepts updateStrategy Recreate (server-side dry-run)',
      });
      expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'recreate', 'restore', 'settle']);
      expect(record.options.recreate).toBe('native');
    } else {
      expect(record.method).toMatchObject({
        id: 'emulated-recreate',
        label: 'emulated: OnDelete + delete',
        why: expect.stringContaining('StatefulSetRecreateStrategy off'),
      });
    }
    expectRecreated(record, 'v3');
    await expectDataPreserved(record);
    await expectHealthy('v3');
  });

  it('recreate --emulate-recreate: OnDelete + delete on any server, said so in the record', async () => {
    const { exitCode, record, stderr } = await demo('recreate', ['--emulate-recreate']);
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v3', to: 'v4' } });
    expect(record.method).toEqual({ id: 'emulated-recreate', label: 'emulated: OnDelete + delete', why: '--emulate-recreate' });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'prepare', 'recreate', 'restore', 'settle']);
    expect(record.notes.join(' ')).toMatch(/Recreate emulated/);
    expectRecreated(record, 'v4');
    await expectDataPreserved(record);
    await expectHealthy('v4');
  });

  it('the report shows the native and the emulated recreate runs side by side', async () => {
    const output = join(records, 'report', 'README.md');
    const result = await run(['report', '-o', output, '--record-dir', records]);
    expect(result.exitCode, result.stderr).toBe(0);
    const markdown = readFileSync(output, 'utf8');
    const offers = await serverOffers(ns);
    expect(markdown).toMatch(/^\| recreate — emulated: OnDelete \+ delete \| v3 → v4 \|/m);
    if (offers.recreate) expect(markdown).toMatch(/^\| recreate — native Recreate \(StatefulSetRecreateStrategy\) \| v2 → v3 \|/m);
  });

  it('canary: an extra pod on the new version is checked under traffic, then promoted and removed', async () => {
    const { exitCode, record, stderr } = await demo('canary');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v4', to: 'v5' } });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'scale-out', 'check', 'promote', 'scale-in', 'settle']);
    expect(record.probe.failures).toBe(0);
    // The canary really served v4 under traffic while the old pods still served v3.
    const check = record.phases.find((p) => p.name === 'check')!;
    const during = record.samples.filter((s) => s.t >= check.start && s.t <= check.end);
    expect(during.some((s) => s.pod === 'helm-python-2' && s.version === 'v5')).toBe(true);
    expect(during.some((s) => s.pod !== 'helm-python-2' && s.version === 'v4')).toBe(true);
    expect(record.podEvents.filter((e) => e.pod === 'helm-python-2').map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'ready', 'deleted']));
    const claims = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['-n', ns, 'get', 'pvc']);
    expect(claims.items.map((c) => c.metadata.name).sort()).toEqual(['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1']);
    await expectDataPreserved(record);
    await expectHealthy('v5');
  });

  it('partition: the highest ordinal first, checked, then the rest', async () => {
    const { exitCode, record, stderr } = await demo('partition');
    expect(exitCode, stderr).toBe(0);
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v5', to: 'v6' }, maxPodsDown: 1 });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'first-pod', 'check', 'rest', 'settle']);
    expect(record.probe.failures).toBe(0);
    const check = record.phases.find((p) => p.name === 'check')!;
    const versionsDuringCheck = new Set(record.samples.filter((s) => s.t >= check.start && s.t <= check.end).map((s) => `${s.pod}=${s.version}`));
    expect(versionsDuringCheck).toEqual(new Set(['helm-python-1=v6', 'helm-python-0=v5']));
    await expectDataPreserved(record);
    await expectHealthy('v6');
  });

  it('canary with a version that never gets Ready aborts and leaves the old version serving, no failed request', async () => {
    const { exitCode, record, stderr } = await demo('canary', ['--broken', '--ready-timeout', '20s']);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/canary aborted: canary pods helm-python-2 not Ready after 20 s/);
    expect(record.verdict).toBe('aborted');
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'scale-out', 'abort', 'settle']);
    expect(record.probe.failures).toBe(0);
    expect(record.probe.perVersion).toEqual({ v6: record.probe.ok });
    await expectDataPreserved(record);
    await expectHealthy('v6');
    expect(existsSync(join(records, `${record.id}.json`))).toBe(true);
  });

  it('rolling --max-unavailable 2: both pods replaced together where the server keeps the field, then maxUnavailable removed again; refused with exit 2 and nothing changed where it drops it', async () => {
    const offers = await serverOffers(ns);
    const before = await kubectlJson<{ metadata: { generation: number } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    const result = await run([
      'demo-update',
      '--strategy',
      'rolling',
      '--max-unavailable',
      '2',
      '--url',
      nodePortUrl(NODE_PORT),
      '--record-dir',
      records,
      '--json',
    ]);
    if (!offers.maxUnavailable) {
      expectOneLineFailure(
        result,
        2,
        /^✖ --max-unavailable 2: the API server ignores rollingUpdate\.maxUnavailable \(feature gate MaxUnavailableStatefulSet off\): it drops the field; nothing was changed — /,
      );
      const after = await kubectlJson<{ metadata: { generation: number } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
      expect(after.metadata.generation).toBe(before.metadata.generation);
      await expectHealthy('v6');
      return;
    }
    expect(result.exitCode, result.stderr).toBe(0);
    const record = result.json<RunRecord>();
    expect(record).toMatchObject({ verdict: 'passed', versions: { from: 'v6', to: 'v7' }, maxPodsDown: 2 });
    expect(record.options.maxUnavailable).toBe(2);
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'rollout', 'restore', 'settle']);
    // Both old pods were taken down together, not one after the other.
    const deleting = record.podEvents.filter((e) => e.type === 'deleting');
    expect(deleting.map((e) => e.pod).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    expect(Math.abs(deleting[0]!.t - deleting[1]!.t)).toBeLessThan(2000);
    await expectDataPreserved(record);
    // expectHealthy also checks that maxUnavailable is back to the server's default.
    await expectHealthy('v7');
  });

  it('no counter ever went down across the whole sequence of demos', () => {
    for (const [pod, series] of Object.entries(history)) {
      expect(series.length, pod).toBeGreaterThanOrEqual(5);
      expect(series, pod).toEqual([...series].sort((a, b) => a - b));
    }
  });
});

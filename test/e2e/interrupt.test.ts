// Ctrl-C and SIGTERM at every phase of every demo, and updates that get stuck, on the real cluster.
// After each one the cluster is read with helm and kubectl directly (never through k8s-lab): the
// release is deployed, every pod Ready on the expected version, the StatefulSet back on
// RollingUpdate partition 0 with 2 replicas, no canary pod or PVC left, and every counter (read
// with kubectl exec) at least what it was before, on the same PVC.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, Strategy } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, expectRollingUpdate, kubectlBin, kubectlJson, LOCAL_IMAGE, readCounterFile, repoRoot, requireCluster } from './cluster.js';

interface PodList {
  items: {
    metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
    status: { conditions?: { type: string; status: string }[] };
  }[];
}
interface ClaimList {
  items: { metadata: { name: string; uid: string } }[];
}

/**
 * Where each strategy can be interrupted: its phases, in order (see src/demos/strategies.ts), with
 * the flags that pick its flavour. Recreate runs twice: emulated (forced) at every phase, and as
 * the server does it (native Recreate where the API server has StatefulSetRecreateStrategy) at the
 * two phases that change something; the emulation has phases of those names too.
 */
const PHASES: [Strategy, string[], string[]][] = [
  ['rolling', [], ['baseline', 'rollout', 'settle']],
  ['recreate', ['--emulate-recreate'], ['baseline', 'prepare', 'recreate', 'restore', 'settle']],
  ['recreate', [], ['recreate', 'restore']],
  ['canary', [], ['baseline', 'scale-out', 'check', 'promote', 'scale-in', 'settle']],
  ['partition', [], ['baseline', 'first-pod', 'check', 'rest', 'settle']],
];
/** Phases that change nothing, or come after the update is complete: nothing to undo there. */
const NOTHING_TO_UNDO = new Set(['baseline', 'settle']);

interface Interrupted {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI and, once it prints `▸ <phase>:`, interrupts it: SIGINT to its whole process
 * group as a terminal's Ctrl-C does (helm and kubectl included), or SIGTERM to k8s-lab alone as
 * `kill` does. `again` sends a second SIGINT that long after the first.
 */
async function runAndInterrupt(args: string[], helm: string, phase: string, signal: 'SIGINT' | 'SIGTERM', again?: number): Promise<Interrupted> {
  const child = execa('node', [join(repoRoot, 'bin', 'k8s-lab.js'), ...args], {
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
    // Into the phase, not at its first instant: its helm upgrade or wait is under way.
    setTimeout(() => {
      const pid = child.pid!;
      if (signal === 'SIGINT') process.kill(-pid, 'SIGINT');
      else process.kill(pid, 'SIGTERM');
      if (again !== undefined) setTimeout(() => process.kill(-pid, 'SIGINT'), again);
    }, 300);
  });
  const result = await child;
  expect(sent, `phase ${phase} never started:\n${String(result.stderr)}`).toBe(true);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

describe.each(HELM_BINARIES)('interrupting demos with Helm $major on a real cluster', ({ major, path: helm }) => {
  const ns = `k8s-lab-int-h${major}`;
  const records = mkdtempSync(join(tmpdir(), `k8s-lab-int-h${major}-`));
  const run = (args: string[]) => cli([...args, '--namespace', ns], { helm });
  let url = '';
  /** The PVC UIDs of the two pods at the start: no case may change them. */
  let claimUids: Record<string, string> = {};
  /** Every counter read with kubectl exec after each case: none may ever go down. */
  const history: Record<string, number[]> = {};

  async function readAllCounters(): Promise<void> {
    for (const pod of ['helm-python-0', 'helm-python-1']) {
      const value = await readCounterFile(ns, pod);
      const seen = (history[pod] ??= []);
      expect(value, `${pod}'s counter went down: ${seen.join(' → ')} → ${value}`).toBeGreaterThanOrEqual(seen.at(-1) ?? 0);
      seen.push(value);
    }
  }

  /** The release is back in shape, read with helm and kubectl only. */
  async function expectRestored(version: string): Promise<void> {
    const { stdout } = await execa(helm, ['list', '--namespace', ns, '--filter', '^helm-python$', ...(major === 3 ? ['--all'] : []), '--output', 'json']);
    expect((JSON.parse(stdout) as { status: string }[]).map((r) => r.status)).toEqual(['deployed']);
    const sts = await kubectlJson<{ spec: { replicas: number; updateStrategy: unknown } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec.replicas).toBe(2);
    expectRollingUpdate(sts.spec.updateStrategy, 0);
    const pods = await kubectlJson<PodList>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=k8s-lab-counter']);
    expect(pods.items.map((p) => p.metadata.name).sort()).toEqual(['helm-python-0', 'helm-python-1']);
    for (const pod of pods.items) {
      expect(pod.metadata.deletionTimestamp, pod.metadata.name).toBeUndefined();
      expect(pod.metadata.labels['app.kubernetes.io/version'], pod.metadata.name).toBe(version);
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status, pod.metadata.name).toBe('True');
    }
    const claims = await kubectlJson<ClaimList>(['-n', ns, 'get', 'pvc']);
    expect(Object.fromEntries(claims.items.map((c) => [c.metadata.name, c.metadata.uid]))).toEqual(claimUids);
    await readAllCounters();
  }

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    // No fixed NodePort: 31987 is the cluster's one, and other suites use it.
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const svc = await kubectlJson<{ spec: { ports: { nodePort: number }[] } }>(['-n', ns, 'get', 'service', 'helm-python']);
    url = `http://127.0.0.1:${svc.spec.ports[0]!.nodePort}`;
    const claims = await kubectlJson<ClaimList>(['-n', ns, 'get', 'pvc']);
    claimUids = Object.fromEntries(claims.items.map((c) => [c.metadata.name, c.metadata.uid]));
    expect(Object.keys(claimUids).sort()).toEqual(['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1']);
    await readAllCounters();
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
  });

  // Helm 4 at every phase of every strategy; Helm 3 (the same code, other helm flags) at the
  // phases that change the most.
  const cases = PHASES.flatMap(([strategy, flags, phases]) => phases.map((phase) => ({ strategy, flags, phase, name: [strategy, ...flags].join(' ') })));
  const helm3Cases = new Set([
    'rolling rollout',
    'recreate --emulate-recreate recreate',
    'recreate recreate',
    'canary scale-out',
    'canary promote',
    'partition first-pod',
  ]);
  const chosen = [
    ...(major === 4 ? cases : cases.filter((c) => helm3Cases.has(`${c.name} ${c.phase}`))),
    { strategy: 'canary' as Strategy, flags: [] as string[], phase: 'abort', name: 'canary' },
  ];

  it.each(chosen.map((c, i) => ({ ...c, signal: i % 2 === 0 ? ('SIGINT' as const) : ('SIGTERM' as const) })))(
    '$signal during $name $phase: undone, exit 130, release deployed, pods Ready, nothing lost',
    async ({ strategy, flags, phase, signal }) => {
      const extra = [...flags, ...(phase === 'abort' ? ['--broken', '--ready-timeout', '10s'] : [])];
      // Without --json: the phases are printed on stderr, the run record's path on its last line.
      const result = await runAndInterrupt(
        ['demo-update', '--strategy', strategy, '--check', '4s', '--settle', '3s', '--url', url, '--record-dir', records, ...extra, '--namespace', ns],
        helm,
        phase,
        signal,
      );
      expect(result.exitCode, result.stderr).toBe(130);
      const record = JSON.parse(readFileSync(/ — see (\S+\.json)$/.exec(lastLine(result.stderr))![1]!, 'utf8')) as RunRecord;
      expect(result.stdout).toContain(`${strategy} ${record.versions.from} → ${record.versions.to}: interrupted`);
      expect(record.verdict).toBe('interrupted');
      expect(lastLine(result.stderr)).toMatch(new RegExp(`^✖ ${strategy} interrupted \\(${signal}\\) during ${phase}; .* — see .*\\.json$`));
      const undone = record.phases.find((p) => p.name === 'undo');
      if (phase === 'baseline') {
        expect(record.reason).toMatch(/nothing had been changed/);
        expect(undone).toBeUndefined();
      } else if (phase === 'settle') {
        expect(record.reason).toMatch(new RegExp(`the update to ${record.versions.to} had completed: nothing to undo`));
        expect(undone).toBeUndefined();
      } else {
        expect(undone, record.reason).toBeDefined();
        const from = record.versions.from;
        expect(record.reason).toMatch(
          new RegExp(
            `undone: held at ${from} with partition 2: .*; helm rollback helm-python \\d+: ${from}, 2 replicas, updateStrategy RollingUpdate, partition 0; 2 pods Ready on ${from}`,
          ),
        );
        expect(result.stderr).toContain('  helm rollback helm-python');
        // Undoing replaces one pod at a time: no request fails while it runs (recreate's own
        // outage may still be under way when it starts).
        if (strategy !== 'recreate') {
          expect(record.samples.filter((s) => !s.ok && s.t >= undone!.start).map((s) => s.t)).toEqual([]);
        }
      }
      expect(NOTHING_TO_UNDO.has(phase) || undone !== undefined).toBe(true);
      // The probe ran through the undo: a rolling undo loses no request, and data is checked.
      expect(record.dataPreserved, JSON.stringify(record.dataChecks)).toBe(true);
      await expectRestored(phase === 'settle' ? record.versions.to : record.versions.from);
    },
  );

  it('a second Ctrl-C while undoing stops at once and says how to put things back; deploy does', async () => {
    const result = await runAndInterrupt(
      ['demo-update', '--strategy', 'partition', '--check', '4s', '--url', url, '--record-dir', records, '--namespace', ns],
      helm,
      'first-pod',
      'SIGINT',
      2500,
    );
    expect(result.exitCode).toBe(130);
    expect(lastLine(result.stderr)).toMatch(
      /^✖ interrupted again \(SIGINT\): stopped before the demo's changes were undone — put the chart values back with `k8s-lab deploy`/,
    );
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const values = (await run(['status', '--json'])).json<{ release: { status: string } }>();
    expect(values.release.status).toBe('deployed');
    const pods = await kubectlJson<PodList>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=k8s-lab-counter']);
    await expectRestored(pods.items[0]!.metadata.labels['app.kubernetes.io/version']!);
  });

  if (major === 4) {
    it('a rolling update that gets stuck is found within --timeout, explained with the pod events, and recovered', async () => {
      const result = await run(['demo-update', '--strategy', 'rolling', '--broken', '--timeout', '25s', '--url', url, '--record-dir', records, '--json']);
      expect(result.exitCode, result.stderr).toBe(1);
      const record = result.json<RunRecord>();
      expect(record.verdict).toBe('failed');
      expect(lastLine(result.stderr)).toMatch(
        /^✖ rolling update failed: pods of helm-python not Ready after 25 s \(1\/2 Ready: helm-python-1 Running\) \(helm-python-1: Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 \(×\d+\)\); recovered: held at (v\d+) with partition 2: no more pods change while those under way finish; replaced helm-python-1 \(not Ready on the new version\); helm rollback helm-python \d+: \1, 2 replicas, updateStrategy RollingUpdate, partition 0; 2 pods Ready on \1 — see /,
      );
      expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'rollout', 'recover']);
      expect(record.probe.failures).toBe(0);
      expect(record.dataPreserved).toBe(true);
      await expectRestored(record.versions.from);
    });

    it('with --no-recover a stuck partition is left for inspection, and the printed recovery commands work', async () => {
      const result = await run([
        'demo-update',
        '--strategy',
        'partition',
        '--broken',
        '--no-recover',
        '--timeout',
        '20s',
        '--url',
        url,
        '--record-dir',
        records,
        '--json',
      ]);
      expect(result.exitCode, result.stderr).toBe(1);
      const record = result.json<RunRecord>();
      const match = /left as it is \(--no-recover\); to recover: (helm rollback helm-python (\d+) -n \S+) && (kubectl delete pod helm-python-1 -n \S+)/.exec(
        record.reason,
      );
      expect(match, record.reason).not.toBeNull();
      const sts = await kubectlJson<{ spec: { updateStrategy: unknown } }>(['-n', ns, 'get', 'statefulset', 'helm-python']);
      expectRollingUpdate(sts.spec.updateStrategy, 1);
      // The commands as printed, run with the real tools.
      const [rollback, remove] = [match![1]!.split(' '), match![3]!.split(' ')];
      await execa(helm, rollback.slice(1));
      await execa(kubectlBin, remove.slice(1));
      const deadline = Date.now() + 120_000;
      for (;;) {
        try {
          await expectRestored(record.versions.from);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    });
  }
});

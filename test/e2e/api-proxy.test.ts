import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectlJson, LOCAL_IMAGE, repoRoot, requireCluster } from './cluster.js';

// The probe's last fallback: a Service with no NodePort (ClusterIP) is reached through the API
// server's service proxy, through one `kubectl proxy` rather than a `kubectl get --raw` a request,
// and the run record and the report say the figures were measured that way. And where the
// kubeconfig needs kubectl (here: $HTTPS_PROXY set, which kubectl ignores for 127.0.0.1 and
// k8s-lab cannot), a demo reads through one `kubectl proxy`: killed mid-rollout, it is started again.

const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-apiproxy';

describe('the API server fallback on a real cluster', () => {
  const ns = `${NS_PREFIX}-apiproxy`;
  const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;
  const work = mkdtempSync(join(tmpdir(), 'k8s-lab-apiproxy-'));
  const run = (args: string[]) => cli([...args, '--namespace', ns], { helm });

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await run(['deploy', '--image', LOCAL_IMAGE, '--set', 'service.type=ClusterIP']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    await run(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
    rmSync(work, { recursive: true, force: true });
  });

  it('traffic goes through one API connection, no kubectl get --raw', async () => {
    const result = await run(['traffic', '--requests', '12', '--verbose']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain("through one API connection (k8s-lab's own, or one kubectl proxy)");
    expect(result.stderr).not.toContain('get --raw');
    // With this cluster's kubeconfig (client certificates) k8s-lab reads the API server itself: no kubectl proxy at all.
    expect(result.stderr.match(/^\s*\S* ?\$ \S*kubectl\S* .*\bproxy\b.*\(streaming\)$/gm)).toBeNull();
    expect(result.stdout).toMatch(/12 requests in [\d.]+ s: 12 ok, 0 failed/);
  });

  it('a demo measured that way says so in its record and in the report', async () => {
    const demo = await run(['demo-update', '--strategy', 'rolling', '--record-dir', join(work, 'runs'), '--json']);
    expect(demo.exitCode, demo.stderr.slice(-2000)).toBe(0);
    const record = demo.json<RunRecord>();
    expect(record.probeVia).toBe('api-server-proxy');
    expect(record.notes.find((n) => n.startsWith('Probe:'))).toContain("through one API connection (k8s-lab's own, or one kubectl proxy)");
    expect(record.probe.requests).toBeGreaterThan(0);
    const report = await run(['report', '--record-dir', join(work, 'runs'), '--output', join(work, 'README.md')]);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(readFileSync(join(work, 'README.md'), 'utf8')).toContain("Measured through the API server's service proxy: no NodePort or node address answered");
  });

  it('a demo reading through kubectl proxy goes on when that proxy is killed mid-rollout: a second one serves, the record names the window, the release fully updated', async () => {
    const records = join(work, 'killed');
    const child = execa(
      'node',
      [join(repoRoot, 'bin', 'k8s-lab.js'), 'demo-update', '--strategy', 'rolling', '--settle', '1s', '--record-dir', records, '--namespace', ns, '--verbose'],
      {
        reject: false,
        timeout: 400_000,
        stdin: 'ignore',
        env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm, HTTPS_PROXY: 'http://127.0.0.1:9' },
      },
    );
    /** The CLI's `kubectl proxy` children, by pid. */
    const proxies = async () =>
      (await execa('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)], { reject: false })).stdout
        .split('\n')
        .filter((line) => /kubectl\S* .*\bproxy\b/.test(line))
        .map((line) => Number(line.trim().split(/\s+/)[0]));
    let killed: Promise<number[]> | undefined;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (killed || !chunk.includes('▸ rollout:')) return;
      // Into the rollout: its helm upgrade under way, the pods being read through the proxy.
      killed = new Promise((resolve) => setTimeout(resolve, 500)).then(async () => {
        const pids = await proxies();
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        return pids;
      });
    });
    const result = await child;
    const stderr = String(result.stderr);
    expect(killed, `"▸ rollout:" never printed:\n${stderr.slice(-3000)}`).toBeDefined();
    const pids = await killed!;
    // One kubectl proxy ran when it was killed; the reads went on through a new one.
    expect(pids).toHaveLength(1);
    expect(stderr).toMatch(/kubectl proxy (exited \(exit code \d+\)|refused connections), started again \(1 of 3\)/);
    // Exit 1 only for the probe's requests lost while no proxy served (the verdict), never an undo.
    expect([0, 1], stderr.slice(-3000)).toContain(result.exitCode);
    expect(stderr).not.toMatch(/undo|rolled back|helm rollback/i);
    const files = readdirSync(records).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const record = JSON.parse(readFileSync(join(records, files[0]!), 'utf8')) as RunRecord;
    const seen = (record.controlPlane?.away ?? []).flatMap((w) => w.seen);
    expect(
      seen.some((s) => /^kubectl proxy: (exited \(exit code \d+\)|refused connections), started again \(1 of 3\)/.test(s)),
      JSON.stringify(record.controlPlane),
    ).toBe(true);
    // The release, read with kubectl: every pod on the version the demo went to.
    const pods = await kubectlJson<{ items: { metadata: { labels: Record<string, string> } }[] }>([
      '-n',
      ns,
      'get',
      'pods',
      '-l',
      'app.kubernetes.io/name=k8s-lab-counter',
    ]);
    expect(pods.items.map((p) => p.metadata.labels['app.kubernetes.io/version'])).toEqual(pods.items.map(() => record.versions.to));
    expect(pods.items).toHaveLength(2);
    const windows = (record.controlPlane?.away ?? []).map((w) => `${((w.end - w.start) / 1000).toFixed(1)} s (${w.seen.join('; ')})`);
    console.log(
      `kubectl proxy killed mid-rollout: exit ${result.exitCode}, ${record.probe.failures}/${record.probe.requests} requests failed, ${windows.join(', ')}`,
    );
  });
});

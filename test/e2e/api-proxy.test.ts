import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, LOCAL_IMAGE, requireCluster } from './cluster.js';

// The probe's last fallback: a Service with no NodePort (ClusterIP) is reached through the API
// server's service proxy, through one `kubectl proxy` rather than a `kubectl get --raw` a request,
// and the run record and the report say the figures were measured that way.

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
});

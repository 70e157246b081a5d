import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectl, LOCAL_IMAGE, nodePortUrl, repoRoot, requireCluster } from './cluster.js';

// A report holds the user's own measurements only: run from a fresh folder that also holds the
// committed sample's run records (measured on another machine) where commands write by default,
// a demo and then a report use the run of this cluster and leave the sample out.

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31947);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-report';

describe('report on a real cluster: only the records of this cluster, release and namespace', () => {
  const ns = `${NS_PREFIX}-scope`;
  const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;
  const work = mkdtempSync(join(tmpdir(), 'k8s-lab-report-scope-'));
  const sampleRuns = join(repoRoot, 'lab-report', 'sample', 'runs');
  const run = (args: string[]) =>
    execa('node', [join(repoRoot, 'bin', 'k8s-lab.js'), ...args, '--namespace', ns], {
      cwd: work,
      reject: false,
      timeout: 600_000,
      stdin: 'ignore',
      env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm },
    });

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    // The worst case: the sample's records where the commands write and read by default.
    mkdirSync(join(work, 'lab-report'), { recursive: true });
    cpSync(sampleRuns, join(work, 'lab-report', 'runs'), { recursive: true });
    const deployed = await cli(['deploy', '--namespace', ns, '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`], { helm });
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    await cli(['teardown', '--namespace', ns, '--delete-data', '--yes'], { helm });
    await deleteNamespace(ns);
    rmSync(work, { recursive: true, force: true });
  });

  it('records the cluster it measured on, and the report leaves out the sample and a record of another cluster', async () => {
    const demo = await run(['demo-update', '--strategy', 'rolling', '--url', nodePortUrl(NODE_PORT), '--json']);
    expect(demo.exitCode, String(demo.stderr).slice(-2000)).toBe(0);
    const record = JSON.parse(String(demo.stdout)) as RunRecord;
    // Read independently: the kube-system namespace's UID and the kubeconfig's server.
    const uid = String((await kubectl(['get', 'namespace', 'kube-system', '-o', 'jsonpath={.metadata.uid}'])).stdout);
    const server = String((await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).stdout);
    expect(record.cluster).toMatchObject({ uid, server });
    expect(record.namespace).toBe(ns);

    // The same run as if measured on another cluster: another kube-system UID.
    const elsewhere = { ...record, id: 'measured-on-another-cluster', startedAt: '2099-01-01T00:00:00.000Z', cluster: { ...record.cluster!, uid: 'another' } };
    writeFileSync(join(work, 'lab-report', 'runs', 'elsewhere.json'), JSON.stringify(elsewhere));

    const report = await run(['report']);
    expect(report.exitCode, String(report.stderr)).toBe(0);
    const markdown = readFileSync(join(work, 'lab-report', 'README.md'), 'utf8');
    // The sample's records name the cluster and namespace they were measured on (another machine's).
    const sampleIds = readdirSync(sampleRuns).map((f) => f.replace(/\.json$/, ''));
    for (const id of [...sampleIds, 'measured-on-another-cluster']) expect(markdown).not.toContain(id);
    expect(markdown).not.toContain('recreate — emulated');
    expect(markdown).toContain(`Latest run \`${record.id}\``);
    expect(markdown).toContain(
      `- Run records: 1 run of this release; the comparison uses the latest of each strategy (1 strategy measured); ${1 + sampleIds.length} records of another cluster, release or namespace left out`,
    );
    expect(markdown).toContain(`kube-system namespace, \`${uid}\``);
  });
});

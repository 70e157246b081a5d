import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/demos/record.js';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, kubectl, LOCAL_IMAGE, nodePortUrl, readCounterFile, requireCluster } from './cluster.js';

// The whole lab in one go with Helm 4, then the report checked against its run records and against
// the cluster read independently.

// The report's number formats as the README's sample shows them, written out here rather than taken
// from src/report/format.ts: whole milliseconds below a second, else seconds with one decimal; ratios
// as percentages with two decimals.
const duration = (ms: number) => (Math.abs(Math.round(ms)) < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const percent = (ratio: number) => `${(ratio * 100).toFixed(2)}%`;
describe('k8s-lab lab on a real cluster', () => {
  const ns = 'k8s-lab-e2e-lab';
  const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;
  const work = mkdtempSync(join(tmpdir(), 'k8s-lab-lab-'));
  const output = join(work, 'report', 'README.md');
  const recordDir = join(work, 'runs');
  let result: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    result = await cli(['lab', '--namespace', ns, '--image', LOCAL_IMAGE, '--url', nodePortUrl(), '--output', output, '--record-dir', recordDir], { helm });
  });
  afterAll(async () => {
    await cli(['teardown', '--namespace', ns, '--delete-data', '--yes'], { helm });
    await deleteNamespace(ns);
  });

  it('runs every step and prints the report path last', () => {
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(output);
    for (const step of [
      'doctor',
      'deploy',
      'traffic',
      'counters',
      'demo-update --strategy rolling',
      'demo-update --strategy recreate',
      'demo-update --strategy canary',
      'demo-update --strategy partition',
      'demo-drain',
      'report',
    ]) {
      expect(result.stderr).toContain(`] ${step}\n`);
    }
  });

  it('fills the comparison table with exactly the numbers of the run records', () => {
    const records = readdirSync(recordDir).map((f) => JSON.parse(readFileSync(join(recordDir, f), 'utf8')) as RunRecord);
    expect(records.map((r) => r.strategy).sort()).toEqual(['canary', 'partition', 'recreate', 'rolling']);
    const markdown = readFileSync(output, 'utf8');
    for (const record of records) {
      // A recreate run's row says how it was carried out (native or emulated), as its record does.
      const name = record.strategy === 'recreate' ? `recreate — ${record.method?.label ?? ''}` : record.strategy;
      const row = markdown.split('\n').find((line) => line.startsWith(`| ${name} |`));
      expect(row, name).toBeDefined();
      const cells = row!
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      expect(cells).toEqual([
        name,
        `${record.versions.from} → ${record.versions.to}`,
        duration(record.durationMs),
        `${record.probe.requests} (${record.probe.failures} failed)`,
        percent(record.probe.successRatio),
        duration(record.probe.longestOutageMs),
        String(record.maxPodsDown),
        record.dataPreserved ? '✓' : '✗',
        record.verdict,
      ]);
      expect(existsSync(join(work, 'report', 'timelines', `${record.id}.svg`))).toBe(true);
    }
  });

  it('shows the live cluster as kubectl reads it', async () => {
    const markdown = readFileSync(output, 'utf8');
    for (const pod of ['helm-python-0', 'helm-python-1']) {
      const counter = await readCounterFile(ns, pod);
      expect(markdown).toContain(`$ kubectl exec ${pod} -- cat /data/counter.json\n{"counter": ${counter}}`);
    }
    const { stdout } = await kubectl(['-n', ns, 'get', 'statefulset', 'helm-python', '-o', 'jsonpath={.spec.podManagementPolicy}']);
    expect(markdown).toContain(`its live \`podManagementPolicy\` is \`${String(stdout)}\``);
    const pvcs = String((await kubectl(['-n', ns, 'get', 'pvc', '-o', 'jsonpath={.items[*].spec.volumeName}'])).stdout).split(' ');
    for (const volume of pvcs) expect(markdown).toContain(volume);
  });
});

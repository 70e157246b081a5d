import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callsOf, runCommand } from '../../support/fake-cluster.js';
import {
  HELM_VERSION,
  KUBECTL_CLIENT,
  KUBECTL_SERVER,
  KUBE_SYSTEM,
  KUBECONFIG_VIEW,
  NOW,
  OVERVIEW,
  PODS,
  readCounter,
  STATEFULSET,
  STATEFULSET_MISSING,
} from '../../support/cluster-objects.js';
import { fixtureJson } from '../../support/fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-lab-report-test-'));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const RUN_ID = '2026-11-24T03-18-02-114Z-rolling';

/** The recorded rolling run, as if it had run in namespace lab. */
function recordDir(): string {
  const runs = join(dir, 'runs');
  mkdirSync(runs);
  writeFileSync(join(runs, `${RUN_ID}.json`), JSON.stringify({ ...fixtureJson<object>(`runs/${RUN_ID}.json`), namespace: 'lab' }));
  writeFileSync(join(runs, 'notes.json'), '{"not": "a record"}');
  return runs;
}

describe('k8s-lab report', () => {
  it('reads the live cluster and the run records and writes the report with a timeline per run', async () => {
    const runs = recordDir();
    const output = join(dir, 'out', 'README.md');
    const script = [
      STATEFULSET,
      HELM_VERSION,
      KUBECTL_CLIENT,
      KUBECTL_SERVER,
      KUBECONFIG_VIEW,
      KUBE_SYSTEM,
      OVERVIEW,
      STATEFULSET,
      PODS,
      readCounter(0, 16),
      readCounter(1, 14),
    ];
    const run = await runCommand(['-n', 'lab', 'report', '--output', output, '--record-dir', runs], script);
    expect(run).toEqual({
      code: 0,
      stdout: `${output}\n`,
      stderr: `⚠ skipping ${join(runs, 'notes.json')}: not a k8s-lab run record\n✔ report written with 1 timeline picture\n`,
      calls: callsOf(script),
    });
    const markdown = readFileSync(output, 'utf8');
    expect(markdown).toContain('helm-python');
    expect(markdown).toContain('counter-data-py-helm-python-1');
    expect(markdown).toContain(`timelines/${RUN_ID}.svg`);
    expect(readFileSync(join(dir, 'out', 'timelines', `${RUN_ID}.svg`), 'utf8')).toMatch(/^<svg /);
  });

  it('leaves out the records of another cluster (another kube-system UID): no row, no picture, counted', async () => {
    const runs = recordDir();
    const other = fixtureJson<{ cluster: object }>(`runs/${RUN_ID}.json`);
    writeFileSync(
      join(runs, 'other.json'),
      JSON.stringify({ ...other, id: 'measured-elsewhere', namespace: 'lab', cluster: { ...other.cluster, uid: 'another-uid' } }),
    );
    const output = join(dir, 'README.md');
    const script = [
      STATEFULSET,
      HELM_VERSION,
      KUBECTL_CLIENT,
      KUBECTL_SERVER,
      KUBECONFIG_VIEW,
      KUBE_SYSTEM,
      OVERVIEW,
      STATEFULSET,
      PODS,
      readCounter(0, 1),
      readCounter(1, 2),
    ];
    const run = await runCommand(['-n', 'lab', '--json', 'report', '--output', output, '--record-dir', runs], script);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ report: output, files: [join(dir, 'timelines', `${RUN_ID}.svg`)] });
    const markdown = readFileSync(output, 'utf8');
    expect(markdown).not.toContain('measured-elsewhere');
    expect(markdown).toContain('1 record of another cluster, release or namespace left out');
  });

  it('--json names the report and its pictures', async () => {
    const output = join(dir, 'README.md');
    const script = [
      STATEFULSET,
      HELM_VERSION,
      KUBECTL_CLIENT,
      KUBECTL_SERVER,
      KUBECONFIG_VIEW,
      KUBE_SYSTEM,
      OVERVIEW,
      STATEFULSET,
      PODS,
      readCounter(0, 1),
      readCounter(1, 2),
    ];
    const run = await runCommand(['-n', 'lab', '--json', 'report', '--output', output, '--record-dir', recordDir()], script);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ report: output, files: [join(dir, 'timelines', `${RUN_ID}.svg`)] });
  });

  it('without the release: exit 1, one line, nothing written', async () => {
    const output = join(dir, 'README.md');
    const run = await runCommand(['-n', 'lab', 'report', '--output', output, '--record-dir', join(dir, 'runs')], [STATEFULSET_MISSING]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: '✖ release helm-python is not deployed in namespace lab: the report reads the live cluster — deploy it first: `k8s-lab deploy`\n',
      calls: callsOf([STATEFULSET_MISSING]),
    });
    expect(existsSync(output)).toBe(false);
  });
});

describe('k8s-lab report: the output path is checked before any work', () => {
  it('--output under /proc: exit 2, one line, no call, at once', async () => {
    const started = Date.now();
    const run = await runCommand(['-n', 'lab', 'report', '--output', '/proc/x/report.md'], []);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '✖ --output "/proc/x/report.md" cannot be written: ENOENT in /proc — pass --output with a directory you can write to\n',
      calls: [],
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('--output below a file: exit 2', async () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    const run = await runCommand(['-n', 'lab', 'report', '--output', join(file, 'sub', 'README.md')], []);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `✖ --output "${join(file, 'sub', 'README.md')}" cannot be written: ${file} is not a directory — pass --output with a directory you can write to\n`,
      calls: [],
    });
  });

  it('--output naming a directory: exit 2', async () => {
    const run = await runCommand(['-n', 'lab', 'report', '--output', dir], []);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `✖ --output "${dir}" is a directory — pass --output with a file name, e.g. ${join(dir, 'README.md')}\n`,
      calls: [],
    });
  });

  it('lab checks its --output before its first step', async () => {
    const run = await runCommand(['-n', 'lab', 'lab', '--output', '/proc/x/report.md'], []);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '✖ --output "/proc/x/report.md" cannot be written: ENOENT in /proc — pass --output with a directory you can write to\n',
      calls: [],
    });
  });
});

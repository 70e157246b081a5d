import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { repoRoot } from './cluster.js';

// What a user gets from `npm pack` / the registry: the bin, the built CLI, the chart and templates,
// installed into an empty folder and run on each supported Node (22 and 24, fetched by
// scripts/node-version.sh) with nothing else from the repository.
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-pack';
const helm = HELM_BINARIES[1]!.path;
const work = mkdtempSync(join(tmpdir(), 'k8s-lab-pack-'));
let tarball = '';

beforeAll(async () => {
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', work], { cwd: repoRoot });
  tarball = join(work, String(packed.stdout).trim().split('\n').pop()!);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('holds only the bin, the built CLI, the chart, the report template, the RBAC files and the package files', async () => {
    const listing = await execa('tar', ['-tzf', tarball]);
    const files = String(listing.stdout).split('\n').filter(Boolean);
    const outside = files.filter(
      (file) => !/^package\/(bin|dist|chart|templates|rbac)\//.test(file) && !/^package\/(package\.json|README\.md|LICENSE)$/.test(file),
    );
    expect(outside).toEqual([]);
    // No tests, fixtures, sample run records or sources.
    expect(files.filter((file) => /\/(test|fixtures|lab-report|src|runs|lessons)\//.test(file))).toEqual([]);
    expect(files).toContain('package/chart/files/server.py');
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain('package/rbac/k8s-lab-user.yaml');
    expect(statSync(tarball).size).toBeLessThan(512 * 1024);
  });
});

describe.each(['22', '24'])('the packed tarball installed in an empty folder, on Node %s', (major) => {
  const app = join(work, `app-node${major}`);
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const nodeBin = String((await execa(join(repoRoot, 'scripts', 'node-version.sh'), [major])).stdout).trim();
    env = { PATH: `${nodeBin}${delimiter}${process.env.PATH ?? ''}`, K8S_LAB_HELM: helm };
    mkdirSync(app);
    await execa('npm', ['init', '-y'], { cwd: app, env });
    await execa('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app, env });
  }, 300_000);

  it(`runs on Node ${major}`, async () => {
    const version = await execa('node', ['--version'], { cwd: app, env });
    expect(String(version.stdout)).toMatch(new RegExp(`^v${major}\\.`));
  });

  it('runs `npx k8s-lab --help` and finds its bundled chart', async () => {
    const installed = join(app, 'node_modules', 'k8s-lab');
    expect(readdirSync(join(installed, 'chart', 'templates'))).toContain('statefulset.yaml');
    expect(existsSync(join(installed, 'chart', 'files', 'server.py'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);

    const help = await execa('npx', ['k8s-lab', '--help'], { cwd: app, reject: false, env });
    expect(help.exitCode).toBe(0);
    expect(String(help.stdout)).toMatch(/Usage: k8s-lab/);
    for (const command of ['deploy', 'status', 'counters', 'traffic', 'teardown', 'doctor']) expect(String(help.stdout)).toContain(command);
    // The bin prints the help pages the build saved (dist/help.json) without loading the CLI: the
    // same text, to the byte, as the CLI itself prints.
    for (const argv of [['--help'], ['counters', '--help'], ['demo-update', '--help']]) {
      const saved = await execa('node', [join(installed, 'bin', 'k8s-lab.js'), ...argv], { cwd: app, stripFinalNewline: false });
      const live = await execa(
        'node',
        [
          '--input-type=module',
          '-e',
          'const { main } = await import(process.argv[1]); await main(JSON.parse(process.argv[2]));',
          join(installed, 'dist', 'cli.js'),
          JSON.stringify(argv),
        ],
        { cwd: app, stripFinalNewline: false },
      );
      expect(String(saved.stdout)).toBe(String(live.stdout));
      expect(String(saved.stdout)).toMatch(/^Usage: k8s-lab/);
    }

    // The chunk with the WebSocket client (ws, bundled) loads without ws's optional native add-ons.
    const wsChunk = readdirSync(join(installed, 'dist')).find((file) => file.startsWith('pod-exec-'));
    expect(wsChunk).toBeDefined();
    expect(existsSync(join(app, 'node_modules', 'bufferutil'))).toBe(false);
    const loaded = await execa(
      'node',
      ['--input-type=module', '-e', 'const m = await import(process.argv[1]); console.log(Object.keys(m).length > 0)', join(installed, 'dist', wsChunk!)],
      { cwd: app, reject: false, env },
    );
    expect(loaded.exitCode, String(loaded.stderr)).toBe(0);
    expect(String(loaded.stdout).trim()).toBe('true');

    // A dry run points helm at the chart inside the installed package.
    const dryRun = await execa('npx', ['k8s-lab', 'deploy', '--dry-run'], { cwd: app, reject: false, env });
    expect(dryRun.exitCode, String(dryRun.stderr)).toBe(0);
    expect(String(dryRun.stdout)).toContain(`upgrade --install helm-python ${join(installed, 'chart')} `);
  });

  it('runs `npx k8s-lab doctor` against the cluster', async () => {
    const ns = `${NS_PREFIX}-pack-node${major}`;
    const doctor = await execa('npx', ['k8s-lab', 'doctor', '--json', '--namespace', ns], { cwd: app, reject: false, env: { ...env, FORCE_COLOR: '0' } });
    expect(doctor.exitCode, String(doctor.stderr)).toBe(0);
    const { checks, versions } = JSON.parse(String(doctor.stdout)) as {
      checks: { name: string; state: string }[];
      versions: { helmMajor: number; server: string };
    };
    expect(versions.helmMajor).toBe(4);
    expect(versions.server).toMatch(/^v1\.\d+\.\d+/);
    const byName = Object.fromEntries(checks.map((check) => [check.name, check.state]));
    expect(byName.cluster).toBe('ok');
    // Nothing of the lab is installed in this namespace: doctor says so and changes nothing.
    expect(byName.release).toBe('skip');
  });
});

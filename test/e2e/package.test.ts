import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { repoRoot } from './cluster.js';

// What a user gets from `npm pack` / the registry: the bin, the built CLI, the chart and templates.
describe('the packed tarball installed in an empty folder', () => {
  const work = mkdtempSync(join(tmpdir(), 'k8s-lab-pack-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs `npx k8s-lab --help` and finds its bundled chart', async () => {
    const packed = await execa('npm', ['pack', '--silent', '--pack-destination', work], { cwd: repoRoot });
    const tarball = join(work, String(packed.stdout).trim().split('\n').pop()!);
    const app = join(work, 'app');
    mkdirSync(app);
    await execa('npm', ['init', '-y'], { cwd: app });
    await execa('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app });

    const installed = join(app, 'node_modules', 'k8s-lab');
    expect(readdirSync(join(installed, 'chart', 'templates'))).toContain('statefulset.yaml');
    expect(existsSync(join(installed, 'chart', 'files', 'server.py'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);

    const help = await execa('npx', ['k8s-lab', '--help'], { cwd: app, reject: false });
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
      { cwd: app, reject: false },
    );
    expect(loaded.exitCode, String(loaded.stderr)).toBe(0);
    expect(String(loaded.stdout).trim()).toBe('true');

    // A dry run points helm at the chart inside the installed package.
    const dryRun = await execa('npx', ['k8s-lab', 'deploy', '--dry-run'], { cwd: app, reject: false, env: { K8S_LAB_HELM: HELM_BINARIES[1]!.path } });
    expect(dryRun.exitCode, String(dryRun.stderr)).toBe(0);
    expect(String(dryRun.stdout)).toContain(`upgrade --install helm-python ${join(installed, 'chart')} `);
  });
});

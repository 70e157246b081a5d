// The README and docs/ against the code: docs/commands.md lists exactly the options each command has
// (src/commands/definitions.ts, src/cli.ts), the --dry-run claim holds, every relative link resolves,
// the README stays short, and kind.yaml maps the NodePorts the chart and demo-scale use.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../../src/commands/definitions.js';
import { runCommand } from '../support/fake-cluster.js';
import { REPO_ROOT } from '../support/tools.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const commandsPage = read('docs/commands.md');

/** The `## <heading>` section of docs/commands.md, up to the next `## `. */
function section(heading: string): string {
  const start = commandsPage.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = commandsPage.indexOf('\n## ', start + 1);
  return commandsPage.slice(start, end < 0 ? undefined : end);
}

/** The long options in the first cell of a section's table rows: `| `-o, --output <file>` | …` → --output. */
function documentedOptions(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `-'))
    .map((line) => /--[a-z][a-z0-9-]*/.exec(line.split('|')[1] ?? '')?.[0] ?? line)
    .sort();
}

const longs = (command: Command) => command.options.map((option) => option.long ?? option.flags).sort();
const documented = commands().filter((command) => command.name() !== 'complete');

describe('docs/commands.md', () => {
  it.each(documented.map((command) => [command.name(), command] as const))('lists exactly the options of `%s`', (name, command) => {
    const text = section(`\`${name}\``);
    expect(text, `no "## \`${name}\`" section`).not.toBe('');
    expect(documentedOptions(text)).toEqual(longs(command));
  });

  it('lists the options every command takes, as src/cli.ts defines them', () => {
    // Written out from src/cli.ts's program: what a user can pass before or after any command.
    expect(documentedOptions(section('Options every command takes'))).toEqual(['--context', '--json', '--kubeconfig', '--namespace', '--release', '--verbose']);
  });

  it('says --dry-run for exactly the commands that take it', () => {
    const takesDryRun = commands()
      .filter((command) => longs(command).includes('--dry-run'))
      .map((command) => command.name());
    expect(takesDryRun).toEqual(['deploy', 'teardown']);
    expect(section('What changes the cluster, and `--dry-run`')).toContain('`deploy` and `teardown` take `--dry-run`');
  });

  it.each([['demo-update', '--strategy', 'rolling'], ['demo-failover', '--mode', 'kill'], ['demo-scale'], ['lab']])(
    '%s refuses --dry-run as bad usage (exit 2) and calls nothing',
    async (...argv) => {
      const run = await runCommand([...argv, '--dry-run'], []);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("unknown option '--dry-run'");
      expect(run.calls).toEqual([]);
    },
  );
});

/** Every Markdown file a user reads: the README and docs/. */
const pages = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).map((file) => `docs/${file}`)];

describe('the README and docs/', () => {
  it('keeps the README at most 20 KB', () => {
    expect(statSync(join(REPO_ROOT, 'README.md')).size).toBeLessThanOrEqual(20 * 1024);
  });

  it.each(pages)('%s links only to files that exist', (page) => {
    const targets = [...read(page).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
    const missing = targets.filter((target) => !existsSync(join(REPO_ROOT, dirname(page), target)));
    expect(missing).toEqual([]);
  });

  it('links every page in docs/ from the README', () => {
    const readme = read('README.md');
    for (const page of pages.slice(1)) expect(readme, page).toContain(`](${page})`);
  });
});

describe('kind.yaml', () => {
  const kind = parse(read('kind.yaml')) as {
    featureGates: Record<string, boolean>;
    nodes: { role: string; image: string; extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
  };
  const chartPort = (parse(read('chart/values.yaml')) as { service: { nodePort: number } }).service.nodePort;

  it("maps the chart's NodePort and demo-scale's (the release's + 1) to the same port on 127.0.0.1", () => {
    const mappings = kind.nodes.flatMap((node) => node.extraPortMappings ?? []);
    expect(chartPort).toBe(31987);
    expect(mappings).toEqual([chartPort, chartPort + 1].map((port) => ({ containerPort: port, hostPort: port, listenAddress: '127.0.0.1', protocol: 'TCP' })));
  });

  it('runs Kubernetes 1.37 with the Recreate gate, a control plane and two workers', () => {
    expect(kind.featureGates).toEqual({ StatefulSetRecreateStrategy: true });
    expect(kind.nodes.map((node) => node.role)).toEqual(['control-plane', 'worker', 'worker']);
    for (const node of kind.nodes) expect(node.image).toMatch(/^kindest\/node:v1\.37\.\d+@sha256:[0-9a-f]{64}$/);
  });
});

// The live panel in a real terminal (tmux: the demo and `k8s-lab watch` each in a window of 80
// columns, read with capture-pane) on the real cluster, and its event lines off a terminal.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, LOCAL_IMAGE, repoRoot, requireCluster } from './cluster.js';

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31946);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-live';
const { path: helm } = HELM_BINARIES.at(-1)!;
const ns = `${NS_PREFIX}-panel`;
const records = mkdtempSync(join(tmpdir(), 'k8s-lab-live-'));
const socket = `k8s-lab-live-${process.pid}`;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
/** What a window shows now, as text. */
const screen = (window: string) => tmux('capture-pane', '-p', '-t', `live:${window}`, '-S', '-80');
const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

/**
 * Runs the built CLI in a new tmux window of 80 columns: a terminal, as a person has (CI is unset
 * there: the panel redraws only off CI). The window stays open after it ends, to read the summary.
 */
function openWindow(window: string, args: string[]): void {
  const command = `cd ${quote(repoRoot)} && env -u CI K8S_LAB_HELM=${quote(helm)} node bin/k8s-lab.js ${args.map(quote).join(' ')} --namespace ${ns}; echo "exit $?"; sleep 600`;
  tmux('new-window', '-d', '-t', 'live', '-n', window, command);
}

/** Polls a window until `seen` matches what it shows; fails with the last screen. */
async function waitForScreen(window: string, what: string, seen: (text: string) => boolean, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = screen(window);
    if (seen(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} never showed in window ${window}; last screen:\n${text}`);
}

describe('the live panel on a real cluster', () => {
  beforeAll(async () => {
    requireCluster();
    await deleteNamespace(ns);
    const deployed = await cli(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`, '--namespace', ns], { helm });
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    tmux('new-session', '-d', '-s', 'live', '-x', '80', '-y', '40');
    // Every window as big as the session, with no client attached to size it.
    tmux('set-option', '-t', 'live', 'window-size', 'manual');
    tmux('set-option', '-t', 'live', 'default-size', '80x40');
  });
  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await cli(['teardown', '--delete-data', '--yes', '--namespace', ns], { helm });
    await deleteNamespace(ns);
  });

  it('a canary in a terminal: during check the canary pod shows on v2, in the demo and in `k8s-lab watch`; the last frame stays above the summary', async () => {
    openWindow('watch', ['watch', '--traffic', '--for', '120s']);
    await waitForScreen(
      'watch',
      'the watch panel with both pods Ready',
      (text) => /^helm-python-0 +v1 .*Ready/m.test(text) && /^helm-python-1 +v1 .*Ready/m.test(text),
    );
    openWindow('canary', ['demo-update', '--strategy', 'canary', '--check', '8s', '--settle', '1s', '--record-dir', records]);
    const during = await waitForScreen(
      'canary',
      'the check phase with the canary Ready on v2',
      (text) => /^▸ check · /m.test(text) && /^helm-python-2 +v2 \S+ +Ready .* canary/m.test(text),
    );
    // The panel fits the terminal: no line is wrapped or cut by it.
    for (const line of during.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(during).toMatch(/^helm-python-0 +v1 \S+ +Ready/m);
    expect(during).toMatch(/^probe: \d+ sent, \d+ ok, 0 failed · no outage/m);
    const watched = await waitForScreen('watch', 'the canary in the watch panel', (text) => /^helm-python-2 +v2 .*Ready/m.test(text));
    expect(watched).toMatch(/^statefulset: 3 replicas \(\d ready\), partition 2, revision \w+ → \w+$/m);
    const done = await waitForScreen('canary', 'the end of the demo', (text) => /^exit \d+$/m.test(text), 180_000);
    expect(done, done).toMatch(/^exit 0$/m);
    // The final frame, then the summary below it: drawn once, not once per redraw.
    expect(done.indexOf('canary update of helm-python: v1 → v2')).toBeGreaterThanOrEqual(0);
    expect(done.indexOf('canary update of helm-python: v1 → v2')).toBeLessThan(done.indexOf('PHASE'));
    expect(done.split('canary update of helm-python: v1 → v2')).toHaveLength(2);
    expect(done).toMatch(/^▸ settle · /m);
    expect(done).toMatch(/^canary v1 → v2: passed/m);
  });

  it('a recreate in a terminal: the outage shows (OUTAGE and its length) while no pod answers, then how long it lasted', async () => {
    openWindow('recreate', ['demo-update', '--strategy', 'recreate', '--settle', '1s', '--record-dir', records]);
    const during = await waitForScreen('recreate', 'the outage', (text) => /^probe: .* · OUTAGE \d+\.\d s · /m.test(text));
    expect(during).toMatch(/^▸ recreate · /m);
    expect(during).toMatch(/probe +outage began/);
    const done = await waitForScreen('recreate', 'the end of the demo', (text) => /^exit \d+$/m.test(text), 180_000);
    expect(done).toMatch(/^exit 0$/m);
    expect(done).toMatch(/probe +outage ended after \d+\.\d s, \d+ failed/);
    expect(done).toMatch(/^probe: .* · \d+ outages?, longest \d+\.\d s/m);
  });

  it('off a terminal: the events as timestamped lines on stderr, in the order they happened; --json keeps stdout to the record', async () => {
    const run = await cli(['--json', 'demo-update', '--strategy', 'rolling', '--settle', '1s', '--record-dir', records, '--namespace', ns], { helm });
    expect(run.exitCode, run.stderr).toBe(0);
    const { strategy, versions } = run.json<{ strategy: string; versions: { from: string; to: string } }>();
    expect(strategy).toBe('rolling');
    const [from, to] = [versions.from, versions.to];
    const lines = run.stderr.split('\n').filter((line) => /^ +\d+\.\d s {2}/.test(line));
    const times = lines.map((line) => Number(/^ +(\d+\.\d) s/.exec(line)![1]));
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    // The phases, in order.
    expect([at(/▸ baseline:/), at(/▸ rollout:/), at(/▸ settle:/)].every((i, n, all) => i >= 0 && (n === 0 || i > all[n - 1]!))).toBe(true);
    // The StatefulSet's rolling order: the highest ordinal is replaced and Ready on the new version before the next goes.
    const event = (pod: string, what: string, version: string) => at(new RegExp(`${pod} {2}${what} {2}${version}$`));
    const order = [
      event('helm-python-1', 'deleting', from),
      event('helm-python-1', 'created', to),
      event('helm-python-1', 'Ready', to),
      event('helm-python-0', 'deleting', from),
      event('helm-python-0', 'created', to),
      event('helm-python-0', 'Ready', to),
    ];
    expect(
      order.every((i) => i >= 0),
      lines.join('\n'),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Pod and phase lines are printed as they happen: their times never go back.
    const podAndPhase = lines.filter((line) => !/ probe /.test(line)).map((line) => Number(/^ +(\d+\.\d) s/.exec(line)![1]));
    expect([...podAndPhase].sort((a, b) => a - b)).toEqual(podAndPhase);
    expect(times.length).toBe(lines.length);
  });
});

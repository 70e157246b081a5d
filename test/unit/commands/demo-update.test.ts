import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../src/commands/demo-update.js';
import type { RunRecord } from '../../../src/demos/record.js';
import { fixtureJson } from '../../support/fixtures.js';
import { callsOf, helm, runCommand } from '../../support/fake-cluster.js';
import { HELM_VERSION, KUBECTL_CLIENT, NS, PROXY_FAILS, STATEFULSET } from '../../support/cluster-objects.js';

const list = (status: string) =>
  helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status, chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  });
const values = (values: object) => helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: values });

/** The reads every demo starts with, in the order they are made. */
const checks = (status: string, releaseValues: object) => [HELM_VERSION, KUBECTL_CLIENT, STATEFULSET, list(status), values(releaseValues), PROXY_FAILS];

describe('k8s-lab demo-update: what it checks before the first change', () => {
  it('an update to the version the release already runs is a usage error: exit 2, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2, app: { version: 'v1' } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'rolling', '--to', 'v1', '--record-dir', '/nonexistent/runs'], script);
    expect(run).toEqual({ code: 2, stdout: '', stderr: '✖ the release already runs v1 — pass another --to version\n', calls: callsOf(script) });
  });

  it('a release mid-update is not updated again: exit 1, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2, app: { version: 'v1' }, updateStrategy: { type: 'RollingUpdate', partition: 1 } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'partition', '--record-dir', '/nonexistent/runs'], script);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        '✖ release helm-python is mid-update (updateStrategy RollingUpdate partition 1) — finish or undo it first: `k8s-lab deploy` with your usual options resets it\n',
      calls: callsOf(script),
    });
  });

  it('a release with no replicas has nothing to update', async () => {
    const script = checks('deployed', { replicaCount: 0, app: { version: 'v1' } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'canary', '--record-dir', '/nonexistent/runs'], script);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('✖ release helm-python has 0 replicas: nothing to update — deploy with --replicas 2 first\n');
  });

  it('an unknown strategy is a usage error before anything runs', async () => {
    const run = await runCommand(['demo-update', '--strategy', 'bluegreen'], []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✖ .*bluegreen.* — see k8s-lab demo-update --help\n$/);
    expect(run.calls).toEqual([]);
  });
});

describe('k8s-lab demo-update: --to is checked against the chart before anything runs', () => {
  it.each([
    [
      'v2 beta',
      "--to \"v2 beta\" is invalid: it must match ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$ (the chart's app.version, also a pod label: letters, digits, '-', '_' or '.', e.g. v2)",
    ],
    ['', "--to \"\" is invalid: it is empty (the chart's app.version, also a pod label: letters, digits, '-', '_' or '.', e.g. v2)"],
    [
      'v'.repeat(81),
      `--to "${'v'.repeat(81)}" is invalid: it is 81 characters long, at most 63 fit (the chart's app.version, also a pod label: letters, digits, '-', '_' or '.', e.g. v2)`,
    ],
    [
      '-v2',
      "--to \"-v2\" is invalid: it must match ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$ (the chart's app.version, also a pod label: letters, digits, '-', '_' or '.', e.g. v2)",
    ],
  ])('--to %j: exit 2, one line, no call', async (to, line) => {
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'rolling', '--to', to], []);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `✖ ${line} — see k8s-lab demo-update --help\n`, calls: [] });
  });

  it('a computed next version that does not fit is a usage error before any upgrade', async () => {
    const from = `${'a'.repeat(62)}9`;
    const script = checks('deployed', { replicaCount: 2, app: { version: from } });
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'rolling', '--record-dir', '/tmp'], script);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `✖ the version after ${from}, "${'a'.repeat(62)}10", is not a valid app version: it is 64 characters long, at most 63 fit — pass --to with a version such as v2\n`,
      calls: callsOf(script),
    });
  });

  it('a --record-dir that cannot be written is a usage error before anything runs', async () => {
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'rolling', '--record-dir', '/proc/x/runs'], []);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '✖ --record-dir "/proc/x/runs" cannot be written: ENOENT in /proc — pass --record-dir with a directory you can write to\n',
      calls: [],
    });
  });
});

describe('k8s-lab demo-update --step', () => {
  it('off a terminal (stderr is a pipe here) is refused with one line: exit 2, no call made', async () => {
    const run = await runCommand(['-n', 'lab', 'demo-update', '--strategy', 'rolling', '--step'], [], { tty: true });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '✖ --step waits for Enter before each phase, which needs a terminal: stdin and stderr are not one (a pipe, CI or --json) — leave out --step, or run it in a terminal\n',
      calls: [],
    });
  });

  it('with --json too: refused the same way', async () => {
    const run = await runCommand(['-n', 'lab', '--json', 'demo-update', '--strategy', 'canary', '--step'], []);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^✖ --step .* — leave out --step, or run it in a terminal\n$/);
  });
});

describe('a probe interval below the floor (50 ms) is refused before any call, wherever --interval is taken', () => {
  it.each([['demo-update', '--strategy', 'rolling'], ['demo-failover', '--mode', 'delete'], ['demo-scale'], ['watch', '--traffic']])(
    '%s … --interval 0 / 1ms: exit 2, one line, no helm or kubectl call',
    async (command, ...rest) => {
      for (const interval of ['0', '1ms', '20ms', '49ms']) {
        const run = await runCommand(['-n', 'lab', command, ...rest, '--interval', interval], []);
        expect(run).toEqual({
          code: 2,
          stdout: '',
          stderr: `✖ --interval "${interval}" is invalid: expected 50ms or more: one pod of the chart's app answers 20 requests a second without queueing them, and faster the probe measures itself — see k8s-lab ${command} --help\n`,
          calls: [],
        });
      }
    },
  );
});

describe('renderSummary: a demo that did not pass leaves its reason and record path to the error line that follows', () => {
  const partition = fixtureJson<RunRecord>('runs/2026-11-24T03-27-44-409Z-partition.json');
  it('passed: the verdict line and the record path end the summary', () => {
    expect(renderSummary(partition, '/tmp/p.json').split('\n').slice(-2)).toEqual([
      `partition v4 → v5: passed — ${partition.reason} (45.3 s)`,
      'run record: /tmp/p.json',
    ]);
  });
  it('failed or interrupted: neither the reason nor the path is in the summary', () => {
    for (const verdict of ['failed', 'interrupted'] as const) {
      const record = { ...partition, verdict, reason: 'interrupted (SIGINT) during rollout; undone: helm rollback to revision 3' };
      const summary = renderSummary(record, '/tmp/p.json');
      expect(summary).not.toContain('undone: helm rollback');
      expect(summary).not.toContain('/tmp/p.json');
      expect(summary.split('\n').at(-1)).toBe(`partition v4 → v5: ${verdict} (45.3 s)`);
    }
  });
});

describe('waits on pods below 10 s and a --check of fewer than 20 probe requests are refused before any call', () => {
  const tooShort = (flag: string, value: string, command: string) =>
    `✖ ${flag} "${value}" is invalid: expected 10s or more: replacing one pod of the chart takes 7-8 s (its 5 s preStop drain, then start and readiness), and a shorter wait times out after the release was changed — see k8s-lab ${command} --help\n`;
  it.each([
    [['deploy'], '--timeout'],
    [['demo-update', '--strategy', 'rolling'], '--timeout'],
    [['demo-update', '--strategy', 'canary'], '--ready-timeout'],
    [['demo-failover', '--mode', 'delete'], '--timeout'],
    [['demo-scale'], '--timeout'],
    [['teardown'], '--timeout'],
  ])('%j %s 9s: exit 2, no call', async (command, flag) => {
    const run = await runCommand(['-n', 'lab', ...command, flag, '9s'], []);
    expect(run).toEqual({ code: 2, stdout: '', stderr: tooShort(flag, '9s', command[0]!), calls: [] });
  });

  it.each([
    // 20 requests at the default 100 ms need 2 s; at 250 ms, 5 s.
    [['--strategy', 'canary', '--check', '1s'], '--check 1s', '2s'],
    [['--strategy', 'partition', '--check', '4s', '--interval', '250ms'], '--check 4s', '5s'],
  ])('%j: exit 2, no call', async (args, said, least) => {
    const run = await runCommand(['-n', 'lab', 'demo-update', ...args], []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^✖ ${said} spans fewer than 20 probe requests .* — pass --check ${least} or more, or a shorter --interval\\n$`));
    expect(run.calls).toEqual([]);
  });
});

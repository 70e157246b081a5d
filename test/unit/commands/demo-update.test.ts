import { describe, expect, it } from 'vitest';
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

import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import {
  HELM_VERSION,
  helmStatus,
  KUBECTL_CLIENT,
  NOT_INSTALLED,
  NOW,
  NS,
  OVERVIEW,
  OVERVIEW_TEXT,
  PODS,
  release,
  STATEFULSET,
  STATEFULSET_MISSING,
} from '../../support/cluster-objects.js';

const CHART = fileURLToPath(new URL('../../../chart', import.meta.url));
const IMAGE = ['--set-string', 'image.repository=localhost/k8s-lab/python', '--set-string', 'image.tag=3-bookworm'];
const ARGV = ['-n', 'lab', 'deploy', '--image', 'localhost/k8s-lab/python:3-bookworm'];

const TEMPLATE = helm([...NS, 'template', 'helm-python', CHART, ...IMAGE], { stdout: '---\n# rendered\n' });
const UPGRADE_ARGS = [...NS, 'upgrade', '--install', 'helm-python', CHART, ...IMAGE, '--timeout', '300s', '--wait=hookOnly', '--output', 'json'];
const NAMESPACE_EXISTS = kubectl(['get', 'namespace', 'lab', '--output', 'json', '--request-timeout=10s'], { stdout: { metadata: { name: 'lab' } } });
const NAMESPACE_MISSING = kubectl(['get', 'namespace', 'lab', '--output', 'json', '--request-timeout=10s'], {
  exitCode: 1,
  stderr: 'Error from server (NotFound): namespaces "lab" not found\n',
});
const CREATE_NAMESPACE = kubectl(['create', 'namespace', 'lab', '--request-timeout=10s'], { stdout: 'namespace/lab created\n' });
const REJECTED = { exitCode: 1, stderr: 'Error: INSTALLATION FAILED: admission webhook "policy.example.com" denied the request: image registry not allowed\n' };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('k8s-lab deploy', () => {
  it('first install: renders the chart, then installs into the existing namespace, waits for the pods, prints the overview', async () => {
    const script = [
      HELM_VERSION,
      TEMPLATE,
      NOT_INSTALLED,
      KUBECTL_CLIENT,
      NAMESPACE_EXISTS,
      helm(UPGRADE_ARGS, { stdout: release(1) }),
      STATEFULSET,
      PODS,
      OVERVIEW,
    ];
    const run = await runCommand(ARGV, script);
    expect(run).toEqual({
      code: 0,
      stdout: `${OVERVIEW_TEXT}\n`,
      stderr: '✔ helm-python deployed (revision 1), every pod Ready\n',
      calls: callsOf(script),
    });
  });

  it('first install into a missing namespace creates it after the checks', async () => {
    const script = [
      HELM_VERSION,
      TEMPLATE,
      NOT_INSTALLED,
      KUBECTL_CLIENT,
      NAMESPACE_MISSING,
      CREATE_NAMESPACE,
      helm(UPGRADE_ARGS, { stdout: release(1) }),
      STATEFULSET,
      PODS,
      OVERVIEW,
    ];
    const run = await runCommand(ARGV, script);
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(callsOf(script));
  });

  it('upgrade: an installed release is upgraded without looking at the namespace', async () => {
    const script = [
      HELM_VERSION,
      TEMPLATE,
      helmStatus({ stdout: release(2) }),
      KUBECTL_CLIENT,
      STATEFULSET,
      helm(UPGRADE_ARGS, { stdout: release(3) }),
      STATEFULSET,
      PODS,
      OVERVIEW,
    ];
    const run = await runCommand(ARGV, script);
    expect(run).toEqual({
      code: 0,
      stdout: `${OVERVIEW_TEXT}\n`,
      stderr: '✔ helm-python deployed (revision 3), every pod Ready\n',
      calls: callsOf(script),
    });
  });

  it('prints the release and the objects as JSON with --json, and nothing on stderr', async () => {
    const script = [
      HELM_VERSION,
      TEMPLATE,
      helmStatus({ stdout: release(2) }),
      KUBECTL_CLIENT,
      STATEFULSET,
      helm(UPGRADE_ARGS, { stdout: release(3) }),
      STATEFULSET,
      PODS,
      OVERVIEW,
    ];
    const run = await runCommand(['--json', ...ARGV], script);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      release: { name: 'helm-python', namespace: 'lab', revision: 3, status: 'deployed' },
      statefulSets: [{ metadata: { name: 'helm-python' } }],
    });
  });

  it('a first install the cluster rejects is uninstalled again, and the error is the install’s', async () => {
    const script = [
      HELM_VERSION,
      TEMPLATE,
      NOT_INSTALLED,
      KUBECTL_CLIENT,
      NAMESPACE_EXISTS,
      helm(UPGRADE_ARGS, REJECTED),
      helmStatus({ stdout: release(1, 'failed') }),
      helm([...NS, 'uninstall', 'helm-python', '--timeout', '120s', '--wait=watcher']),
    ];
    const run = await runCommand(ARGV, script);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        '✖ helm upgrade --install helm-python: helm failed: INSTALLATION FAILED: admission webhook "policy.example.com" denied the request: image registry not allowed — run again with --verbose to see all it said\n',
      calls: callsOf(script),
    });
  });

  it('a rejected first install into a namespace it created deletes that namespace', async () => {
    const script = [
      HELM_VERSION,
      TEMPLATE,
      NOT_INSTALLED,
      KUBECTL_CLIENT,
      NAMESPACE_MISSING,
      CREATE_NAMESPACE,
      helm(UPGRADE_ARGS, REJECTED),
      kubectl(['delete', 'namespace', 'lab', '--ignore-not-found', '--wait=true', '--timeout=120s']),
    ];
    const run = await runCommand(ARGV, script);
    expect(run.code).toBe(1);
    expect(run.calls).toEqual(callsOf(script));
  });

  it('--dry-run renders the chart and prints the calls it would make, changing nothing', async () => {
    const script = [HELM_VERSION, TEMPLATE, STATEFULSET_MISSING, NAMESPACE_MISSING];
    const run = await runCommand([...ARGV, '--dry-run'], script);
    expect(run).toEqual({
      code: 0,
      stdout: `kubectl create namespace lab --request-timeout=10s\nhelm --namespace lab upgrade --install helm-python ${CHART} --set-string image.repository=localhost/k8s-lab/python --set-string image.tag=3-bookworm --timeout 300s --wait=hookOnly --output json\n`,
      stderr: '',
      calls: callsOf(script),
    });
  });

  it('a value the chart rejects is a usage error before anything reads the cluster', async () => {
    const script = [
      HELM_VERSION,
      helm([...NS, 'template', 'helm-python', CHART, '--set', 'replicaCount=-1'], {
        exitCode: 1,
        stderr:
          "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nk8s-lab-counter:\n- at '/replicaCount': minimum: got -1, want 0\n",
      }),
    ];
    const run = await runCommand(['-n', 'lab', 'deploy', '--set', 'replicaCount=-1'], script);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "✖ the values do not fit the chart's schema: replicaCount: minimum: got -1, want 0 — fix them in --set / -f (chart/values.yaml has every value with its default)\n",
      calls: callsOf(script),
    });
  });
});

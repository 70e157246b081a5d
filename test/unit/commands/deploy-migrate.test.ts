// deploy on a release installed by the chart before the headless Service, whose StatefulSet is
// governed by the NodePort Service (serviceName helm-python): serviceName cannot change on a live
// StatefulSet, so a plain deploy refuses before any change, and `deploy --migrate` re-creates the
// StatefulSet with --cascade=orphan (pods and PVCs kept) and keeps the release's values.
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import {
  helmStatus,
  KUBECTL_CLIENT,
  NOW,
  NS,
  OVERVIEW,
  OVERVIEW_TEXT,
  PODS,
  POD_SELECTOR,
  pod,
  release,
  KUBE_SYSTEM,
  KUBECONFIG_VIEW,
  STATEFULSET,
  STATEFULSET_MISSING,
  statefulSet,
} from '../../support/cluster-objects.js';

const CHART = fileURLToPath(new URL('../../../chart', import.meta.url));
const IMAGE = ['--set-string', 'image.repository=localhost/k8s-lab/python', '--set-string', 'image.tag=3-bookworm'];
const ARGV = ['-n', 'lab', 'deploy', '--image', 'localhost/k8s-lab/python:3-bookworm'];
const get = (resource: string, ...rest: string[]) => [...NS, 'get', resource, ...rest, '--output', 'json', '--request-timeout=10s'];

const HELM4 = helm(['version', '--short'], { stdout: 'v4.1.4+g05fa379\n' });
const TEMPLATE = helm([...NS, 'template', 'helm-python', CHART, ...IMAGE], { stdout: '---\n# rendered\n' });
const INSTALLED = helmStatus({ stdout: release(4) });

/** The StatefulSet as the previous chart left it on the server: governed by the NodePort Service. */
const OLD = {
  ...statefulSet(),
  apiVersion: 'apps/v1',
  metadata: {
    ...statefulSet().metadata,
    uid: 'sts-uid-1',
    resourceVersion: '4711',
    labels: { 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: { 'meta.helm.sh/release-name': 'helm-python', 'meta.helm.sh/release-namespace': 'lab' },
    managedFields: [{ manager: 'helm' }],
  },
  spec: { ...statefulSet().spec, serviceName: 'helm-python' },
};
const STALE = kubectl(get('statefulset', 'helm-python'), { stdout: OLD });
const ORPHAN = kubectl([...NS, 'delete', 'statefulset', 'helm-python', '--cascade=orphan', '--wait=true', '--timeout=120s'], {
  stdout: 'statefulset.apps "helm-python" deleted\n',
});
const MIGRATE_UPGRADE = [
  ...NS,
  'upgrade',
  '--install',
  'helm-python',
  CHART,
  '--reset-then-reuse-values',
  ...IMAGE,
  '--timeout',
  '300s',
  '--wait=hookOnly',
  '--output',
  'json',
];
const FORBIDDEN = {
  exitCode: 1,
  stderr:
    'Error: UPGRADE FAILED: failed to create resource: poddisruptionbudgets.policy is forbidden: User "system:serviceaccount:lab:k8s-lab-user" cannot create resource "poddisruptionbudgets" in API group "policy" in the namespace "lab"\n',
};
/** The pods as they roll once onto the new subdomain: read by the wait after the upgrade. */
const ROLLED = kubectl(get('statefulset', 'helm-python'), { stdout: statefulSet() });
const PODS_ROLLED = kubectl(get('pods', '--selector', POD_SELECTOR), { stdout: { items: [pod(0), pod(1)] } });

const REFUSED =
  "✖ StatefulSet helm-python was deployed by an older k8s-lab chart: its serviceName is helm-python, this chart's is the headless Service helm-python-headless, and a live StatefulSet's serviceName cannot change; nothing was changed — run the same deploy with --migrate: it re-creates the StatefulSet with --cascade=orphan, keeping its pods, PVCs and values (the pods then roll once onto the new Service)\n";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('k8s-lab deploy on a release from the chart before the headless Service', () => {
  it('refuses before any change, saying why and naming --migrate: exit 2', async () => {
    const script = [HELM4, TEMPLATE, INSTALLED, KUBECTL_CLIENT, STALE];
    const run = await runCommand(ARGV, script);
    expect(run).toEqual({ code: 2, stdout: '', stderr: REFUSED, calls: callsOf(script) });
  });

  it('--dry-run finds it too, and prints nothing it would not run', async () => {
    const script = [HELM4, TEMPLATE, STALE];
    const run = await runCommand([...ARGV, '--dry-run'], script);
    expect(run).toEqual({ code: 2, stdout: '', stderr: REFUSED, calls: callsOf(script) });
  });

  it('--migrate: deletes the StatefulSet with --cascade=orphan, then upgrades keeping the values, and waits for the pods', async () => {
    const script = [HELM4, TEMPLATE, INSTALLED, KUBECTL_CLIENT, STALE, ORPHAN, helm(MIGRATE_UPGRADE, { stdout: release(5) }), ROLLED, PODS_ROLLED, OVERVIEW];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run).toEqual({
      code: 0,
      stdout: `${OVERVIEW_TEXT}\n`,
      stderr:
        'migrated: StatefulSet helm-python re-created, governed by helm-python-headless; its pods and PVCs kept; the pods roll once onto the new Service\n✔ helm-python deployed (revision 5), every pod Ready\n',
      calls: callsOf(script),
    });
  });

  it('--migrate --dry-run prints the two changes in order and makes neither', async () => {
    const namespaceExists = kubectl(['get', 'namespace', 'lab', '--output', 'json', '--request-timeout=10s'], { stdout: { metadata: { name: 'lab' } } });
    const script = [HELM4, TEMPLATE, STALE, namespaceExists];
    const run = await runCommand([...ARGV, '--migrate', '--dry-run'], script);
    expect(run).toEqual({
      code: 0,
      stdout: [
        'kubectl --namespace lab delete statefulset helm-python --cascade=orphan --wait=true --timeout=120s',
        `helm --namespace lab upgrade --install helm-python ${CHART} --reset-then-reuse-values --set-string image.repository=localhost/k8s-lab/python --set-string image.tag=3-bookworm --timeout 300s --wait=hookOnly --output json`,
        '',
      ].join('\n'),
      stderr: '',
      calls: callsOf(script),
    });
  });

  it('--migrate whose upgrade fails before re-creating the StatefulSet puts the old one back as it was, and says so: exit 1', async () => {
    const recreate = kubectl([...NS, 'create', '--filename', '-', '--request-timeout=10s'], {
      input:
        /^\{"apiVersion":"apps\/v1","kind":"StatefulSet","metadata":\{"name":"helm-python","namespace":"lab","labels":\{"app\.kubernetes\.io\/managed-by":"Helm"\},"annotations":\{"meta\.helm\.sh\/release-name":"helm-python","meta\.helm\.sh\/release-namespace":"lab"\}\},"spec":\{[^]*"serviceName":"helm-python"[^]*\}\}$/,
      stdout: 'statefulset.apps/helm-python created\n',
    });
    const script = [HELM4, TEMPLATE, INSTALLED, KUBECTL_CLIENT, STALE, ORPHAN, helm(MIGRATE_UPGRADE, FORBIDDEN), STATEFULSET_MISSING, recreate];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run.calls).toEqual(callsOf(script));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^✖ helm upgrade --install helm-python: [^\n]*poddisruptionbudgets[^\n]* — StatefulSet helm-python was put back as it was, its pods and PVCs kept; fix that and run `k8s-lab deploy --migrate --namespace lab` again\n$/,
    );
  });

  it('the object put back carries no server-side fields (uid, resourceVersion, managedFields, status)', async () => {
    const recreate = kubectl([...NS, 'create', '--filename', '-', '--request-timeout=10s'], {
      input: /^(?![^]*(?:"uid"|"resourceVersion"|"managedFields"|"status"))/,
    });
    const script = [HELM4, TEMPLATE, INSTALLED, KUBECTL_CLIENT, STALE, ORPHAN, helm(MIGRATE_UPGRADE, FORBIDDEN), STATEFULSET_MISSING, recreate];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run.calls).toEqual(callsOf(script));
  });

  it('--migrate whose upgrade failed after re-creating the StatefulSet leaves that one: exit 1, nothing created twice', async () => {
    const script = [HELM4, TEMPLATE, INSTALLED, KUBECTL_CLIENT, STALE, ORPHAN, helm(MIGRATE_UPGRADE, FORBIDDEN), STATEFULSET];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run.calls).toEqual(callsOf(script));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      / — the upgrade had already re-created StatefulSet helm-python, which adopted the pods; their PVCs are kept; fix that and run `k8s-lab deploy --migrate --namespace lab` again\n$/,
    );
  });

  it('--migrate with a Helm 3 older than 3.14 (no --reset-then-reuse-values) is refused before any change: exit 2', async () => {
    const script = [helm(['version', '--short'], { stdout: 'v3.12.3+g3a31588\n' }), TEMPLATE, INSTALLED, KUBECTL_CLIENT, STALE];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "✖ deploy --migrate keeps the release's values with helm's --reset-then-reuse-values, which helm v3.12.3 does not have; nothing was changed — use Helm 3.14+ or Helm 4 (`npm run tools` fetches both)\n",
      calls: callsOf(script),
    });
  });

  it('--migrate on a release already on this chart deletes nothing: an upgrade that keeps its values', async () => {
    const script = [HELM4, TEMPLATE, INSTALLED, KUBECTL_CLIENT, STATEFULSET, helm(MIGRATE_UPGRADE, { stdout: release(5) }), STATEFULSET, PODS, OVERVIEW];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run).toEqual({ code: 0, stdout: `${OVERVIEW_TEXT}\n`, stderr: '✔ helm-python deployed (revision 5), every pod Ready\n', calls: callsOf(script) });
  });

  it('--migrate on a first install has no values to keep: a plain install', async () => {
    const NOT_INSTALLED = helmStatus({ exitCode: 1, stderr: 'Error: release: not found\n' });
    const upgrade = MIGRATE_UPGRADE.filter((a) => a !== '--reset-then-reuse-values');
    const exists = kubectl(['get', 'namespace', 'lab', '--output', 'json', '--request-timeout=10s'], { stdout: { metadata: { name: 'lab' } } });
    const script = [HELM4, TEMPLATE, NOT_INSTALLED, KUBECTL_CLIENT, exists, helm(upgrade, { stdout: release(1) }), STATEFULSET, PODS, OVERVIEW];
    const run = await runCommand([...ARGV, '--migrate'], script);
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(callsOf(script));
  });
});

describe('the demos on a release from the chart before the headless Service', () => {
  const list = helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '4', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  });
  const values = helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: { replicaCount: 2, app: { version: 'v1' } } });
  const PROXY_FAILS = kubectl(['proxy', '--unix-socket', /k8s-lab-proxy-.*\/sock$/, '--reject-paths=^/api/.*/pods/.*/attach'], {
    exitCode: 1,
    stderr: 'error: no proxy\n',
  });
  const LINE =
    "✖ StatefulSet helm-python was deployed by an older k8s-lab chart: its serviceName is helm-python, this chart's is the headless Service helm-python-headless, and a live StatefulSet's serviceName cannot change; nothing was changed — migrate it first (its pods, PVCs and values are kept): k8s-lab deploy --migrate --namespace lab\n";

  it.each([
    ['demo-update --strategy rolling', ['demo-update', '--strategy', 'rolling']],
    ['demo-failover --mode delete', ['demo-failover', '--mode', 'delete']],
  ])('%s refuses before any change, naming the migration: exit 2', async (_, argv) => {
    const script = [HELM4, KUBECTL_CLIENT, STALE, list, values, PROXY_FAILS];
    const run = await runCommand(['-n', 'lab', ...argv, '--record-dir', '/nonexistent/runs'], script);
    expect(run).toEqual({ code: 2, stdout: '', stderr: LINE, calls: callsOf(script) });
  });

  it('demo-scale refuses before any change, naming the migration: exit 2', async () => {
    const server = kubectl(['version', '--output', 'json', '--request-timeout=10s'], { stdout: { serverVersion: { gitVersion: 'v1.35.0' } } });
    const script = [HELM4, KUBECTL_CLIENT, STALE, list, values, STALE, server, KUBECONFIG_VIEW, KUBE_SYSTEM, PROXY_FAILS];
    const run = await runCommand(['-n', 'lab', 'demo-scale', '--to', '3', '--record-dir', '/nonexistent/runs'], script);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(LINE);
    // Only the reads, made at once (in any order): no helm upgrade, no install.
    expect(run.calls).toHaveLength(script.length);
    expect(run.calls).toEqual(expect.arrayContaining(callsOf(script)));
  });
});

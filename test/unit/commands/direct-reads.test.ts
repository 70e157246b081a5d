import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { claim, HELM_LIST, HELM_VERSION, NOW, OVERVIEW_TEXT, pod, service, statefulSet } from '../../support/cluster-objects.js';
import { startFakeApiServer, TLS_DIR, type Answers, type FakeApiServer } from '../../support/fake-api-server.js';
import { callsOf, runCommand } from '../../support/fake-cluster.js';

// `k8s-lab counters` reading a fake API server over HTTPS with the kubeconfig's token: no kubectl
// process at all (the fake cluster has no script, so any kubectl call would fail the test).

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A kubeconfig for the server: its CA by a path relative to the file, a token, the context's namespace lab. */
function kubeconfig(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-direct-'));
  writeFileSync(join(dir, 'ca.pem'), readFileSync(join(TLS_DIR, 'ca.pem'), 'utf8'));
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1
kind: Config
current-context: fake
clusters: [{name: fake, cluster: {server: "${url}", certificate-authority: ca.pem}}]
users: [{name: jane, user: {token: jane-token}}]
contexts: [{name: fake, context: {cluster: fake, user: jane, namespace: lab}}]
`,
  );
  return join(dir, 'config');
}

const STS = '/apis/apps/v1/namespaces/lab/statefulsets/helm-python';
// The StatefulSet's selector, URL-encoded by hand: / → %2F, = → %3D, , → %2C.
const PODS = '/api/v1/namespaces/lab/pods?labelSelector=app.kubernetes.io%2Finstance%3Dhelm-python%2Capp.kubernetes.io%2Fname%3Dk8s-lab-counter';
const counterOf = (ordinal: number) => `/api/v1/namespaces/lab/pods/helm-python-${ordinal}:8000/proxy/counter.json`;

async function counters(answers: Answers, argv = ['counters']) {
  server = await startFakeApiServer(answers);
  return runCommand(argv, [], { env: { KUBECONFIG: kubeconfig(server.url) } });
}

describe('k8s-lab counters, reading the API server from Node', () => {
  it('reads the StatefulSet, its pods and each counter with the kubeconfig token, in the context namespace', async () => {
    const run = await counters({
      [STS]: statefulSet(),
      [PODS]: { items: [pod(0), pod(1)] },
      [counterOf(0)]: { counter: 16 },
      [counterOf(1)]: { counter: 14 },
    });
    expect(run).toEqual({
      code: 0,
      stdout: [
        'POD             COUNTER   PVC                             REVISION                 VERSION   READY',
        'helm-python-0   16        counter-data-py-helm-python-0   helm-python-7bd8486ccf   v1        true',
        'helm-python-1   14        counter-data-py-helm-python-1   helm-python-7bd8486ccf   v1        true',
        '',
      ].join('\n'),
      stderr: '',
      calls: [],
    });
    expect(server!.asked.map((a) => a.path).sort()).toEqual([STS, PODS, counterOf(0), counterOf(1)].sort());
    expect(new Set(server!.asked.map((a) => a.authorization))).toEqual(new Set(['Bearer jane-token']));
  });

  it('a StatefulSet that selects by other labels: its pods listed by its own selector, not the chart list asked beside it', async () => {
    const own = { ...statefulSet(), spec: { ...statefulSet().spec, selector: { matchLabels: { tier: 'counter' } } } };
    const ownPods = '/api/v1/namespaces/lab/pods?labelSelector=tier%3Dcounter';
    const run = await counters({ [STS]: own, [PODS]: { items: [pod(0), pod(1)] }, [ownPods]: { items: [pod(1)] }, [counterOf(1)]: { counter: 14 } });
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('helm-python-'))).toEqual([
      'helm-python-1   14        counter-data-py-helm-python-1   helm-python-7bd8486ccf   v1        true',
    ]);
    expect(server!.asked.map((a) => a.path).sort()).toEqual([STS, PODS, ownPods, counterOf(1)].sort());
  });

  it('the chart list asked beside the StatefulSet refused: listed again, and that failure is the one said', async () => {
    const message = 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "lab"';
    const run = await counters({ [STS]: statefulSet(), [PODS]: { status: 403, body: { kind: 'Status', code: 403, reason: 'Forbidden', message } } });
    expect([run.code, run.calls]).toEqual([1, []]);
    expect(run.stderr).toMatch(/^✖ listing pods: not allowed: jane may not list pods in namespace lab/);
    expect(server!.asked.map((a) => a.path)).toEqual(expect.arrayContaining([STS, PODS]));
    expect(server!.asked.filter((a) => a.path === PODS)).toHaveLength(2);
  });

  it('a release that is not there: the one line the kubectl path gives (with no -n, no namespace named)', async () => {
    const run = await counters({});
    expect([run.code, run.stderr, run.calls]).toEqual([
      1,
      '✖ release helm-python is not deployed (no StatefulSet helm-python) — deploy it first: `k8s-lab deploy`\n',
      [],
    ]);
  });

  it('Forbidden and Unauthorized: one line each, no kubectl', async () => {
    const message = 'statefulsets.apps "helm-python" is forbidden: User "jane" cannot get resource "statefulsets" in API group "apps" in the namespace "lab"';
    const forbidden = await counters({ [STS]: { status: 403, body: { kind: 'Status', code: 403, reason: 'Forbidden', message } } });
    expect([forbidden.code, forbidden.stderr]).toEqual([
      1,
      '✖ reading statefulset helm-python: not allowed: jane may not get statefulsets in namespace lab — ask for access to namespace lab (`kubectl auth can-i --list -n lab` shows yours), or use another context\n',
    ]);
    await server?.close();
    const unauthorized = await counters({ [STS]: { status: 401, body: { kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' } } });
    expect([unauthorized.code, unauthorized.stderr]).toEqual([
      1,
      "✖ reading statefulset helm-python: the API server did not accept the kubeconfig's credentials (Unauthorized) — log in again or renew the token or certificate in the kubeconfig (`kubectl cluster-info` checks it)\n",
    ]);
  });

  it('an API server that does not answer: cannot reach it', async () => {
    server = await startFakeApiServer({});
    const config = kubeconfig(server.url);
    await server.close();
    server = undefined;
    const run = await runCommand(['counters'], [], { env: { KUBECONFIG: config } });
    expect([run.code, run.stderr, run.calls]).toEqual([
      1,
      '✖ reading statefulset helm-python: cannot reach the Kubernetes API server — is the cluster running? check --context / --kubeconfig (`kubectl cluster-info`)\n',
      [],
    ]);
  });
});

describe('k8s-lab status, reading the API server from Node', () => {
  it('lists the four kinds with a GET each (helm still reads the release)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    try {
      // The release selector, URL-encoded by hand.
      const selector = '?labelSelector=app.kubernetes.io%2Fname%3Dk8s-lab-counter%2Capp.kubernetes.io%2Finstance%3Dhelm-python';
      server = await startFakeApiServer({
        [`/api/v1/namespaces/lab/pods${selector}`]: { items: [pod(1), pod(0)] },
        [`/apis/apps/v1/namespaces/lab/statefulsets${selector}`]: { items: [statefulSet()] },
        [`/api/v1/namespaces/lab/services${selector}`]: { items: [service()] },
        [`/api/v1/namespaces/lab/persistentvolumeclaims${selector}`]: { items: [claim(0), claim(1)] },
      });
      const script = [HELM_VERSION, HELM_LIST];
      const run = await runCommand(['-n', 'lab', 'status'], script, { env: { KUBECONFIG: kubeconfig(server.url) } });
      expect(run).toEqual({
        code: 0,
        stdout: `RELEASE: helm-python   NAMESPACE: lab   REVISION: 3   STATUS: deployed   CHART: k8s-lab-counter-0.1.0\n\n${OVERVIEW_TEXT}\n`,
        stderr: '',
        calls: callsOf(script),
      });
      expect(server.asked).toHaveLength(4);
    } finally {
      vi.useRealTimers();
    }
  });
});

// What k8s-lab does for a user whose RBAC covers one namespace only (docs/least-privilege.md):
// cluster-scoped reads it may not make are skipped with a note, never a failure; and
// the small fixes around doctor and report messages.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubectl } from '../../src/adapters/kubectl.js';
import type { Service } from '../../src/adapters/kube-objects.js';
import { doctor } from '../../src/commands/doctor.js';
import { createLab } from '../../src/lab-context.js';
import { runPreflight } from '../../src/preflight.js';
import { isForbidden } from '../../src/adapters/permissions.js';
import { apiProxyTarget, resolveTarget } from '../../src/probe/target.js';
import { writeReport } from '../../src/report/write.js';
import { createLogger } from '../../src/ui/logger.js';
import { FakeRunner, type Scripted } from '../support/fake-runner.js';
import { fixture } from '../support/fixtures.js';

const USER = 'system:serviceaccount:lab:k8s-lab-user';
const forbidden = (verb: string, resource: string, group = '') => ({
  exitCode: 1,
  stderr: `Error from server (Forbidden): ${resource} is forbidden: User "${USER}" cannot ${verb} resource "${resource}" in API group "${group}" at the cluster scope\n`,
});

const HELM: Scripted = { match: /^version --short$/, stdout: 'v4.1.4+g05fa379\n' };
const KUBECTL_CLIENT: Scripted = { match: /^version --client/, stdout: fixture('kubectl135-version.json') };
const SERVER: Scripted = { match: /^version --output json/, stdout: fixture('kubectl-version.json') };
const NOT_INSTALLED: Scripted = { match: /status helm-python/, exitCode: 1, stderr: 'Error: release: not found\n' };

function labWith(script: Scripted[]) {
  const out: string[] = [];
  const sink = { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream;
  const runner = new FakeRunner(script);
  const lab = createLab(
    { release: 'helm-python', namespace: 'lab' },
    { runner, env: { K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl' }, log: createLogger({ stdout: sink, stderr: sink }) },
  );
  return { lab, runner, out };
}

describe('doctor with a Role bound to one namespace', () => {
  it('skips the StorageClass and node checks it may not make, with a note, and passes', async () => {
    const { lab } = labWith([
      HELM,
      KUBECTL_CLIENT,
      SERVER,
      { match: /get storageclasses/, ...forbidden('list', 'storageclasses', 'storage.k8s.io') },
      { match: /get nodes/, ...forbidden('list', 'nodes') },
      NOT_INSTALLED,
    ]);
    const { checks } = await runPreflight(lab);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.storage).toMatchObject({ state: 'skip', detail: expect.stringMatching(/^skipped: not allowed to list StorageClasses/) });
    expect(byName.nodes).toMatchObject({ state: 'skip', detail: expect.stringMatching(/^skipped: not allowed to list nodes/) });
    expect(checks.filter((c) => c.state === 'fail')).toEqual([]);
    await expect(doctor(lab, {})).resolves.toBeUndefined();
  });

  it('still fails them for an admin when the cluster says something else', async () => {
    const { lab } = labWith([
      HELM,
      KUBECTL_CLIENT,
      SERVER,
      { match: /get storageclasses/, stdout: '{"items":[]}' },
      { match: /get nodes/, stdout: fixture('kubectl-nodes.json') },
      NOT_INSTALLED,
    ]);
    const { checks } = await runPreflight(lab);
    expect(checks.find((c) => c.name === 'storage')).toMatchObject({ state: 'fail', detail: 'no default StorageClass (0 classes)' });
    expect(checks.find((c) => c.name === 'nodes')).toMatchObject({ state: 'ok', detail: expect.stringMatching(/^1\/1 Ready/) });
  });
});

describe('doctor without helm', () => {
  it('skips the release check because helm is missing, and fails only the helm check', async () => {
    const { lab, out } = labWith([
      { match: /^version --short$/, exitCode: 127, notFound: true },
      KUBECTL_CLIENT,
      SERVER,
      { match: /get storageclasses/, stdout: fixture('kubectl-storageclasses.json') },
      { match: /get nodes/, stdout: fixture('kubectl-nodes.json') },
    ]);
    const { checks } = await runPreflight(lab);
    expect(checks.find((c) => c.name === 'release')).toEqual({ name: 'release', state: 'skip', detail: 'skipped: needs helm, which is missing' });
    await expect(doctor(lab, {})).rejects.toThrow(/^1 check failed: helm$/);
    expect(out.join('')).toMatch(/^– release\s+skipped: needs helm, which is missing$/m);
  });

  it('says helm failed its check when it is there but not usable (Helm 2)', async () => {
    const { lab } = labWith([
      { match: /^version --short$/, stdout: 'Client: v2.17.0+ga690bad\n' },
      KUBECTL_CLIENT,
      SERVER,
      { match: /get storageclasses/, stdout: fixture('kubectl-storageclasses.json') },
      { match: /get nodes/, stdout: fixture('kubectl-nodes.json') },
    ]);
    const { checks } = await runPreflight(lab);
    expect(checks.find((c) => c.name === 'release')).toMatchObject({ state: 'skip', detail: 'skipped: needs helm, which failed its check' });
  });
});

describe('resolveTarget', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_, response) => response.end('{"status":"ok"}')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => void server.close());

  const service = (nodePort: number): Service => ({
    metadata: { name: 'helm-python' },
    spec: { type: 'NodePort', ports: [{ name: 'http', port: 8000, nodePort }] },
  });
  const serviceAnswer = (nodePort: number): Scripted => ({ match: /get service helm-python/, stdout: JSON.stringify(service(nodePort)) });

  it('does not read the nodes when the NodePort answers on 127.0.0.1', async () => {
    const runner = new FakeRunner([serviceAnswer(port)]);
    const target = await resolveTarget(new Kubectl(runner, 'kubectl', { namespace: 'lab' }), 'helm-python');
    expect(target.description).toBe(`http://127.0.0.1:${port} (NodePort ${port} on 127.0.0.1)`);
    expect(runner.lines().some((line) => line.includes('nodes'))).toBe(false);
  });

  it('goes on to the API server proxy, saying why, when the user may not list nodes', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const nothing = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const runner = new FakeRunner([serviceAnswer(nothing), { match: /get nodes/, ...forbidden('list', 'nodes') }]);
    const target = await resolveTarget(new Kubectl(runner, 'kubectl', { namespace: 'lab' }), 'helm-python');
    expect(target.description).toBe(
      "the API server's service proxy (/api/v1/namespaces/lab/services/helm-python:http/proxy/), one kubectl get --raw per request: no address answered, and node addresses were skipped: not allowed to list nodes",
    );
    expect(target.viaApiServer).toBe(true);

    // With a way to start a kubectl proxy, the requests go through it: an HTTP GET each, no process.
    const paths: string[] = [];
    const proxy = { get: async (path: string) => (paths.push(path), { statusCode: 200, body: '{"pod":"helm-python-1","counter":7}' }) };
    const again = new FakeRunner([serviceAnswer(nothing), { match: /get nodes/, ...forbidden('list', 'nodes') }]);
    const kubectl = new Kubectl(again, 'kubectl', { namespace: 'lab' });
    let opened = 0;
    const proxied = await resolveTarget(kubectl, 'helm-python', undefined, async () => (opened++, kubectl.withProxy({ proxy, namespace: 'lab' })));
    expect(opened).toBe(1);
    expect(proxied.description).toMatch(
      /^the API server's service proxy \(\/api\/v1\/namespaces\/lab\/services\/helm-python:http\/proxy\/\) through one API connection \(k8s-lab's own, or one kubectl proxy\): /,
    );
    const callsBefore = again.calls.length;
    const replies = await Promise.all([proxied.get('/', 1000), proxied.get('/', 1000), proxied.get('/healthz', 1000)]);
    expect(replies.map((r) => [r.ok, r.status, r.body])).toEqual([
      [true, 200, { pod: 'helm-python-1', counter: 7 }],
      [true, 200, { pod: 'helm-python-1', counter: 7 }],
      [true, 200, { pod: 'helm-python-1', counter: 7 }],
    ]);
    expect(paths).toEqual([
      '/api/v1/namespaces/lab/services/helm-python:http/proxy/',
      '/api/v1/namespaces/lab/services/helm-python:http/proxy/',
      '/api/v1/namespaces/lab/services/helm-python:http/proxy/healthz',
    ]);
    expect(again.calls.length).toBe(callsBefore);
  });

  it('through the kubectl proxy, an app error is a failed request with its status, and a silent proxy times out', async () => {
    const service503 = { get: async () => ({ statusCode: 503, body: '{"kind":"Status","message":"no endpoints available for service"}' }) };
    const silent = { get: () => new Promise<{ statusCode: number; body: string }>(() => {}) };
    const svc = service(31987);
    const base = new Kubectl(new FakeRunner([]), 'kubectl', { namespace: 'lab' });
    const down = await apiProxyTarget(base.withProxy({ proxy: service503, namespace: 'lab' }), 'lab', svc).get('/', 1000);
    expect(down).toMatchObject({ ok: false, status: 503 });
    const started = performance.now();
    const lost = await apiProxyTarget(base.withProxy({ proxy: silent, namespace: 'lab' }), 'lab', svc).get('/', 50);
    expect(lost).toMatchObject({ ok: false, error: 'no answer within 50 ms' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('still fails when the nodes cannot be read for another reason', async () => {
    const runner = new FakeRunner([serviceAnswer(1), { match: /get nodes/, exitCode: 1, stderr: 'The connection to the server 127.0.0.1:6443 was refused\n' }]);
    await expect(resolveTarget(new Kubectl(runner, 'kubectl', { namespace: 'lab' }), 'helm-python')).rejects.toThrow(
      /listing nodes: cannot reach the Kubernetes API server/,
    );
  });
});

describe('isForbidden', () => {
  it('tells RBAC refusals from other failures', async () => {
    const refuse = (answer: Partial<Scripted>) =>
      new Kubectl(new FakeRunner([{ match: /./, ...answer }]), 'kubectl', {}).nodes().catch((error: unknown) => error);
    expect(isForbidden(await refuse(forbidden('list', 'nodes')))).toBe(true);
    expect(isForbidden(await refuse({ exitCode: 1, stderr: 'Unable to connect to the server: dial tcp 127.0.0.1:6443: connect: connection refused\n' }))).toBe(
      false,
    );
    expect(isForbidden(new Error('(Forbidden)'))).toBe(false);
  });
});

describe('report without the release', () => {
  it('names the namespace it looked in', async () => {
    const { lab } = labWith([
      { match: /get statefulset helm-python/, exitCode: 1, stderr: 'Error from server (NotFound): statefulsets.apps "helm-python" not found\n' },
    ]);
    await expect(writeReport(lab, { output: '/nonexistent/README.md', recordDir: '/nonexistent', k8sLabVersion: '0' })).rejects.toThrow(
      /^release helm-python is not deployed in namespace lab: the report reads the live cluster$/,
    );
  });
});

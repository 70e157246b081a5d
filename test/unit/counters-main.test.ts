import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { countersMain, countersOptions } from '../../src/counters-main.js';
import { PODS as KUBECTL_PODS, pod, PROXY_FAILS, readCounter, STATEFULSET, statefulSet } from '../support/cluster-objects.js';
import { startFakeApiServer, TLS_DIR, type Answers, type FakeApiServer } from '../support/fake-api-server.js';
import { callsOf, runCommand, type Expected } from '../support/fake-cluster.js';

// The `counters` fast path (bin/k8s-lab.js runs it before loading commander) against the CLI
// itself: for every argv it takes, the same stdout, stderr, exit code and kubectl calls as main();
// every other argv it leaves to the CLI (answers undefined).

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function kubeconfigFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-fast-'));
  writeFileSync(join(dir, 'ca.pem'), readFileSync(join(TLS_DIR, 'ca.pem'), 'utf8'));
  writeFileSync(join(dir, 'config'), text);
  return join(dir, 'config');
}

/** A kubeconfig k8s-lab reads itself: a token, the context's namespace lab. */
const direct = (url: string) =>
  kubeconfigFile(`apiVersion: v1
kind: Config
current-context: fake
clusters: [{name: fake, cluster: {server: "${url}", certificate-authority: ca.pem}}]
users: [{name: jane, user: {token: jane-token}}]
contexts: [{name: fake, context: {cluster: fake, user: jane, namespace: lab}}]
`);

/** One that needs kubectl: an auth-provider (k8s-lab does not run those). */
const needsKubectl = () =>
  kubeconfigFile(`apiVersion: v1
kind: Config
current-context: old
clusters: [{name: old, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: old, user: {auth-provider: {name: oidc}}}]
contexts: [{name: old, context: {cluster: old, user: old}}]
`);

const STS = '/apis/apps/v1/namespaces/lab/statefulsets/helm-python';
// The StatefulSet's selector, URL-encoded by hand: / → %2F, = → %3D, , → %2C.
const PODS = '/api/v1/namespaces/lab/pods?labelSelector=app.kubernetes.io%2Finstance%3Dhelm-python%2Capp.kubernetes.io%2Fname%3Dk8s-lab-counter';
const counterOf = (ordinal: number) => `/api/v1/namespaces/lab/pods/helm-python-${ordinal}:8000/proxy/counter.json`;

/** Runs the argv through main() and through the fast path, each on its own copy of the script. */
async function both(argv: string[], env: Record<string, string>, script: () => Expected[] = () => []) {
  const cli = await runCommand(argv, script(), { env });
  const fast = await runCommand(argv, script(), { env, entry: countersMain });
  return { cli, fast };
}

describe('countersOptions: the argvs the fast path reads as the CLI does', () => {
  it.each([
    [['counters'], { release: 'helm-python' }],
    [['-n', 'lab', '--json', 'counters'], { namespace: 'lab', json: true, release: 'helm-python' }],
    [['counters', '--namespace=lab', '--release', 'web', '--verbose'], { namespace: 'lab', release: 'web', verbose: true }],
    [['--context', 'kind', '--kubeconfig', '/k/config', 'counters'], { context: 'kind', kubeconfig: '/k/config', release: 'helm-python' }],
    // A value that is the command's name is the option's value; the command comes after.
    [['--release', 'counters', 'counters'], { release: 'counters' }],
  ])('%j → %j', (argv, options) => {
    expect(countersOptions(argv, {})).toEqual(options);
  });

  it.each([
    [[]],
    [['status']],
    [['counters', '--help']],
    [['counters', '-h']],
    [['--version', 'counters']],
    [['counters', 'extra']],
    [['counters', 'counters']],
    [['counters', '--bogus']],
    [['counters', '--json', '--json']],
    [['-n', 'a', 'counters', '-n', 'b']],
    [['counters', '-n']],
    [['-n', 'counters']],
    [['counters', '-nlab']],
    [['counters', '--namespace=']],
    [['counters', '--namespace', '--json']],
    [['counters', '--json=yes']],
    [['counters', '--', '-n']],
  ])('%j is left to the CLI', (argv) => {
    expect(countersOptions(argv, {})).toBeUndefined();
  });

  it('takes the namespace and release from the environment as the CLI does, unless given', () => {
    const env = { K8S_LAB_NAMESPACE: 'from-env', K8S_LAB_RELEASE: 'env-release' };
    expect(countersOptions(['counters'], env)).toEqual({ namespace: 'from-env', release: 'env-release' });
    expect(countersOptions(['-n', 'lab', 'counters'], env)).toEqual({ namespace: 'lab', release: 'env-release' });
    expect(countersOptions(['counters'], { K8S_LAB_NAMESPACE: '' })).toBeUndefined();
  });
});

describe('k8s-lab counters: the fast path prints what the CLI prints', () => {
  const answers: Answers = {
    [STS]: statefulSet(),
    [PODS]: { items: [pod(0), pod(1, { ready: false, phase: 'Pending' })] },
    [counterOf(0)]: { counter: 16 },
  };

  it('reading the API server: the table, the pod that is not running, exit 1', async () => {
    server = await startFakeApiServer(answers);
    const { cli, fast } = await both(['counters'], { KUBECONFIG: direct(server.url) });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('helm-python-1   ? (pod is Pending)');
    expect(cli.stderr).toBe(
      '✖ could not read the counter of helm-python-1: pod is Pending — wait until the pods are Running (`k8s-lab status`) and try again\n',
    );
    expect(fast).toEqual(cli);
  });

  it('--json, options after the command', async () => {
    server = await startFakeApiServer({ ...answers, [PODS]: { items: [pod(0)] } });
    const { cli, fast } = await both(['counters', '--json', '--namespace=lab'], { KUBECONFIG: direct(server.url) });
    expect([cli.code, JSON.parse(cli.stdout).map((r: { counter: number }) => r.counter)]).toEqual([0, [16]]);
    expect(fast).toEqual(cli);
  });

  it('a release that is not there', async () => {
    server = await startFakeApiServer({});
    const { cli, fast } = await both(['--release', 'other', 'counters'], { KUBECONFIG: direct(server.url) });
    expect([cli.code, cli.stderr]).toEqual([1, '✖ release other is not deployed (no StatefulSet other) — deploy it first: `k8s-lab deploy`\n']);
    expect(fast).toEqual(cli);
  });

  it('a CA that did not sign the server: refused alike (the CA made the default trusts nothing else)', async () => {
    server = await startFakeApiServer(answers);
    const config = direct(server.url);
    // The client certificate stands in for a CA the server's certificate does not chain to.
    writeFileSync(join(config, '..', 'ca.pem'), readFileSync(join(TLS_DIR, 'client.pem'), 'utf8'));
    const { cli, fast } = await both(['counters'], { KUBECONFIG: config });
    expect([cli.code, cli.stdout]).toEqual([1, '']);
    expect(cli.stderr).toMatch(/^✖ reading statefulset helm-python: /);
    expect(fast).toEqual(cli);
    expect(server.asked).toEqual([]);
  });

  it('a kubeconfig that needs kubectl: the same kubectl calls and output', async () => {
    const script = () => [PROXY_FAILS, STATEFULSET, KUBECTL_PODS, readCounter(0, 16), readCounter(1, 14)];
    const { cli, fast } = await both(['-n', 'lab', 'counters'], { KUBECONFIG: needsKubectl() }, script);
    expect([cli.code, cli.stderr, cli.calls]).toEqual([0, '', callsOf(script())]);
    expect(cli.stdout).toContain('helm-python-1   14');
    // The proxy's socket is in a temporary folder of its own each run: the calls match the script alike.
    expect({ ...fast, calls: callsOf(script()) }).toEqual({ ...cli, calls: callsOf(script()) });
    expect(fast.calls).toEqual(callsOf(script()));
  });

  it.each([
    [['-n', 'BAD', 'counters'], 'invalid namespace name "BAD"'],
    [['--kubeconfig', '/nonexistent/k8s-lab/config', 'counters'], 'kubeconfig "/nonexistent/k8s-lab/config" does not exist'],
    [['--context', ' ', 'counters'], '--context is empty'],
  ])('bad input it takes, %j: the same one line, exit 2, nothing run', async (argv, said) => {
    const { cli, fast } = await both(argv, {});
    expect([cli.code, cli.stdout, cli.calls]).toEqual([2, '', []]);
    expect(cli.stderr).toContain(said);
    expect(fast).toEqual(cli);
  });

  it('bad input it leaves to the CLI: answers undefined and prints nothing', async () => {
    for (const argv of [
      ['counters', '--bogus'],
      ['counters', 'extra'],
      ['counters', '-n'],
    ]) {
      let printed = '';
      const sink = { write: (text: string) => void (printed += text) } as unknown as NodeJS.WritableStream;
      expect(await countersMain(argv, { stdout: sink, stderr: sink })).toBeUndefined();
      expect(printed).toBe('');
      // What the CLI makes of it: a usage error.
      expect(await main(argv, { stdout: sink, stderr: sink })).toBe(2);
    }
  });
});

// The bad-input table: every way of calling k8s-lab wrongly that we know of, run through the built
// CLI against the real cluster. Each case must exit 2 (bad usage) or 1 (environment, cluster), say
// in ONE line of stderr what is wrong and what to do, print no stack trace and nothing on stdout,
// and change nothing on the cluster. Only the helm binary is faked, and only where the case is
// about helm itself (Helm 2, too old a Helm 3). Every namespace here is k8s-lab-bad-*, and every
// deploy passes service.nodePort=null: NodePort 31987 belongs to the other suites.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, expectOneLineFailure, kubectl, LOCAL_IMAGE, requireCluster, serviceAccountKubeconfig, type CliRun } from './cluster.js';

/** Never created: every case that names a namespace names this one, and it must stay absent. */
const NS = 'k8s-lab-bad-input';
const RBAC_NS = 'k8s-lab-bad-rbac';
const ns = ['--namespace', NS];
/** What a deploy needs on this cluster, and no fixed NodePort. */
const deployArgs = ['deploy', ...ns, '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null', '--timeout', '60s'];
const LONG_NAME = 'a'.repeat(64);

// Files the cases point at; the kubeconfigs that need the cluster are written in beforeAll.
const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-bad-input-'));
const file = (name: string, content: string, mode = 0o644) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
};
const fakeHelm = (name: string, version: string) => file(`${name}/helm`, `#!/bin/sh\n# a fake helm that only knows its version\necho "${version}"\n`, 0o755);
const HELM2 = fakeHelm('helm2', 'Client: v2.17.0+ga690bad');
const HELM3_OLD = fakeHelm('helm3.2', 'v3.2.4+g0ad800e');
const NEGATIVE_REPLICAS = file('negative-replicas.yaml', 'replicaCount: -1\n');
const MISSPELT_KEY = file('misspelt-key.yaml', 'service:\n  nodeport: 1\n');
const NOT_A_KUBECONFIG = file('not-a-kubeconfig', 'not: [yaml\n');
const UNREACHABLE = join(dir, 'unreachable.kubeconfig');
const NO_RIGHTS = join(dir, 'no-rights.kubeconfig');
const NAMESPACE_ADMIN = join(dir, 'namespace-admin.kubeconfig');
const BAD_TOKEN = join(dir, 'bad-token.kubeconfig');

interface BadCase {
  name: string;
  args: string[];
  env?: Record<string, string>;
  exit: 1 | 2;
  message: RegExp;
  /** It must fail at least this fast (default 15 s). */
  withinSeconds?: number;
  /** What k8s-lab says comes from what helm says: run it with every Helm major, not only the newest. */
  perHelm?: true;
}

const notInstalled = /release helm-python is not (installed|deployed)( in namespace k8s-lab-bad-input)?\b.* — .*k8s-lab deploy/;
const unreachable = /cannot reach the Kubernetes API server — is the cluster running\? check --context \/ --kubeconfig/;
const unauthorized = /the API server did not accept the kubeconfig's credentials \(Unauthorized\) — log in again or renew the token/;
const notAllowed =
  /: not allowed: system:serviceaccount:k8s-lab-bad-rbac:nobody may not (list|get) \w+ in namespace k8s-lab-bad-rbac — ask for access to namespace k8s-lab-bad-rbac/;

const cases: BadCase[] = [
  // Commands and options.
  { name: 'unknown command', args: ['frobnicate'], exit: 2, message: /^✖ unknown command 'frobnicate' — see k8s-lab --help$/ },
  { name: 'misspelt command', args: ['deplyo'], exit: 2, message: /^✖ unknown command 'deplyo' \(did you mean deploy\?\) — see k8s-lab --help$/ },
  { name: 'unknown option', args: ['status', ...ns, '--frob'], exit: 2, message: /^✖ unknown option '--frob' — see k8s-lab status --help$/ },
  { name: 'misspelt option', args: ['status', '--namspace', NS], exit: 2, message: /unknown option '--namspace' \(did you mean --namespace\?\)/ },
  { name: 'an argument no command takes', args: ['status', ...ns, 'extra'], exit: 2, message: /too many arguments for 'status'/ },
  {
    name: 'unknown strategy',
    args: ['demo-update', ...ns, '--strategy', 'blue-green'],
    exit: 2,
    message: /--strategy "blue-green" is invalid: allowed choices are rolling, recreate, canary, partition — see k8s-lab demo-update --help/,
  },
  { name: '--strategy missing', args: ['demo-update', ...ns], exit: 2, message: /^✖ --strategy is required — see k8s-lab demo-update --help$/ },
  {
    name: 'unknown strategy in a list',
    args: ['lab', ...ns, '--strategies', 'rolling,nope'],
    exit: 2,
    message: /--strategies "rolling,nope" is invalid: unknown strategy "nope"/,
  },
  // Values.
  {
    name: '--set without =',
    args: [...deployArgs, '--set', 'replicaCount'],
    exit: 2,
    message: /--set "replicaCount" is invalid: "replicaCount" is not key=value \(e\.g\. --set replicaCount=3\)/,
  },
  { name: '--set without a key', args: [...deployArgs, '--set', '=3'], exit: 2, message: /--set "=3" is invalid: "=3" is not key=value/ },
  {
    name: 'negative --replicas',
    args: [...deployArgs, '--replicas', '-1'],
    exit: 2,
    message: /--replicas "-1" is invalid: expected a whole number from 0 to 100/,
  },
  {
    name: 'non-numeric --replicas',
    args: [...deployArgs, '--replicas', 'abc'],
    exit: 2,
    message: /--replicas "abc" is invalid: expected a whole number from 0 to 100/,
  },
  {
    name: '--canary-percent 0',
    args: ['demo-update', ...ns, '--strategy', 'canary', '--canary-percent', '0'],
    exit: 2,
    message: /--canary-percent "0" is invalid: expected a whole number from 1 to 100/,
  },
  {
    name: '--canary-percent abc',
    args: ['demo-update', ...ns, '--strategy', 'canary', '--canary-percent', 'abc'],
    exit: 2,
    message: /--canary-percent "abc" is invalid/,
  },
  {
    name: '--max-unavailable 0%',
    args: ['demo-update', ...ns, '--strategy', 'rolling', '--max-unavailable', '0%'],
    exit: 2,
    message: /--max-unavailable "0%" is invalid: expected a whole number of pods from 1, or a percentage from 1% to 100%/,
  },
  {
    name: '--max-unavailable with canary',
    args: ['demo-update', ...ns, '--strategy', 'canary', '--max-unavailable', '2'],
    exit: 2,
    message: /--max-unavailable applies to --strategy rolling only, not canary/,
  },
  {
    name: '--emulate-recreate with rolling',
    args: ['demo-update', ...ns, '--strategy', 'rolling', '--emulate-recreate'],
    exit: 2,
    message: /--emulate-recreate applies to --strategy recreate only, not rolling/,
  },
  {
    name: '--interval -1',
    args: ['demo-update', ...ns, '--strategy', 'rolling', '--interval', '-1'],
    exit: 2,
    message: /--interval "-1" is invalid: expected a duration such as 90s, 5m or 1m30s/,
  },
  { name: '--timeout soon', args: [...deployArgs, '--timeout', 'soon'], exit: 2, message: /--timeout "soon" is invalid: expected a duration/ },
  { name: '--requests 0', args: ['traffic', ...ns, '--requests', '0'], exit: 2, message: /--requests "0" is invalid: expected a whole number from 1/ },
  {
    name: '--requests with --duration',
    args: ['traffic', ...ns, '--requests', '5', '--duration', '3s'],
    exit: 2,
    message: /option '--requests <n>' cannot be used with option '--duration <duration>'/,
  },
  {
    name: '--url notaurl',
    args: ['traffic', ...ns, '--url', 'notaurl'],
    exit: 2,
    message: /--url "notaurl" is invalid: expected an http\(s\) URL such as http:\/\/127\.0\.0\.1:31987/,
  },
  {
    name: 'K8S_LAB_URL not http',
    args: ['traffic', ...ns],
    env: { K8S_LAB_URL: 'ftp://127.0.0.1' },
    exit: 2,
    message: /--url "ftp:\/\/127\.0\.0\.1" \(from \$K8S_LAB_URL\) is invalid/,
  },
  // Names.
  {
    name: 'release Bad_Name',
    args: ['status', ...ns, '--release', 'Bad_Name'],
    exit: 2,
    message: /invalid release name "Bad_Name": .* — e\.g\. --release helm-python/,
  },
  { name: 'release -x', args: [...deployArgs, '--release', '-x'], exit: 2, message: /invalid release name "-x"/ },
  { name: 'release of 64 characters', args: [...deployArgs, '--release', LONG_NAME], exit: 2, message: /invalid release name "a{64}": it must be at most 53/ },
  { name: 'namespace Bad_Name', args: ['counters', '--namespace', 'Bad_Name'], exit: 2, message: /invalid namespace name "Bad_Name"/ },
  { name: 'namespace -x', args: ['teardown', '--namespace', '-x'], exit: 2, message: /invalid namespace name "-x"/ },
  {
    name: 'namespace of 64 characters',
    args: ['deploy', '--namespace', LONG_NAME, '--set', 'service.nodePort=null'],
    exit: 2,
    message: /invalid namespace name "a{64}": it must be at most 63/,
  },
  // Values files.
  {
    name: 'values file that does not exist',
    args: [...deployArgs, '-f', '/nonexistent/values.yaml'],
    exit: 2,
    message: /--values "\/nonexistent\/values\.yaml" is invalid: file "\/nonexistent\/values\.yaml" does not exist/,
  },
  {
    name: 'values file: replicaCount -1',
    args: [...deployArgs, '-f', NEGATIVE_REPLICAS],
    exit: 2,
    message: /the values do not fit the chart's schema: replicaCount: (Must be greater than or equal to 0|minimum: got -1, want 0) — fix them/,
    perHelm: true,
  },
  {
    name: 'values file: misspelt key',
    args: [...deployArgs, '-f', MISSPELT_KEY],
    exit: 2,
    message: /the values do not fit the chart's schema: service: (Additional property nodeport is not allowed|additional properties 'nodeport' not allowed)/,
    perHelm: true,
  },
  {
    name: '--set outside the schema',
    args: [...deployArgs, '--set', 'service.type=Ingress'],
    exit: 2,
    message: /the values do not fit the chart's schema: service\.type: .*ClusterIP/,
    perHelm: true,
  },
  // Tools.
  {
    name: 'helm missing',
    args: ['status', ...ns],
    env: { K8S_LAB_HELM: '/nonexistent/helm' },
    exit: 1,
    message: /helm not found \(looked for \/nonexistent\/helm\) — install helm/,
  },
  { name: 'helm missing, deploy', args: deployArgs, env: { K8S_LAB_HELM: '/nonexistent/helm' }, exit: 1, message: /helm not found/ },
  {
    // counters reads the API server itself now (no kubectl); traffic still asks kubectl for the Service.
    name: 'kubectl missing',
    args: ['traffic', ...ns, '--requests', '1'],
    env: { K8S_LAB_KUBECTL: '/nonexistent/kubectl' },
    exit: 1,
    message: /kubectl not found \(looked for \/nonexistent\/kubectl\) — install kubectl/,
  },
  { name: 'kubectl missing, deploy', args: deployArgs, env: { K8S_LAB_KUBECTL: '/nonexistent/kubectl' }, exit: 1, message: /kubectl not found/, perHelm: true },
  {
    name: 'Helm 2',
    args: deployArgs,
    env: { K8S_LAB_HELM: HELM2 },
    exit: 1,
    message: /helm v2\.17\.0\+ga690bad is not supported: k8s-lab needs Helm 3 or Helm 4 — install Helm 3\.8\+ or 4/,
  },
  { name: 'Helm 2, teardown', args: ['teardown', ...ns], env: { K8S_LAB_HELM: HELM2 }, exit: 1, message: /helm v2\.17\.0\+ga690bad is not supported/ },
  {
    name: 'Helm 3.2',
    args: ['status', ...ns],
    env: { K8S_LAB_HELM: HELM3_OLD },
    exit: 1,
    message: /helm v3\.2\.4\+g0ad800e is too old: k8s-lab needs Helm 3\.8\+ or Helm 4/,
  },
  // Kubeconfig and context.
  {
    name: '--kubeconfig /nonexistent',
    args: [...deployArgs, '--kubeconfig', '/nonexistent'],
    exit: 2,
    message: /kubeconfig "\/nonexistent" does not exist — pass --kubeconfig with an existing file/,
  },
  { name: '--kubeconfig a directory', args: ['status', ...ns, '--kubeconfig', dir], exit: 2, message: /kubeconfig ".*" is not a file/ },
  {
    name: '--kubeconfig not YAML',
    args: ['status', ...ns, '--kubeconfig', NOT_A_KUBECONFIG],
    exit: 2,
    message: /the kubeconfig cannot be read: error loading config file ".*not-a-kubeconfig": yaml/,
    perHelm: true,
  },
  {
    name: 'KUBECONFIG=/nonexistent',
    args: ['status', ...ns],
    env: { KUBECONFIG: '/nonexistent' },
    exit: 2,
    message: /KUBECONFIG="\/nonexistent" names no existing file — point KUBECONFIG at your kubeconfig/,
  },
  {
    name: 'unknown --context',
    args: ['status', ...ns, '--context', 'nope'],
    exit: 2,
    message: /kube context "nope" not found in the kubeconfig — list the contexts with `kubectl config get-contexts`/,
    perHelm: true,
  },
  { name: 'unknown --context, deploy', args: [...deployArgs, '--context', 'nope'], exit: 2, message: /kube context "nope" not found/, perHelm: true },
  { name: 'unknown --context, counters', args: ['counters', ...ns, '--context', 'nope'], exit: 2, message: /kube context "nope" not found/ },
  { name: 'empty --context', args: ['status', ...ns, '--context', ''], exit: 2, message: /--context is empty/ },
  // The cluster.
  {
    name: 'unreachable API server, status',
    args: ['status', ...ns, '--kubeconfig', UNREACHABLE],
    exit: 1,
    message: unreachable,
    withinSeconds: 15,
    perHelm: true,
  },
  {
    name: 'unreachable API server, deploy',
    args: [...deployArgs, '--kubeconfig', UNREACHABLE],
    exit: 1,
    message: unreachable,
    withinSeconds: 15,
    perHelm: true,
  },
  { name: 'unreachable API server, counters', args: ['counters', ...ns, '--kubeconfig', UNREACHABLE], exit: 1, message: unreachable, withinSeconds: 15 },
  { name: 'a token the API server does not accept, status', args: ['status', ...ns, '--kubeconfig', BAD_TOKEN], exit: 1, message: unauthorized, perHelm: true },
  { name: 'a token the API server does not accept, counters', args: ['counters', ...ns, '--kubeconfig', BAD_TOKEN], exit: 1, message: unauthorized },
  { name: 'no permission, status', args: ['status', '--namespace', RBAC_NS, '--kubeconfig', NO_RIGHTS], exit: 1, message: notAllowed, perHelm: true },
  { name: 'no permission, counters', args: ['counters', '--namespace', RBAC_NS, '--kubeconfig', NO_RIGHTS], exit: 1, message: notAllowed },
  {
    name: 'no permission, deploy',
    args: ['deploy', '--namespace', RBAC_NS, '--kubeconfig', NO_RIGHTS, '--set', 'service.nodePort=null'],
    exit: 1,
    message: notAllowed,
    perHelm: true,
  },
  { name: 'no permission, teardown', args: ['teardown', '--namespace', RBAC_NS, '--kubeconfig', NO_RIGHTS], exit: 1, message: notAllowed, perHelm: true },
  // The release is not there.
  { name: 'not installed, status', args: ['status', ...ns], exit: 1, message: notInstalled, perHelm: true },
  { name: 'not installed, counters', args: ['counters', ...ns], exit: 1, message: notInstalled },
  {
    name: 'not installed, traffic',
    args: ['traffic', ...ns],
    exit: 1,
    message: /Service helm-python not found in namespace k8s-lab-bad-input — deploy the lab first: `k8s-lab deploy`/,
  },
  { name: 'not installed, demo-update', args: ['demo-update', ...ns, '--strategy', 'rolling'], exit: 1, message: notInstalled, perHelm: true },
  {
    name: 'not installed, teardown',
    args: ['teardown', ...ns],
    exit: 1,
    message: /release helm-python is not installed in namespace k8s-lab-bad-input: nothing to tear down — check --release and --namespace/,
    perHelm: true,
  },
  { name: 'not installed, teardown --delete-data', args: ['teardown', ...ns, '--delete-data'], exit: 1, message: /nothing to tear down/ },
  { name: 'not installed, report', args: ['report', ...ns, '-o', join(dir, 'report', 'README.md')], exit: 1, message: notInstalled, perHelm: true },
];

/** What the cases may not change: the k8s-lab-bad-* namespaces, what is in them, and their Helm releases. */
async function clusterState(): Promise<string[]> {
  const ours = (line: string) => line.startsWith('k8s-lab-bad-') || line.startsWith('namespace/k8s-lab-bad-');
  const [namespaces, objects, releases] = await Promise.all([
    kubectl(['get', 'namespaces', '-o', 'name']),
    kubectl([
      'get',
      'statefulsets,services,persistentvolumeclaims,configmaps,secrets,pods',
      '--all-namespaces',
      '-o',
      'jsonpath={range .items[*]}{.metadata.namespace}/{.kind}/{.metadata.name}{"\\n"}{end}',
    ]),
    execa(HELM_BINARIES[1]!.path, ['list', '--all-namespaces', '--output', 'json']),
  ]);
  const helmReleases = (JSON.parse(String(releases.stdout)) as { name: string; namespace: string; status: string; revision: string }[]).map(
    (r) => `${r.namespace}/helm/${r.name}/${r.revision}/${r.status}`,
  );
  return [...String(namespaces.stdout).split('\n'), ...String(objects.stdout).split('\n'), ...helmReleases].filter(ours).sort();
}

const timed = async (run: () => Promise<CliRun>): Promise<CliRun & { seconds: number }> => {
  const started = performance.now();
  const result = await run();
  return { ...result, seconds: (performance.now() - started) / 1000 };
};

beforeAll(async () => {
  requireCluster();
  await Promise.all([NS, RBAC_NS, 'k8s-lab-bad-other', 'k8s-lab-bad-quantity-h3', 'k8s-lab-bad-quantity-h4', 'k8s-lab-bad-never'].map(deleteNamespace));
  // The real cluster's kubeconfig, pointed at a port where nothing listens.
  writeFileSync(UNREACHABLE, readFileSync(process.env.KUBECONFIG!, 'utf8').replace(/server: .*/g, 'server: https://127.0.0.1:1'));
  await kubectl(['create', 'namespace', RBAC_NS]);
  await serviceAccountKubeconfig(RBAC_NS, 'nobody', NO_RIGHTS); // no role binding at all
  writeFileSync(BAD_TOKEN, readFileSync(NO_RIGHTS, 'utf8').replace(/token: ".*"/, 'token: "not-a-token"'));
  await serviceAccountKubeconfig(RBAC_NS, 'namespace-admin', NAMESPACE_ADMIN);
  await kubectl(['-n', RBAC_NS, 'create', 'rolebinding', 'namespace-admin', '--clusterrole=admin', `--serviceaccount=${RBAC_NS}:namespace-admin`]);
});

afterAll(async () => {
  // Not waited for: the next run's beforeAll waits if one is still terminating.
  await kubectl(['delete', 'namespace', RBAC_NS, 'k8s-lab-bad-never', '--ignore-not-found', '--wait=false']);
});

const NEWEST = HELM_BINARIES.at(-1)!.major;

describe.each(HELM_BINARIES)('bad input with Helm $major: one line, the right exit code, nothing changed', ({ major, path: helm }) => {
  let before: string[];
  beforeAll(async () => {
    before = await clusterState();
  });

  // One after the other, so the time each takes is its own.
  it.each(cases.filter((c) => major === NEWEST || c.perHelm))('$name', async ({ args, env, exit, message, withinSeconds = 15 }) => {
    const result = await timed(() => cli(args, { helm, env, timeoutMs: 60_000 }));
    expectOneLineFailure(result, exit, message);
    expect(result.seconds).toBeLessThan(withinSeconds);
    expect(await clusterState()).toEqual(before);
  });

  it('a value the schema allows but the API server rejects: exit 2, and the first install is undone with its namespace', async () => {
    const namespace = `k8s-lab-bad-quantity-h${major}`;
    const result = await cli(
      ['deploy', '--namespace', namespace, '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null', '--set', 'resources.limits.memory=lots'],
      { helm, timeoutMs: 180_000 },
    );
    // Off a terminal the spinner prints nothing for a step that fails: the failure is the one line.
    const lines = result.stderr.trim().split('\n');
    expect(result.exitCode, result.stderr).toBe(2);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^✖ helm upgrade --install helm-python: the cluster rejected a resource quantity .* — write quantities like 128Mi/);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
    expect(result.stdout).toBe('');
    expect((await kubectl(['get', 'namespace', namespace], { reject: false })).exitCode).not.toBe(0);
    expect(await clusterState()).toEqual(before);
  });
});

describe('bad input that needs more than one line of setup', () => {
  const helm = HELM_BINARIES[1]!.path;

  it('--verbose keeps the stack trace and the tool call that failed', async () => {
    const result = await cli(['status', ...ns, '--kubeconfig', UNREACHABLE, '--verbose'], { helm, timeoutMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(unreachable);
    expect(result.stderr).toMatch(/^ {4}at /m);
    expect(result.stderr).toMatch(/connect: connection refused/);
  });

  it('an API server that takes the connection and never answers fails within 15 s', async () => {
    const server: Server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    const silent = file('silent.kubeconfig', readFileSync(process.env.KUBECONFIG!, 'utf8').replace(/server: .*/g, `server: https://127.0.0.1:${port}`));
    try {
      const result = await timed(() => cli(['status', ...ns, '--kubeconfig', silent], { helm, timeoutMs: 60_000 }));
      expectOneLineFailure(result, 1, unreachable);
      expect(result.seconds).toBeLessThan(15);
    } finally {
      server.close();
    }
  });

  it('doctor with helm missing: the checks on stdout (its data), one line on stderr, exit 1', async () => {
    const result = await cli(['doctor', ...ns], { helm, env: { K8S_LAB_HELM: '/nonexistent/helm' }, timeoutMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^✖ helm\s+helm not found/m);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    // The release check needs helm too: it is skipped, saying why.
    expect(result.stdout).toMatch(/^– release\s+skipped: needs helm, which is missing$/m);
    expect(result.stderr).toMatch(/^✖ 1 check failed: helm — install helm/);
  });

  it('a namespace admin who may not create namespaces deploys into its own, and is refused elsewhere without a namespace appearing', async () => {
    // `helm --create-namespace` would fail here even though the namespace exists.
    const own = await cli(
      [
        'deploy',
        '--namespace',
        RBAC_NS,
        '--kubeconfig',
        NAMESPACE_ADMIN,
        '--image',
        LOCAL_IMAGE,
        '--set',
        'service.nodePort=null',
        '--replicas',
        '0',
        '--timeout',
        '60s',
      ],
      { helm, timeoutMs: 120_000 },
    );
    expect(own.exitCode, own.stderr).toBe(0);
    const other = await cli(['deploy', '--namespace', 'k8s-lab-bad-other', '--kubeconfig', NAMESPACE_ADMIN, '--set', 'service.nodePort=null'], {
      helm,
      timeoutMs: 60_000,
    });
    expectOneLineFailure(other, 1, /not allowed: system:serviceaccount:k8s-lab-bad-rbac:namespace-admin may not list secrets in namespace k8s-lab-bad-other/);
    expect((await kubectl(['get', 'namespace', 'k8s-lab-bad-other'], { reject: false })).exitCode).not.toBe(0);
    await cli(['teardown', '--namespace', RBAC_NS, '--kubeconfig', NAMESPACE_ADMIN, '--yes', '--delete-data'], { helm });
  });

  describe('a release whose pods never get Ready', () => {
    const namespace = 'k8s-lab-bad-never';
    const run = (args: string[]) => timed(() => cli([...args, '--namespace', namespace], { helm, timeoutMs: 120_000 }));

    it('deploy fails within ~40 s, naming the pod and how to see why', async () => {
      const result = await run(['deploy', '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null', '--set', 'app.broken=true', '--timeout', '20s']);
      const lines = result.stderr.trim().split('\n');
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.seconds).toBeLessThan(40);
      expect(
        lines.filter((line) => line.startsWith('✖')),
        result.stderr,
      ).toHaveLength(1);
      expect(lines.at(-1)).toMatch(
        /^✖ pods of helm-python not Ready after 20 s \(0\/2 Ready: .*helm-python-0.*\) — see why: kubectl describe pod helm-python-0 -n k8s-lab-bad-never; or raise --timeout$/,
      );
      expect(result.stderr).not.toMatch(/^ {4}at /m);
      expect(result.stdout).toBe('');
      // What deploy named is there to describe.
      expect((await kubectl(['-n', namespace, 'describe', 'pod', 'helm-python-0'])).stdout).toMatch(
        /Readiness probe failed: HTTP probe failed with statuscode: 503/,
      );
    });

    it('teardown --delete-data off a terminal without --yes refuses and deletes nothing', async () => {
      const result = await run(['teardown', '--delete-data']);
      expectOneLineFailure(result, 2, /refusing to delete 2 PVCs \(the counters' data\) without confirmation — pass --yes to delete them/);
      expect(
        String((await kubectl(['-n', namespace, 'get', 'persistentvolumeclaims', '-o', 'name'])).stdout)
          .trim()
          .split('\n'),
      ).toHaveLength(2);
      expect((await kubectl(['-n', namespace, 'get', 'statefulset', 'helm-python'], { reject: false })).exitCode).toBe(0);
    });

    it('demo-update --to the version it already runs is a usage error', async () => {
      const result = await run(['demo-update', '--strategy', 'rolling', '--to', 'v1']);
      expectOneLineFailure(result, 2, /the release already runs v1 — pass another --to version/);
    });
  });
});

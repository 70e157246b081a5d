import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnding } from '../../../src/commands/demo-command.js';
import { renderScaleSummary } from '../../../src/commands/demo-scale.js';
import type { ScaleRecord } from '../../../src/demos/lessons.js';
import { callsOf, helm, kubectl, runCommand, type Expected } from '../../support/fake-cluster.js';
import {
  HELM_VERSION,
  KUBE_SYSTEM,
  KUBECONFIG_VIEW,
  KUBECTL_CLIENT,
  KUBECTL_SERVER,
  NS,
  PROXY_FAILS,
  service,
  STATEFULSET,
  statefulSet,
} from '../../support/cluster-objects.js';

const list = helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
  stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
});
const values = helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: { replicaCount: 4 } });

describe('k8s-lab demo-scale: bad input changes nothing', () => {
  it.each([
    [['demo-scale', '--to', '1'], /--to "1" is invalid/],
    [['demo-scale', '--to', 'six'], /--to "six" is invalid/],
    [['demo-scale', '--policy', 'random'], /random/],
    [['demo-scale', '--pvc-retention', 'keep'], /keep/],
    [['demo-scale', '--node-port', '80'], /--node-port "80" is invalid/],
    [['demo-scale', '--settle', 'later'], /--settle/],
    [['demo-scale', '--url-2', 'node:31988'], /--url-2/],
  ])('%j: exit 2, one line, no call', async (argv, pattern) => {
    const run = await runCommand(argv, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });
});

it('--to no higher than the replicas is a usage error once the release is read: exit 2, nothing changed', async () => {
  const script = [HELM_VERSION, KUBECTL_CLIENT, list, values, STATEFULSET, STATEFULSET, KUBECTL_SERVER, KUBECONFIG_VIEW, KUBE_SYSTEM, PROXY_FAILS];
  const run = await runCommand(['-n', 'lab', 'demo-scale', '--to', '4', '--record-dir', '/nonexistent/lessons'], script);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe('✖ --to 4: release helm-python already has 4 replicas; nothing was changed — pass --to 5 or more\n');
  // Only the reads, made at once (in any order): no helm upgrade, no install.
  expect(run.calls).toHaveLength(script.length);
  expect(run.calls).toEqual(expect.arrayContaining(callsOf(script)));
});

describe('demo-scale: a NodePort or retention the cluster cannot take is refused before the first change (exit 2)', () => {
  // The release is OrderedReady (STATEFULSET), so --policy both installs the temporary release helm-python-parallel.
  const reads = [HELM_VERSION, KUBECTL_CLIENT, list, values, STATEFULSET, STATEFULSET, KUBECTL_SERVER, KUBECONFIG_VIEW, KUBE_SYSTEM, PROXY_FAILS];
  const noTemporary = helm([...NS, 'list', '--filter', '^helm-python-parallel$', '--output', 'json'], { stdout: [] });
  const ownService = kubectl([...NS, 'get', 'service', 'helm-python', '--output', 'json', '--request-timeout=10s'], { stdout: service(31987) });
  const other = (namespace: string, name: string, nodePort: number) => ({ ...service(nodePort), metadata: { name, namespace } });
  const allServices = (items: object[]) => kubectl(['get', 'services', '--all-namespaces', '--output', 'json', '--request-timeout=10s'], { stdout: { items } });
  const portCheck = (port: number, answer: Omit<Expected, 'bin' | 'args'>) =>
    kubectl([...NS, 'create', '--filename', '-', '--dry-run=server', '--output', 'json', '--request-timeout=10s'], {
      input: new RegExp(`"kind":"Service".*"nodePort":${port}\\b`),
      ...answer,
    });
  const scale = (...extra: string[]) => ['-n', 'lab', 'demo-scale', '--record-dir', '/nonexistent/lessons', ...extra];

  /** No call that changes anything: helm only lists, versions and reads values; kubectl only gets, reads its config (`config view`), starts the demo's reader (`proxy`), and creates or patches with --dry-run=server. */
  const expectNoChange = (calls: string[][]) => {
    for (const [bin, ...args] of calls) {
      const verb = args[0] === '--namespace' ? args[2] : args[0];
      if (bin === 'helm') expect(['version', 'list', 'get'], JSON.stringify(args)).toContain(verb);
      else if (verb === 'create' || verb === 'patch') expect(args).toContain('--dry-run=server');
      else if (verb === 'config') expect(args[1]).toBe('view');
      else if (verb === 'proxy') expect(args).toContain('--reject-paths=^/api/.*/pods/.*/attach');
      else expect(['get', 'version'], JSON.stringify(args)).toContain(verb);
    }
  };

  it("--node-port equal to the release's own: one line, exit 2, no change", async () => {
    const script = [...reads, noTemporary, ownService];
    const run = await runCommand(scale('--node-port', '31987'), script);
    expect(run.stderr).toBe(
      "✖ --node-port 31987 is the NodePort of release helm-python's own Service: the temporary release needs another; nothing was changed — pass another, e.g. --node-port 31988\n",
    );
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });

  it('--node-port held by a Service in another namespace: named, a free port suggested past every taken one', async () => {
    // 31990 and 31991 are taken (31990 in another namespace), 31992 is free.
    const script = [...reads, noTemporary, ownService, allServices([service(31987), other('shop', 'web', 31990), other('shop', 'api', 31991)])];
    const run = await runCommand(scale('--node-port', '31990'), script);
    expect(run.stderr).toBe('✖ --node-port 31990 is taken by Service shop/web; nothing was changed — pass a free one, e.g. --node-port 31992\n');
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });

  it("the default NodePort (the release's plus one) taken: said as such, exit 2", async () => {
    const script = [...reads, noTemporary, ownService, allServices([service(31987), other('lab', 'other', 31988)])];
    const run = await runCommand(scale(), script);
    expect(run.stderr).toBe(
      "✖ the temporary release's NodePort 31988 (the release's plus one) is taken by Service lab/other; nothing was changed — pass a free one, e.g. --node-port 31989\n",
    );
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });

  it('not allowed to list every namespace: the namespace is listed, and the dry-run create finds the port taken elsewhere', async () => {
    const forbidden = kubectl(['get', 'services', '--all-namespaces', '--output', 'json', '--request-timeout=10s'], {
      exitCode: 1,
      stderr:
        'Error from server (Forbidden): services is forbidden: User "system:serviceaccount:lab:k8s-lab-user" cannot list resource "services" in API group "" at the cluster scope\n',
    });
    const inNamespace = kubectl([...NS, 'get', 'services', '--output', 'json', '--request-timeout=10s'], { stdout: { items: [service(31987)] } });
    const taken = portCheck(31990, {
      exitCode: 1,
      stderr: 'The Service "k8s-lab-port-check-31990" is invalid: spec.ports[0].nodePort: Invalid value: 31990: provided port is already allocated\n',
    });
    const run = await runCommand(scale('--node-port', '31990'), [...reads, noTemporary, ownService, forbidden, inNamespace, taken]);
    // 31990 is not among the Services listed, so the suggestion cannot know better than the next port.
    expect(run.stderr).toBe(
      '✖ --node-port 31990: the API server refuses it (provided port is already allocated); nothing was changed — pass a free one, e.g. --node-port 31990\n',
    );
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });

  // Kubernetes 1.37.2's dry-run does not check the range (its port allocator only asks whether a port is
  // taken; a dry-run create with nodePort 40000 is accepted there): on such a server only the option's
  // 30000-32767, the default range, guards it. A server that does refuse it has its range named.
  it('refused by the dry-run as out of the range: the range it names is passed on', async () => {
    const outside = portCheck(32000, {
      exitCode: 1,
      stderr:
        'The Service "k8s-lab-port-check-32000" is invalid: spec.ports[0].nodePort: Invalid value: 32000: provided port is not in the valid range. The range of valid ports is 30000-31999\n',
    });
    const run = await runCommand(scale('--node-port', '32000'), [...reads, noTemporary, ownService, allServices([service(31987)]), outside]);
    expect(run.stderr).toBe(
      '✖ --node-port 32000: the API server refuses it (provided port is not in the valid range. The range of valid ports is 30000-31999); nothing was changed — pass one in that range with --node-port\n',
    );
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });

  it('--node-port with --policy ordered on an OrderedReady release: no temporary release, so a usage error', async () => {
    const run = await runCommand(scale('--policy', 'ordered', '--node-port', '31990'), [...reads, ownService]);
    expect(run.stderr).toBe(
      '✖ --node-port applies to the temporary release, and --policy ordered on helm-python (OrderedReady) installs none; nothing was changed — leave out --node-port\n',
    );
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });

  it('--pvc-retention delete on a server that drops the field: found by a dry-run patch, exit 2, no upgrade', async () => {
    const dropped = kubectl(
      [
        ...NS,
        'patch',
        'statefulset',
        'helm-python',
        '--type',
        'merge',
        '--patch',
        '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete"}}}',
        '--dry-run=server',
        '--output',
        'json',
        '--request-timeout=10s',
      ],
      { stdout: statefulSet() },
    );
    const run = await runCommand(scale('--policy', 'ordered', '--pvc-retention', 'delete'), [...reads, ownService, dropped]);
    expect(run.stderr).toMatch(/^✖ --pvc-retention delete: the API server drops persistentVolumeClaimRetentionPolicy .*; nothing was changed — /);
    expect(run.code).toBe(2);
    expectNoChange(run.calls);
  });
});

describe('the end of an interrupted demo-scale says its sentence once', () => {
  const cleanup = ['temporary release helm-python-ordered uninstalled, its PVCs deleted (counter-data-py-helm-python-ordered-0)'];
  // What runScale records after Ctrl-C during the OrderedReady scale-up: the signal, the phase, what was undone.
  const reason = `interrupted (SIGINT) during OrderedReady: scale up; ${cleanup[0]}`;
  const record = {
    schema: 1,
    lesson: 'scale',
    id: 'x-scale',
    release: 'helm-python',
    namespace: 'lab',
    options: { replicas: 2, to: 4, policy: 'ordered', pvcRetention: 'retain', keepPvcs: false, intervalMs: 100 },
    environment: { kubernetes: 'v1.37.2', helm: 'v4.1.4', kubectl: 'v1.37.2', k8sLab: '0.1.0', node: 'v20.20.2' },
    startedAt: '2026-11-24T03:20:00.000Z',
    endedAt: '2026-11-24T03:20:09.000Z',
    durationMs: 9000,
    phases: [],
    runs: [],
    cleanup,
    verdict: 'interrupted',
    reason,
    notes: [],
  } as ScaleRecord;

  it('the summary leaves the reason and what was undone to the error line, which has them once, exit 130', () => {
    const summary = renderScaleSummary(record, '/tmp/x-scale.json');
    const error = demoEnding(record, '/tmp/x-scale.json', 'scale')!;
    const printed = `${summary}\n✖ ${error.message} — ${error.hint}`;
    expect(error.exitCode).toBe(130);
    expect(error.message).toBe(`scale ${reason}`);
    expect(printed.split('uninstalled, its PVCs deleted')).toHaveLength(2);
    expect(printed.split('/tmp/x-scale.json')).toHaveLength(2);
    expect(printed).not.toMatch(/interrupted — interrupted/);
    expect(summary.split('\n').at(-1)).toBe('scale: interrupted (9.0 s)');
  });

  it('a passed lesson keeps its afterwards lines, verdict and record path in the summary, and ends with no error', () => {
    const passed = { ...record, verdict: 'passed', reason: 'every added pod Ready; 0 requests failed' } as ScaleRecord;
    expect(renderScaleSummary(passed, '/tmp/x-scale.json').split('\n').slice(-3)).toEqual([
      `afterwards: ${cleanup[0]}`,
      'scale: passed — every added pod Ready; 0 requests failed (9.0 s)',
      'run record: /tmp/x-scale.json',
    ]);
    expect(demoEnding(passed, '/tmp/x-scale.json', 'scale')).toBeUndefined();
  });
});

describe('a --url that is not the release is refused before the first change (exit 2)', () => {
  const reads = [HELM_VERSION, KUBECTL_CLIENT, list, values, STATEFULSET, STATEFULSET, KUBECTL_SERVER, KUBECONFIG_VIEW, KUBE_SYSTEM, PROXY_FAILS];
  const ownService = kubectl([...NS, 'get', 'service', 'helm-python', '--output', 'json', '--request-timeout=10s'], { stdout: service(31987) });
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Another release's app: its /healthz names its own pod.
    server = createServer((_, response) => response.end(JSON.stringify({ status: 'ok', pod: 'shop-0', version: 'v1' })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answered by a pod of another release: named, exit 2, only reads made', async () => {
    const run = await runCommand(
      ['-n', 'lab', 'demo-scale', '--policy', 'ordered', '--url', url, '--record-dir', '/nonexistent/lessons'],
      [...reads, ownService],
    );
    expect(run.stderr).toBe(
      `✖ --url ${url} is not release helm-python: its /healthz answered HTTP 200 from pod shop-0; nothing was changed — pass the URL of helm-python's Service, or leave out --url to find it\n`,
    );
    expect(run.code).toBe(2);
    // Only the reads, some made at once (in any order): no helm upgrade, no install.
    expect(run.calls).toHaveLength(reads.length + 1);
    expect(run.calls).toEqual(expect.arrayContaining(callsOf([...reads, ownService])));
  });

  it('nothing listening there: exit 2, only reads made', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const dead = `http://127.0.0.1:${closed}`;
    const run = await runCommand(
      ['-n', 'lab', 'demo-scale', '--policy', 'ordered', '--url', dead, '--record-dir', '/nonexistent/lessons'],
      [...reads, ownService],
    );
    expect(run.stderr).toMatch(
      new RegExp(`^✖ --url ${dead} does not answer \\(.*ECONNREFUSED.*\\); nothing was changed — check it \\(curl ${dead}/healthz\\)`),
    );
    expect(run.code).toBe(2);
  });
});

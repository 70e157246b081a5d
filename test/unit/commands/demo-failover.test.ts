import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import {
  CLAIMS,
  HELM_VERSION,
  KUBECTL_CLIENT,
  KUBECTL_SERVER,
  KUBE_SYSTEM,
  KUBECONFIG_VIEW,
  NS,
  pod,
  POD_SELECTOR,
  PROXY_FAILS,
  readCounter,
  SELECTOR,
  statefulSet,
  STATEFULSET,
} from '../../support/cluster-objects.js';

const list = (status: string) =>
  helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status, chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  });
const values = (values: object) => helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: values });
const get = (resource: string, ...rest: string[]) => [...NS, 'get', resource, ...rest, '--output', 'json', '--request-timeout=10s'];
const checks = (status: string, releaseValues: object) => [HELM_VERSION, KUBECTL_CLIENT, STATEFULSET, list(status), values(releaseValues), PROXY_FAILS];

describe('k8s-lab demo-failover: bad input changes nothing', () => {
  it.each([
    [['demo-failover'], /--mode/],
    [['demo-failover', '--mode', 'crash'], /crash/],
    [['demo-failover', '--mode', 'kill', '--pod', '-1'], /--pod/],
    [['demo-failover', '--mode', 'kill', '--pod', 'x'], /--pod "x" is invalid/],
    [['demo-failover', '--mode', 'delete', '--interval', 'soon'], /--interval/],
  ])('%j: exit 2, one line, no call', async (argv, pattern) => {
    const run = await runCommand(argv, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });

  it('--pod beyond the replicas is a usage error after reading the release: exit 2, nothing changed', async () => {
    const script = checks('deployed', { replicaCount: 2 });
    const run = await runCommand(['-n', 'lab', 'demo-failover', '--mode', 'delete', '--pod', '2', '--record-dir', '/nonexistent/lessons'], script);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '✖ --pod 2: release helm-python has 2 replicas (pods 0-1); nothing was changed — pass --pod 0 to 1, or leave it out for the highest\n',
      calls: callsOf(script),
    });
  });

  it('a release that is not deployed is refused before any change: exit 1', async () => {
    const script = checks('failed', { replicaCount: 2 });
    const run = await runCommand(['-n', 'lab', 'demo-failover', '--mode', 'kill', '--record-dir', '/nonexistent/lessons'], script);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('✖ release helm-python is failed, not deployed — bring it back with `k8s-lab deploy` (or `helm rollback`) first\n');
    expect(run.calls).toEqual(callsOf(script));
  });
});

describe('k8s-lab demo-failover --mode kill: the live view off a terminal', () => {
  /** The pod as the API shows it: a UID, and its container's restarts. */
  const podOf = (ordinal: number, restarts: number, ready = true) => {
    const p = pod(ordinal, { ready });
    return {
      ...p,
      metadata: { ...p.metadata, uid: `pod-uid-${ordinal}` },
      status: { ...p.status, containerStatuses: p.status!.containerStatuses!.map((c) => ({ ...c, restartCount: restarts, ready })) },
    };
  };
  const sts = { ...statefulSet(), spec: { ...statefulSet().spec, template: { spec: { shareProcessNamespace: true } } } };
  const STS = kubectl(get('statefulset', 'helm-python'), { stdout: sts });
  const podsBy = (selector: string, restarts: number) => kubectl(get('pods', '--selector', selector), { stdout: { items: [podOf(0, 0), podOf(1, restarts)] } });
  const watchEvents = (...objects: [string, object][]) => objects.map(([type, object]) => JSON.stringify({ type, object })).join('\n');
  /** One read of the pod's identity: the snapshot (StatefulSet, pods, claims, counters), the pods and the claims. */
  const identity = (restarts: number, counters: [number, number]) => [
    STS,
    podsBy(POD_SELECTOR, restarts),
    CLAIMS,
    readCounter(0, counters[0]),
    readCounter(1, counters[1]),
    podsBy(SELECTOR, restarts),
    CLAIMS,
  ];
  const script = () => [
    ...checks('deployed', { replicaCount: 2 }),
    // The pods Ready before the lesson.
    STS,
    podsBy(POD_SELECTOR, 0),
    KUBECTL_SERVER,
    KUBECONFIG_VIEW,
    KUBE_SYSTEM,
    ...identity(0, [10, 20]),
    // The pod watch: the two pods at the start, then helm-python-1 not Ready and Ready again while
    // the lesson holds its last second of traffic (it starts 100 ms in, so the kill is at about 0.1 s).
    podsBy(SELECTOR, 0),
    kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--watch', '--output-watch-events', '--output', 'json'], {
      stdout: watchEvents(['ADDED', podOf(0, 0)], ['ADDED', podOf(1, 0)]),
      // Ends by itself after its last event: exit 1 (a failed watch, not resumed); an exit 0 would be a
      // watch the server closed, which the pod watch resumes with a list and a new watch.
      exitCode: 1,
      later: [
        { afterMs: 500, stdout: watchEvents(['MODIFIED', podOf(1, 1, false)]) },
        { afterMs: 700, stdout: watchEvents(['MODIFIED', podOf(1, 1)]) },
      ],
    }),
    kubectl([...NS, 'exec', 'helm-python-1', '--container', 'app', '--request-timeout=10s', '--', 'python3', '-c', /os\.kill\(int\(pid\), signal\.SIGKILL\)/], {
      stdout: '42\n',
    }),
    // Ready again: the same pod, one restart.
    STS,
    podsBy(POD_SELECTOR, 1),
    ...identity(1, [100_000, 100_000]),
  ];

  let server: Server;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    let counter = 0;
    server = createServer((_, response) => response.end(JSON.stringify({ pod: 'helm-python-0', version: 'v1', counter: ++counter })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'k8s-lab-failover-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const argv = () => ['-n', 'lab', 'demo-failover', '--mode', 'kill', '--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', dir];
  /** The event lines with their times (ms since the start, as `  0.1 s`) taken off, and the times. */
  const eventLines = (stderr: string) => {
    const lines = stderr.trimEnd().split('\n');
    const timed = lines.filter((line) => /^ +\d+\.\d s {2}/.test(line));
    return {
      lines,
      texts: timed.map((line) => line.replace(/^ +\d+\.\d s {2}/, '')),
      times: timed.map((line) => Number(/^ +(\d+\.\d) s/.exec(line)![1])),
    };
  };
  const expectedEvents = [
    '▸ baseline:  traffic before the failure',
    '▸ fail:  SIGKILL to the app (python3 /app/server.py) in helm-python-1: no SIGTERM, no drain',
    '▸ recover:  until helm-python-1 is Ready again (the container restarted by the kubelet)',
    '▸ settle:  traffic after the pod is back',
    'helm-python-1  not Ready  v1',
    'helm-python-1  Ready  v1',
  ];

  it('the phases and the pod watch as timestamped lines on stderr, in order; the summary on stdout', async () => {
    const run = await runCommand(argv(), script());
    expect(run.code, run.stderr).toBe(0);
    const { lines, texts, times } = eventLines(run.stderr);
    expect(lines[0]).toBe('failover (--mode kill) in helm-python: probing the Service every 50 ms');
    expect(texts).toEqual(expectedEvents);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Nothing but the start line and the events on stderr: the summary is stdout's.
    expect(lines.length).toBe(1 + expectedEvents.length);
    expect(run.stdout).toMatch(/^failover --mode kill of helm-python-1: passed — /m);
    expect(run.stdout).not.toMatch(/▸ baseline:/);
    // The explanation comes from the run's figures; the old claim that the readiness probe bounds a crash is gone.
    // The fake exec prints no time, so times count from the start of the exec; the fake StatefulSet has no readiness probe.
    expect(run.stdout).toMatch(
      /^why: helm-python-1 went not Ready \d+\.\d s after the start of the kubectl exec that sent the SIGKILL: its container has no readiness probe, so what took it out was the kubelet seeing the container exit/m,
    );
    expect(run.stdout).toMatch(/^what would shorten it: /m);
    expect(run.stdout).not.toMatch(/until its readiness probe fails|× failureThreshold/);
  });

  it('--json: the record alone on stdout, the event lines still on stderr', async () => {
    const run = await runCommand(['--json', ...argv()], script());
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout) as { lesson: string; mode: string; pod: string; verdict: string; namespace: string; cluster: unknown };
    expect([record.lesson, record.mode, record.pod, record.verdict]).toEqual(['failover', 'kill', 'helm-python-1', 'passed']);
    // Where it was measured: the scripted kube-system UID and kubeconfig, and the namespace given.
    expect(record.namespace).toBe('lab');
    expect(record.cluster).toEqual({ uid: '3f0a5c1e-8b2d-4e6f-9a71-0c4d2b8e5f13', server: 'https://127.0.0.1:6443', context: 'kind-lab' });
    expect(eventLines(run.stderr).texts).toEqual(expectedEvents);
  });
});

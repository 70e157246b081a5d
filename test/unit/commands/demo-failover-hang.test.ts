// demo-failover --mode hang through main() against the scripted fake cluster: bad input changes
// nothing, the app is stopped and resumed through the same kubectl exec as --mode kill, and the
// readiness settings are those of the live StatefulSet. Ctrl-C is in demo-failover-interrupt.test.ts
// (it aborts the process-wide interrupt signal for the rest of its file).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverRecord } from '../../../src/demos/lessons.js';
import { callsOf, runCommand } from '../../support/fake-cluster.js';
import { hangScript, LIVE_READINESS } from '../../support/failover-script.js';
import { HELM_VERSION, KUBECTL_CLIENT, NS, pod, POD_SELECTOR, PROXY_FAILS, statefulSet } from '../../support/cluster-objects.js';
import { helm, kubectl } from '../../support/fake-cluster.js';

const get = (resource: string, ...rest: string[]) => [...NS, 'get', resource, ...rest, '--output', 'json', '--request-timeout=10s'];

describe('k8s-lab demo-failover --mode hang: bad input changes nothing', () => {
  it.each([
    [['demo-failover', '--mode', 'freeze'], /--mode.*freeze.*delete, kill, hang/],
    [['demo-failover', '--mode', 'hang', '--settle', 'long'], /--settle/],
    [['demo-failover', '--mode', 'hang', '--pod', '1.5'], /--pod/],
  ])('%j: exit 2, one line, no call', async (argv, pattern) => {
    const run = await runCommand(argv, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });

  it('pods that do not share their process namespace: refused before anything is stopped, exit 1', async () => {
    const script = [
      HELM_VERSION,
      KUBECTL_CLIENT,
      // The lesson's check of the release's governing Service, made beside helm's reads.
      kubectl(get('statefulset', 'helm-python'), { stdout: statefulSet() }),
      helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
        stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
      }),
      helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: { replicaCount: 2 } }),
      PROXY_FAILS,
      kubectl(get('statefulset', 'helm-python'), { stdout: statefulSet() }),
      kubectl(get('pods', '--selector', POD_SELECTOR), { stdout: { items: [pod(0), pod(1)] } }),
    ];
    const run = await runCommand(['-n', 'lab', 'demo-failover', '--mode', 'hang', '--record-dir', '/nonexistent/lessons'], script);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      '✖ --mode hang: the pods of helm-python do not share their process namespace, so the app is PID 1 of its container, which ignores a SIGSTOP sent from inside; nothing was changed — deploy again with this version of k8s-lab (its chart sets shareProcessNamespace: true), or use --mode delete\n',
    );
    // No exec at all: nothing was stopped.
    expect(run.calls).toEqual(callsOf(script));
    expect(run.calls.some((call) => call.includes('exec'))).toBe(false);
  });
});

describe('k8s-lab demo-failover --mode hang: stopped, out of the Service, resumed', () => {
  let server: Server;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    let counter = 0;
    server = createServer((_, response) => response.end(JSON.stringify({ pod: 'helm-python-0', version: 'v1', counter: ++counter })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'k8s-lab-hang-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGSTOP, the hold until not Ready, SIGCONT, Ready again; the record reads the live readiness probe', async () => {
    const run = await runCommand(
      ['-n', 'lab', '--json', 'demo-failover', '--mode', 'hang', '--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', dir],
      hangScript(),
    );
    expect(run.code, run.stderr).toBe(0);
    const phases = run.stderr
      .split('\n')
      .filter((line) => line.includes('▸'))
      .map((line) => /▸ (\w+):/.exec(line)?.[1]);
    expect(phases).toEqual(['baseline', 'fail', 'hang', 'resume', 'recover', 'settle']);
    expect(run.stderr).toContain(
      '▸ hang:  until helm-python-1 is out of the Service (readiness probe: periodSeconds 2, failureThreshold 3, timeoutSeconds 1), then 1.0 s more',
    );
    const record = JSON.parse(run.stdout) as FailoverRecord;
    // The fake StatefulSet's probe (2, 3, 1), not the chart's defaults (1, 2, 1).
    expect(record.readiness).toEqual(LIVE_READINESS);
    expect(record.liveness).toBeNull();
    expect(record).toMatchObject({ mode: 'hang', verdict: 'passed', resume: { states: ['S'] } });
    expect(record.identity.after).toMatchObject({ uid: 'pod-uid-1', restarts: 0 });
    // The SIGSTOP came after the baseline, the SIGCONT after the not-Ready event the watch saw.
    const notReady = record.podEvents.find((e) => e.pod === 'helm-python-1' && e.type === 'not-ready')!.t;
    expect(record.failure!.requestedAt).toBeGreaterThanOrEqual(100);
    expect(record.resume!.requestedAt).toBeGreaterThan(notReady);
    expect(record.explanation?.join('\n')).toMatch(/The chart defines no liveness probe, so nothing restarted the stopped app \(restarts 0 → 0\)/);
    expect(record.reason).toMatch(/^helm-python-1's app resumed in the same pod, not restarted, Ready again after/);
  });

  it('an app that stays stopped after the SIGCONT fails the lesson, saying so', async () => {
    const run = await runCommand(
      ['-n', 'lab', 'demo-failover', '--mode', 'hang', '--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', dir],
      hangScript({ resumedState: 'T' }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✖ failover failed: helm-python-1's app is still stopped after the SIGCONT \(state T\)/);
  });

  it('no such process to stop: exit 1, and a SIGCONT is still sent in case the exec stopped it', async () => {
    const run = await runCommand(
      ['-n', 'lab', 'demo-failover', '--mode', 'hang', '--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', dir],
      hangScript({ stopFinds: false }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✖ failover failed: no process "python3 \/app\/server.py" found in helm-python-1; SIGCONT sent: helm-python-1's app resumed/);
    expect(run.calls.filter((call) => call.some((arg) => /signal\.SIGCONT/.test(arg)))).toHaveLength(1);
  });
});

import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsOf, helm, kubectl, runCommand } from '../../support/fake-cluster.js';
import {
  FEATURES_DEPLOYED,
  FEATURES_NOT_DEPLOYED,
  HELM_VERSION,
  helmStatus,
  KUBECTL_CLIENT,
  KUBECTL_SERVER,
  NS,
  OVERVIEW,
  PODS,
  PROXY_FAILS,
  readCounter,
  release,
  STATEFULSET,
} from '../../support/cluster-objects.js';

const CHART = fileURLToPath(new URL('../../../chart', import.meta.url));

let server: Server;
let url: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-lab-lab-test-'));
  let n = 0;
  server = createServer((request, response) => {
    if (request.url === '/healthz') return void response.end('{"status":"ok"}');
    n += 1;
    response.end(JSON.stringify({ pod: `helm-python-${n % 2}`, version: 'v1', counter: Math.ceil(n / 2) }));
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const STORAGE = kubectl(['get', 'storageclasses', '--output', 'json', '--request-timeout=10s'], {
  stdout: { items: [{ metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'local' }] },
});
const NODES = kubectl(['get', 'nodes', '--output', 'json', '--request-timeout=10s'], {
  stdout: { items: [{ metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }] },
});

describe('k8s-lab lab', () => {
  it('runs doctor, deploy, traffic, counters and the demos in order, and stops at the first step that fails, naming it', async () => {
    const script = [
      // 1 doctor
      HELM_VERSION,
      KUBECTL_CLIENT,
      KUBECTL_SERVER,
      ...FEATURES_DEPLOYED,
      STORAGE,
      NODES,
      helmStatus({ stdout: release(2) }),
      // 2 deploy (helm's version is known by now)
      helm([...NS, 'template', 'helm-python', CHART]),
      helmStatus({ stdout: release(2) }),
      KUBECTL_CLIENT,
      STATEFULSET,
      helm([...NS, 'upgrade', '--install', 'helm-python', CHART, '--timeout', '300s', '--wait=hookOnly', '--output', 'json'], { stdout: release(3) }),
      STATEFULSET,
      PODS,
      OVERVIEW,
      // 3 traffic goes to --url; 4 counters
      PROXY_FAILS,
      STATEFULSET,
      PODS,
      readCounter(0, 20),
      readCounter(1, 20),
      // 5 demo-update --strategy rolling: the release is not in a state to update
      KUBECTL_CLIENT,
      helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
        stdout: [
          { name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'pending-upgrade', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' },
        ],
      }),
      helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: { replicaCount: 2, app: { version: 'v1' } } }),
      STATEFULSET,
      PROXY_FAILS,
    ];
    const run = await runCommand(
      ['-n', 'lab', 'lab', '--url', url, '--strategies', 'rolling', '--lessons', 'none', '--output', join(dir, 'README.md'), '--record-dir', join(dir, 'runs')],
      script,
    );
    expect(run.code).toBe(1);
    expect(run.calls).toEqual(callsOf(script));
    const headers = run.stderr.split('\n').filter((line) => /^\[\d\/\d\]/.test(line));
    expect(headers).toEqual(['[1/6] doctor', '[2/6] deploy', '[3/6] traffic', '[4/6] counters', '[5/6] demo-update --strategy rolling']);
    expect(run.stderr.split('\n').at(-2)).toBe(
      '✖ lab stopped at step 5 (demo-update --strategy rolling): release helm-python is pending-upgrade, not deployed — bring it back with `k8s-lab deploy` (or `helm rollback`) first',
    );
    expect(run.stderr).toContain('✔ helm-python deployed (revision 3), every pod Ready');
    expect(run.stderr).toContain(`sending 40 requests to ${url} (given with --url)`);
    expect(run.stdout).toContain('helm-python-1   20        counter-data-py-helm-python-1');
  });

  it('a failed doctor stops the lab at step 1 before anything changes', async () => {
    const script = [helm(['version', '--short'], { notFound: true }), KUBECTL_CLIENT, KUBECTL_SERVER, ...FEATURES_NOT_DEPLOYED, STORAGE, NODES];
    const run = await runCommand(
      ['-n', 'lab', 'lab', '--url', url, '--output', join(dir, 'README.md'), '--record-dir', join(dir, 'runs'), '--lesson-dir', join(dir, 'lessons')],
      script,
    );
    expect(run.code).toBe(1);
    expect(run.calls).toEqual(callsOf(script));
    // doctor, deploy, traffic, counters, 4 update demos, demo-scale, demo-failover delete, kill and hang, demo-identity, demo-drain, demo-node-loss, report: 16 steps.
    expect(run.stderr).toMatch(/^\n\[1\/16] doctor\n✖ lab stopped at step 1 \(doctor\): 1 check failed: helm — install helm/);
  });

  it.each([
    ['scale,reboot', /unknown lesson "reboot"/],
    ['', /unknown lesson/],
  ])('--lessons %j: exit 2, one line, no call', async (value, message) => {
    const run = await runCommand(['lab', '--lessons', value], []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/^✖ [^\n]+\n$/);
    expect(run.calls).toEqual([]);
  });
});

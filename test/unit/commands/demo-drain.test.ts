// demo-drain through main() against a simulated cluster (test/support/drain-cluster.ts): bad input
// changes nothing, a drain cordons, evicts through the Eviction API (a refusal retried), uncordons,
// and a Ctrl-C in each phase leaves the node uncordoned. Each run imports a fresh CLI: the first
// Ctrl-C aborts the process-wide interrupt signal for good.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { drainLesson } from '../../../src/commands/demo-drain.js';
import type { DrainRecord } from '../../../src/demos/drain-analysis.js';
import { LabError } from '../../../src/errors.js';
import type { Lab } from '../../../src/lab-context.js';
import { DrainCluster, WORKER_A, WORKER_B, type DrainClusterOptions } from '../../support/drain-cluster.js';

let server: Server;
let url: string;
let dir: string;
/** Called at each probe request (a test's Ctrl-C at that moment). */
let onRequest: (() => void) | undefined;
beforeAll(async () => {
  server = createServer((_, response) => {
    onRequest?.();
    response.end(JSON.stringify({ pod: 'helm-python-0', version: 'v1', counter: 1 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  onRequest = undefined;
  dir = mkdtempSync(join(tmpdir(), 'k8s-lab-drain-cmd-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

async function drain(args: string[], options: DrainClusterOptions = {}): Promise<{ code: number; stdout: string; stderr: string; cluster: DrainCluster }> {
  vi.resetModules();
  const { main } = await import('../../../src/cli.js');
  const cluster = new DrainCluster(options);
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _e, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await main(['-n', 'lab', 'demo-drain', ...args], {
    runner: cluster,
    env: { PATH: '', K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl' },
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Object.assign(new PassThrough(), { isTTY: false }),
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr, cluster };
}

const quick = () => ['--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', dir];
const record = () => JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as DrainRecord;

describe('demo-drain', () => {
  it('cordons the node of the highest pod, evicts it through the Eviction API (one refusal retried), uncordons: passed', async () => {
    const run = await drain(quick(), { refusals: 1 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.cluster.changes).toEqual([
      `cordon ${WORKER_B}`,
      'evict helm-python-1 (policy/v1 Eviction helm-python-1)',
      'evict helm-python-1 (policy/v1 Eviction helm-python-1)',
      `uncordon ${WORKER_B}`,
    ]);
    expect(run.cluster.unschedulable.size).toBe(0);
    const r = record();
    expect(r.verdict, r.reason).toBe('passed');
    expect(r.moves).toHaveLength(1);
    expect(r.moves[0]).toMatchObject({
      pod: 'helm-python-1',
      fromNode: WORKER_B,
      fromUid: 'pod-uid-1',
      refusals: 1,
      toNode: WORKER_B,
      toUid: 'pod-uid-1-new1',
    });
    // Retried after 1 s (EVICTION_RETRY_MS): the refusal lasted about that long.
    expect(r.moves[0]!.refusedMs).toBeGreaterThanOrEqual(900);
    expect(r.evictions.map((e) => e.outcome)).toEqual(['refused', 'evicted']);
    expect(r.evictions[0]!.message).toMatch(/TooManyRequests/);
    expect(r.uncordonedAfter).toBe(true);
  });

  it('--pod 0 drains worker-a', async () => {
    const run = await drain(['--pod', '0', ...quick()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.cluster.changes).toEqual([`cordon ${WORKER_A}`, 'evict helm-python-0 (policy/v1 Eviction helm-python-0)', `uncordon ${WORKER_A}`]);
  });
});

describe('demo-drain: bad input changes nothing', () => {
  it.each([
    { name: '--pod out of range', args: ['--pod', '2'], code: 2, message: /--pod 2: release helm-python has 2 replicas \(pods 0-1\); nothing was changed/ },
    { name: '--uncordon-after too short', args: ['--uncordon-after', '500ms'], code: 2, message: /--uncordon-after.*expected 1s or more/ },
    { name: '--interval too short', args: ['--interval', '1ms'], code: 2, message: /--interval/ },
  ])('$name: exit $code, one line, no change', async ({ args, code, message }) => {
    const run = await drain([...args, '--url', url, '--record-dir', dir]);
    expect(run.code).toBe(code);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.cluster.changes).toEqual([]);
  });

  it('one schedulable node (the other cordoned by someone): exit 1, saying so, nothing changed', async () => {
    const run = await drain(quick(), { cordoned: [WORKER_A] });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the cluster has 1 schedulable node \(worker-b\): a drain needs another one/);
    expect(run.cluster.changes).toEqual([]);
    expect([...run.cluster.unschedulable]).toEqual([WORKER_A]);
  });
});

describe('demo-drain: Ctrl-C in each phase leaves the node uncordoned', () => {
  // At once, inside the call: the simulated cluster answers without waiting, so a later Ctrl-C would land phases later.
  const ctrlC = () => process.emit('SIGINT', 'SIGINT');
  const cases: { phase: string; trigger: (hook: { cluster?: DrainCluster }) => DrainClusterOptions['onCall'] }[] = [
    { phase: 'baseline', trigger: () => undefined },
    { phase: 'cordon', trigger: () => (call) => call.args.includes('cordon') && ctrlC() },
    { phase: 'evict', trigger: () => (call) => call.args.includes('--raw') && ctrlC() },
    { phase: 'uncordon', trigger: () => (call) => call.args.includes('uncordon') && ctrlC() },
  ];
  it.each(cases)('during $phase: exit 130, uncordoned, the record says interrupted', async ({ phase, trigger }) => {
    if (phase === 'baseline') {
      let requests = 0;
      onRequest = () => ++requests === 3 && ctrlC();
    }
    const run = await drain(['--settle', '2s', '--interval', '50ms', '--url', url, '--record-dir', dir], { onCall: trigger({}) });
    expect(run.code, run.stderr).toBe(130);
    expect(run.cluster.unschedulable.size).toBe(0);
    const r = record();
    expect(r.verdict, run.stderr).toBe('interrupted');
    expect(r.phases.filter((p) => p.name !== 'undo').at(-1)?.name, run.stderr).toBe(phase);
    expect(r.uncordonedAfter).toBe(true);
    if (phase === 'baseline') expect(run.cluster.changes).toEqual([]);
    else expect(run.cluster.changes.at(-1)).toBe(`uncordon ${WORKER_B}`);
    if (phase === 'cordon' || phase === 'evict')
      expect(run.stderr).toMatch(/interrupted \(SIGINT\) during (cordon|evict); worker-b uncordoned; every pod is Ready again/);
  });

  it.each(['recover', 'settle'])('during %s (after the uncordon): exit 130, uncordoned once, the pods waited for', async (phase) => {
    let uncordoned = false;
    let sent = false;
    onRequest = () => {
      if (uncordoned && !sent && phase === 'settle') setTimeout(() => !sent && ((sent = true), ctrlC()), 300);
    };
    const run = await drain(['--settle', '2s', '--interval', '50ms', '--url', url, '--record-dir', dir], {
      onCall: (call) => {
        if (call.args.includes('uncordon')) uncordoned = true;
        else if (phase === 'recover' && uncordoned && !sent && call.args.includes('statefulset')) {
          sent = true;
          ctrlC();
        }
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.cluster.changes.filter((c) => c.startsWith('uncordon'))).toEqual([`uncordon ${WORKER_B}`]);
    expect(run.cluster.unschedulable.size).toBe(0);
    expect(
      record()
        .phases.filter((p) => p.name !== 'undo')
        .at(-1)?.name,
    ).toBe(phase);
  });
});

describe("lab's drain step", () => {
  const labWith = (nodes: () => Promise<unknown[]>) => {
    const said: string[] = [];
    const lab = { kubectl: { nodes }, log: { info: (line: string) => said.push(line) } } as unknown as Lab;
    return { lab, said };
  };
  const node = (name: string, spec = {}) => ({ metadata: { name }, spec, status: { conditions: [{ type: 'Ready', status: 'True' }] } });

  it('skipped in one line on a single schedulable node (kind: one node, or a tainted control plane and one worker)', async () => {
    const { lab, said } = labWith(async () => [node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }), node('w1')]);
    expect(await drainLesson(lab, { interval: 100, timeout: 300_000, settle: 2000, recordDir: dir })).toBeUndefined();
    expect(said).toEqual(['demo-drain skipped: the cluster has 1 schedulable node, and a drain needs another one for the pods to go to']);
  });

  it('skipped in one line when the nodes may not be read', async () => {
    const { lab, said } = labWith(() => Promise.reject(new LabError('listing nodes: forbidden')));
    expect(await drainLesson(lab, { interval: 100, timeout: 300_000, settle: 2000, recordDir: dir })).toBeUndefined();
    expect(said).toEqual(['demo-drain skipped: the nodes cannot be read (listing nodes: forbidden); rbac/k8s-lab-nodes.yaml grants it']);
  });
});

// demo-node-loss through main() against a small stateful fake of a three-node cluster
// (test/support/node-loss-cluster.ts): bad input changes nothing; both recoveries run their
// commands in order and pass; Ctrl-C in each phase leaves the node started and untainted. Each run
// loads the CLI afresh: the first Ctrl-C aborts the process-wide interrupt signal for good.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NodeLossRecord } from '../../../src/demos/node-loss-record.js';
import { NodeLossCluster, OOS } from '../../support/node-loss-cluster.js';

let server: Server;
let url: string;
let state: string;
let script: string;
let sim: NodeLossCluster | undefined;
let recordDir: string;
/** Told of each probe request (a Ctrl-C in the baseline, where only the probe runs). */
let onProbe: (() => void) | undefined;

beforeAll(async () => {
  // The Service: each answer is an increment of the counter of the pod that gave it, the two pods
  // in turn while both are Ready (on a node that is up), else helm-python-0.
  let turn = 0;
  server = createServer((_, response) => {
    onProbe?.();
    const p1 = sim?.pods[1];
    const p = p1 && turn++ % 2 === 1 && p1.ready === 'True' && sim?.node(p1.node ?? '')?.powered ? p1 : sim?.pods[0];
    if (p) p.counter++;
    response.end(JSON.stringify({ pod: `helm-python-${p?.ordinal ?? 0}`, version: 'v1', counter: p?.counter ?? 0 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state = mkdtempSync(join(tmpdir(), 'k8s-lab-node-loss-'));
  mkdirSync(join(state, 'bin'));
  script = join(state, 'bin', 'k8s-lab-node');
  writeFileSync(script, '#!/bin/sh\nexit 99\n');
  chmodSync(script, 0o755);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(state, { recursive: true, force: true });
});
afterEach(() => {
  sim?.stopTimers();
  sim = undefined;
  onProbe = undefined;
  vi.unstubAllEnvs();
});

async function run(argv: string[], cluster: NodeLossCluster): Promise<{ code: number; stdout: string; stderr: string }> {
  sim = cluster;
  vi.stubEnv('K8S_LAB_CLUSTER_STATE', state);
  vi.resetModules();
  const { main } = await import('../../../src/cli.js');
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (chunk: Buffer | string, _e, done) => (add(String(chunk)), done()) });
  const code = await main(argv, {
    runner: cluster,
    env: { PATH: '', K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl' },
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Object.assign(new PassThrough(), { isTTY: false }),
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(cluster.unknown, stderr).toEqual([]);
  return { code, stdout, stderr };
}

const demo = (...more: string[]) => {
  recordDir = mkdtempSync(join(tmpdir(), 'k8s-lab-node-loss-records-'));
  return ['-n', 'lab', 'demo-node-loss', '--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', recordDir, ...more];
};
const record = (): NodeLossRecord => JSON.parse(readFileSync(join(recordDir, readdirSync(recordDir)[0]!), 'utf8')) as NodeLossRecord;
const changes = (c: NodeLossCluster) =>
  c.calls
    .filter((w) => w[0] === script || w.includes('taint'))
    .map((w) => (w[0] === script ? `node ${w[1]}` : w.some((x) => x.endsWith(':NoExecute-')) ? 'untaint' : 'taint'));

describe('bad input changes nothing', () => {
  it.each([
    [['--pod', '5'], 2, /--pod 5: release helm-python has 2 replicas \(pods 0-1\); nothing was changed/],
    [['--stop-command', 'docker stop {node}'], 2, /--stop-command without --start-command/],
    [['--recover', 'reboot'], 2, /--recover "reboot" is invalid: allowed choices are start, out-of-service/],
    [['--stop-command', "ssh 'host"], 2, /unclosed ' quote/],
    [
      ['--stop-command', 'no-such-program-k8s stop {node}', '--start-command', '/bin/true'],
      2,
      /--stop-command: no-such-program-k8s is not an executable file, nor one on PATH; nothing was changed/,
    ],
  ])('%j exits %i', async (args, code, message) => {
    const cluster = new NodeLossCluster({ script });
    const result = await run(demo(...(args as string[])), cluster);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => /^\s+at /.test(l)),
    ).toEqual([]);
    expect(changes(cluster)).toEqual([]);
  });

  it('elsewhere, without --stop-command: one line saying to pass one, exit 2, nothing changed', async () => {
    const cluster = new NodeLossCluster({ script, names: { control: 'kind-control-plane', workers: ['kind-worker', 'kind-worker2'] } });
    const result = await run(demo(), cluster);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/k8s-lab cannot power kind-worker2 off by itself here; nothing was changed/);
    expect(result.stderr).toMatch(/--stop-command 'docker stop kind-worker2' --start-command 'docker start kind-worker2'/);
    expect(changes(cluster)).toEqual([]);
  });
});

describe('a node lost and recovered', () => {
  it('--recover start: stops and starts the node of helm-python-1; the same pod comes back; passed', async () => {
    const cluster = new NodeLossCluster({ script });
    const result = await run(demo('--json'), cluster);
    expect(result.code, result.stderr).toBe(0);
    expect(changes(cluster)).toEqual(['node stop', 'node start']);
    expect(cluster.calls.filter((w) => w[0] === script)).toEqual([
      [script, 'stop', 'k8s-lab-worker2'],
      [script, 'start', 'k8s-lab-worker2'],
    ]);
    const r = record();
    expect(JSON.parse(result.stdout)).toMatchObject({ lesson: 'node-loss', verdict: 'passed' });
    expect(r).toMatchObject({ verdict: 'passed', pod: 'helm-python-1', node: 'k8s-lab-worker2', recover: 'start' });
    expect(r.identity.after?.uid).toBe('pod-uid-1');
    expect(r.figures?.replacement).toBeNull();
    expect(r.figures?.notReadyMs).toBeGreaterThanOrEqual(150);
    expect(r.phases.map((p) => p.name)).toEqual(['baseline', 'stop', 'down', 'start', 'back', 'settle']);
    expect(cluster.node('k8s-lab-worker2')).toMatchObject({ powered: true, ready: 'True', taints: [] });
  }, 20_000);

  it('--recover out-of-service: stop, taint, start, untaint in that order; a new pod on the same PVC; passed', async () => {
    const cluster = new NodeLossCluster({ script });
    const result = await run(demo('--recover', 'out-of-service'), cluster);
    expect(result.code, result.stderr).toBe(0);
    expect(changes(cluster)).toEqual(['node stop', 'taint', 'node start', 'untaint']);
    expect(cluster.calls.find((w) => w.includes('taint') && w.includes(`${OOS}=nodeshutdown:NoExecute`))).toBeDefined();
    const r = record();
    expect(r.verdict, r.reason).toBe('passed');
    expect(r.identity.after?.uid).toBe('pod-uid-1-b');
    expect(r.figures?.replacement).toMatchObject({ uid: 'pod-uid-1-b', early: false, node: 'k8s-lab-worker2' });
    expect(r.dataMeaning).toContain('stays Pending until k8s-lab-worker2 is back');
    expect(result.stdout).toContain('node-loss --recover out-of-service of k8s-lab-worker2 (helm-python-1): passed');
    expect(cluster.node('k8s-lab-worker2')).toMatchObject({ powered: true, ready: 'True', taints: [] });
  }, 20_000);
});

describe('Ctrl-C in each phase starts the node and removes the taint', () => {
  // The Ctrl-C comes at the call that begins the phase (or, for waits, at a read inside it).
  const at: [string, string, (w: string[], c: NodeLossCluster) => boolean][] = [
    ['baseline', 'start', () => false],
    ['stop', 'start', (w) => w[0] === script && w[1] === 'stop'],
    ['down', 'start', (w, c) => w.includes('nodes') && !c.node('k8s-lab-worker2').powered],
    ['taint', 'out-of-service', (w) => w.includes('taint') && !w.some((x) => x.endsWith(':NoExecute-'))],
    ['replace', 'out-of-service', (w, c) => w.includes('nodes') && c.node('k8s-lab-worker2').taints.length > 0 && !c.node('k8s-lab-worker2').powered],
    ['start', 'out-of-service', (w) => w[0] === script && w[1] === 'start'],
    ['untaint', 'out-of-service', (w) => w.includes('taint') && w.some((x) => x.endsWith(':NoExecute-'))],
  ];
  it.each(at)(
    'Ctrl-C in %s (--recover %s): exit 130, node started, taint removed, pod Ready',
    async (phase, recover, when) => {
      let sent = false;
      const interrupt = () => {
        if (sent) return;
        sent = true;
        process.emit('SIGINT', 'SIGINT');
      };
      const cluster: NodeLossCluster = new NodeLossCluster({ script, onCall: (w) => when(w, cluster) && interrupt() });
      // In the baseline only the probe runs: its third request (the first checks --url before the run).
      let requests = 0;
      if (phase === 'baseline') onProbe = () => ++requests === 3 && interrupt();
      const result = await run(demo('--recover', recover, '--settle', '400ms'), cluster);
      expect(result.code, result.stderr).toBe(130);
      const r = record();
      expect(r.verdict).toBe('interrupted');
      expect(r.reason).toContain(`during ${phase}`);
      expect(cluster.node('k8s-lab-worker2')).toMatchObject({ powered: true, ready: 'True', taints: [] });
      expect(cluster.pods.every((p) => p.ready === 'True')).toBe(true);
      const made = changes(cluster);
      if (made.includes('node stop')) expect(made.at(-1) === 'node start' || made.at(-1) === 'untaint').toBe(true);
      if (made.includes('taint')) expect(made.lastIndexOf('untaint')).toBeGreaterThan(made.lastIndexOf('taint'));
    },
    20_000,
  );
});

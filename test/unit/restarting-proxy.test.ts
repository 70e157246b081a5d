// A demo's `kubectl proxy` that dies is started again, with a real short-lived process for kubectl
// (test/support/fake-kubectl-proxy.mjs): the read after the kill answers from a second process,
// the restart is told as a read outage, and closing the reader leaves no process; `counters`
// (no resume) fails at once as before.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { KubeProxy } from '../../src/adapters/pod-exec.js';
import { RestartingProxy } from '../../src/adapters/restarting-proxy.js';
import type { ReadOutage } from '../../src/adapters/transient.js';
import { openProxiedReader, type ProxiedReader } from '../../src/counters.js';
import { controlPlaneWindows } from '../../src/demos/control-plane.js';
import { createRunner } from '../../src/process/runner.js';

const FAKE_KUBECTL = fileURLToPath(new URL('../support/fake-kubectl-proxy.mjs', import.meta.url));
const STS = '/apis/apps/v1/namespaces/lab/statefulsets/helm-python';
const quietLog = (lines: string[]) => ({ debug: (l: string) => lines.push(l), info() {}, success() {}, warn() {}, error() {}, data() {}, result() {} });

/** True while a process with this pid exists (a reaped one does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(process.platform === 'win32')('a kubectl proxy that dies', () => {
  let dir: string;
  let reader: ProxiedReader | undefined;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'k8s-lab-restart-test-'))));
  afterEach(async () => {
    await reader?.close();
    reader = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The fake's calls: [pid, args] in order. */
  const calls = () =>
    readFileSync(join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => [Number(line.split(' ')[0]), line.split(' ').slice(1).join(' ')] as const);
  const proxies = () => calls().filter(([, args]) => args.startsWith('proxy '));
  const kubectl = () => new Kubectl(createRunner({ env: { FAKE_KUBECTL_CALLS: join(dir, 'calls') } }), FAKE_KUBECTL, { namespace: 'lab' });
  const answeredBy = async (r: ProxiedReader) => Number((await r.kubectl.statefulSet('helm-python'))?.metadata.annotations?.['answered-by']);

  it('a demo: the read after the proxy is killed answers from a second proxy; the restart is one read outage; close() leaves none running', async () => {
    const outages: ReadOutage[] = [];
    const debug: string[] = [];
    reader = await openProxiedReader({ kubectl: kubectl(), log: quietLog(debug) }, 60_000, { limitMs: 10_000, onOutage: (o) => outages.push(o) });
    const first = await answeredBy(reader!);
    expect(proxies().map(([pid]) => pid)).toEqual([first]);

    process.kill(first, 'SIGKILL');
    const killedAt = Date.now();
    const second = await answeredBy(reader!);
    expect(second).not.toBe(first);
    expect(proxies().map(([pid]) => pid)).toEqual([first, second]);
    expect(alive(first)).toBe(false);
    // Only proxies were started: no read fell back to a kubectl call.
    expect(calls()).toHaveLength(2);
    expect(outages).toHaveLength(1);
    expect(outages[0]).toMatchObject({ what: 'kubectl proxy', answered: true, failed: 1 });
    // SIGKILL: no exit code of its own (the runner reports 1); seen exited or refusing, whichever came first.
    expect(outages[0]!.fault).toMatch(/^(exited \(exit code 1\)|refused connections), started again \(1 of 3\)$/);
    expect(outages[0]!.start).toBeGreaterThanOrEqual(killedAt);
    expect(outages[0]!.end).toBeGreaterThanOrEqual(outages[0]!.start);
    expect(debug.join('\n')).toMatch(/kubectl proxy (exited|refused).*, started again \(1 of 3\)/);
    // In the record: one control-plane window, naming the proxy (the run began a second before the kill).
    const cp = controlPlaneWindows([], [], killedAt - 1000, 60_000, outages);
    expect(cp?.away).toHaveLength(1);
    expect(cp!.away[0]!.seen).toEqual([
      expect.stringMatching(/^kubectl proxy: (exited \(exit code 1\)|refused connections), started again \(1 of 3\) \(tried again\)$/),
    ]);
    expect(cp!.away[0]!.start).toBeGreaterThanOrEqual(1000);

    await reader!.close();
    reader = undefined;
    expect([first, second].filter(alive)).toEqual([]);
  });

  it('a proxy alive whose socket is gone is stopped and replaced', async () => {
    reader = await openProxiedReader({ kubectl: kubectl(), log: quietLog([]) }, 60_000, { limitMs: 10_000 });
    const first = await answeredBy(reader!);
    process.kill(first, 'SIGUSR1'); // closes its socket, keeps running
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(first)).toBe(true);
    const second = await answeredBy(reader!);
    expect(proxies().map(([pid]) => pid)).toEqual([first, second]);
    expect(alive(first)).toBe(false);
    await reader!.close();
    reader = undefined;
    expect(alive(second)).toBe(false);
  });

  it('at most maxRestarts: after the last one a dead proxy fails the read, and no further proxy is started', async () => {
    const k = kubectl();
    const start = (timeoutMs: number) => KubeProxy.start(k, { timeoutMs });
    const proxy = new RestartingProxy(await start(60_000), { start, deadline: Date.now() + 60_000, maxRestarts: 1 });
    try {
      const pid = async () => Number(JSON.parse((await proxy.get(STS)).body).metadata.annotations['answered-by']);
      process.kill(await pid(), 'SIGKILL');
      const second = await pid();
      process.kill(second, 'SIGKILL');
      await expect(proxy.get(STS)).rejects.toMatchObject({ code: expect.stringMatching(/^(ECONNREFUSED|ENOENT|ECONNRESET)$/) });
      expect(proxies()).toHaveLength(2);
      expect(proxy.restarts).toBe(1);
    } finally {
      await proxy.stop();
    }
    expect(
      proxies()
        .map(([pid]) => pid)
        .filter(alive),
    ).toEqual([]);
  });

  it('stop() while a new proxy is starting (Ctrl-C then) stops that one too, and the read fails', async () => {
    const k = kubectl();
    // The second start is held until stop() has been called: the Ctrl-C comes while it starts.
    let secondStarted!: () => void;
    const started = new Promise<void>((resolve) => (secondStarted = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let starts = 0;
    const start = async (timeoutMs: number) => {
      const next = await KubeProxy.start(k, { timeoutMs });
      if (++starts === 2) {
        secondStarted();
        await held;
      }
      return next;
    };
    const outages: ReadOutage[] = [];
    const proxy = new RestartingProxy(await start(60_000), { start, deadline: Date.now() + 60_000, onOutage: (o) => outages.push(o) });
    process.kill(Number(JSON.parse((await proxy.get(STS)).body).metadata.annotations['answered-by']), 'SIGKILL');
    // Its outcome taken at once: a rejection is never left unhandled while the test waits.
    const read = proxy.get(STS).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await started;
    const stopping = proxy.stop();
    release();
    await stopping;
    expect(await read).toMatch(/^(ECONNREFUSED|ENOENT|ECONNRESET)$/);
    expect(proxies()).toHaveLength(2);
    expect(
      proxies()
        .map(([pid]) => pid)
        .filter(alive),
    ).toEqual([]);
    expect(outages).toEqual([]);
  });

  it("`k8s-lab counters` (no resume): a dead proxy is not started again, the read fails at once with kubectl's error", async () => {
    reader = await openProxiedReader({ kubectl: kubectl(), log: quietLog([]) }, 60_000);
    const first = await answeredBy(reader!);
    process.kill(first, 'SIGKILL');
    const started = Date.now();
    await expect(reader!.kubectl.statefulSet('helm-python')).rejects.toThrow('reading statefulset helm-python: cannot reach the Kubernetes API server');
    // One kubectl call (node starting: well under a second), no retry every second.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(proxies().map(([pid]) => pid)).toEqual([first]);
    expect(calls().map(([, args]) => /^(?:--namespace lab )?(\S+)/.exec(args)?.[1])).toEqual(['proxy', 'get']);
  });
});

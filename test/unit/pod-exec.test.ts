import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { KubeProxy, MAX_SOCKET_PATH, parseExecMessages, podExecArgs, proxyTransport, servingAddress } from '../../src/adapters/pod-exec.js';
import { readReleaseCounters } from '../../src/counters.js';
import type { Runner, ToolCall, ToolResult, ToolStream } from '../../src/process/runner.js';

const binary = (channel: number, text: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);

describe('podExecArgs', () => {
  it('serves on the unix socket, lets exec through and keeps attach refused', () => {
    expect(podExecArgs.proxy({ kubeconfig: '/k', context: 'c', namespace: 'lab' }, '/tmp/d/sock')).toEqual([
      '--kubeconfig',
      '/k',
      '--context',
      'c',
      'proxy',
      '--unix-socket',
      '/tmp/d/sock',
      '--reject-paths=^/api/.*/pods/.*/attach',
    ]);
  });
  it('puts each command word in its own query parameter', () => {
    expect(podExecArgs.execPath('lab', 'helm-python-0', 'app', ['cat', '/data/counter.json'])).toBe(
      '/api/v1/namespaces/lab/pods/helm-python-0/exec?container=app&command=cat&command=%2Fdata%2Fcounter.json&stdout=true&stderr=true',
    );
  });
});

describe('parseExecMessages', () => {
  it('joins stdout across messages, keeps stderr apart and reads the status', () => {
    const output = parseExecMessages([
      binary(1, ''),
      binary(2, ''),
      binary(1, '{"coun'),
      binary(2, 'warn'),
      binary(1, 'ter": 7}'),
      binary(3, '{"metadata":{},"status":"Success"}'),
    ]);
    expect(output).toEqual({ stdout: '{"counter": 7}', stderr: 'warn', status: { metadata: {}, status: 'Success' } });
  });
  it('keeps a multi-byte character split between two messages whole', () => {
    const euro = Buffer.from('€');
    const output = parseExecMessages([Buffer.concat([Buffer.from([1]), euro.subarray(0, 1)]), Buffer.concat([Buffer.from([1]), euro.subarray(1)])]);
    expect(output.stdout).toBe('€');
    expect(output.status).toBeUndefined();
  });
});

/**
 * A runner whose `kubectl proxy` is a local HTTP server on the socket it was given, answering like
 * the API server: the StatefulSet, its pods, and execs over WebSocket (each pod's counter is the
 * length of its name); `kubectl exec`, the fallback, answers 99.
 */
class ProxyRunner implements Runner {
  readonly calls: string[] = [];
  server: Server | undefined;
  /** `serves`: pods whose app answers GET /counter.json through the pod proxy (with 1000 + the name's length). */
  constructor(private readonly api: { pods: string[]; failExec?: string[]; startFails?: boolean; serves?: string[] }) {}

  async run(call: ToolCall): Promise<ToolResult> {
    this.calls.push(call.args.join(' '));
    const line = call.args.join(' ');
    const answer = (stdout: string, exitCode = 0, stderr = '') => ({ call, exitCode, stdout, stderr, timedOut: false, notFound: false, durationMs: 1 });
    if (/ exec (\S+) /.test(line)) return answer('{"counter": 99}');
    if (/get statefulset/.test(line)) return answer(JSON.stringify(sts));
    if (/get pods/.test(line)) return answer(JSON.stringify({ items: this.api.pods.map(pod) }));
    throw new Error(`no answer for ${line}`);
  }

  stream(call: ToolCall, onStdout: (chunk: string) => void): ToolStream {
    this.calls.push(call.args.join(' '));
    let exit!: (r: { exitCode: number; stderr: string }) => void;
    const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) => (exit = resolve));
    if (this.api.startFails) {
      queueMicrotask(() => exit({ exitCode: 1, stderr: 'error: unknown flag: --unix-socket\n' }));
      return { exited, stop: async () => {} };
    }
    const unix = call.args.includes('--unix-socket');
    const socketPath = call.args[call.args.indexOf('--unix-socket') + 1]!;
    this.server = createServer((req, res) => {
      if (req.url === '/apis/apps/v1/namespaces/lab/statefulsets/helm-python') return res.end(JSON.stringify(sts));
      if (req.url?.startsWith('/api/v1/namespaces/lab/pods?labelSelector=app%3Dc')) return res.end(JSON.stringify({ items: this.api.pods.map(pod) }));
      const served = /^\/api\/v1\/namespaces\/lab\/pods\/([^/:]+):8000\/proxy\/counter\.json$/.exec(req.url ?? '')?.[1];
      if (served && this.api.serves?.includes(served)) return res.end(`{"counter": ${1000 + served.length}}\n`);
      res.writeHead(404).end('{"kind":"Status","reason":"NotFound"}');
    });
    // The exec: the channel messages of `cat`, then the server closes.
    const wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const name = /pods\/([^/]+)\/exec/.exec(req.url ?? '')![1]!;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const failed = this.api.failExec?.includes(name);
        ws.send(failed ? binary(2, 'cat: no such file') : binary(1, `{"counter": ${name.length}}`));
        ws.send(binary(3, failed ? '{"status":"Failure","message":"exit code 1"}' : '{"status":"Success"}'));
        ws.close(1000);
      });
    });
    if (unix) this.server.listen(socketPath, () => onStdout(`Starting to serve on ${socketPath}\n`));
    else {
      // `kubectl proxy --port=0 --address=127.0.0.1`: the kernel's port, printed in two chunks.
      this.server.listen(0, '127.0.0.1', () => {
        const line = `Starting to serve on 127.0.0.1:${(this.server!.address() as AddressInfo).port}\n`;
        onStdout(line.slice(0, -3));
        setTimeout(() => onStdout(line.slice(-3)), 5);
      });
    }
    return {
      exited,
      stop: async () => {
        await new Promise((resolve) => this.server!.close(resolve));
        exit({ exitCode: 0, stderr: '' });
      },
    };
  }
}

const sts = { metadata: { name: 'helm-python' }, spec: { selector: { matchLabels: { app: 'c' } } } };
const pod = (name: string) => ({
  metadata: { name, labels: { 'app.kubernetes.io/version': 'v1' } },
  spec: { volumes: [{ name: 'counter-data-py', persistentVolumeClaim: { claimName: `counter-data-py-${name}` } }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});
const quietLog = (lines: string[]) => ({ debug: (l: string) => lines.push(l), info() {}, success() {}, warn() {}, error() {}, data() {}, result() {} });

describe('readReleaseCounters', () => {
  let runner: ProxyRunner | undefined;
  afterEach(() => void runner?.server?.close());

  it('reads the StatefulSet, its pods and every counter through one kubectl proxy', async () => {
    runner = new ProxyRunner({ pods: ['helm-python-1', 'helm-python-0', 'helm-python-10'] });
    const debug: string[] = [];
    const readings = await readReleaseCounters({ kubectl: new Kubectl(runner, 'kubectl', { namespace: 'lab' }), release: 'helm-python', log: quietLog(debug) });
    expect(readings.map((r) => [r.pod, r.counter, r.pvc, r.error])).toEqual([
      ['helm-python-0', 13, 'counter-data-py-helm-python-0', undefined],
      ['helm-python-1', 13, 'counter-data-py-helm-python-1', undefined],
      ['helm-python-10', 14, 'counter-data-py-helm-python-10', undefined],
    ]);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toMatch(/^proxy --unix-socket \S+\/sock --reject-paths=/);
    // The private folder of the socket is gone with the proxy.
    expect(existsSync(dirname(runner.calls[0]!.split(' ')[2]!))).toBe(false);
  });

  it('reads the file the app serves through the pod proxy, and execs only where the app does not serve it', async () => {
    runner = new ProxyRunner({ pods: ['helm-python-0', 'helm-python-1'], serves: ['helm-python-0'] });
    const debug: string[] = [];
    const readings = await readReleaseCounters({ kubectl: new Kubectl(runner, 'kubectl', { namespace: 'lab' }), release: 'helm-python', log: quietLog(debug) });
    expect(readings.map((r) => [r.pod, r.counter])).toEqual([
      ['helm-python-0', 1013],
      ['helm-python-1', 13],
    ]);
    expect(runner.calls).toHaveLength(1);
  });

  it("falls back to kubectl exec for a pod whose exec fails, so the error is kubectl's", async () => {
    runner = new ProxyRunner({ pods: ['helm-python-0', 'helm-python-1'], failExec: ['helm-python-1'] });
    const debug: string[] = [];
    const readings = await readReleaseCounters({ kubectl: new Kubectl(runner, 'kubectl', { namespace: 'lab' }), release: 'helm-python', log: quietLog(debug) });
    expect(readings.map((r) => r.counter)).toEqual([13, 99]);
    expect(runner.calls.slice(1)).toEqual(['--namespace lab exec helm-python-1 --container app --request-timeout=10s -- cat /data/counter.json']);
    expect(debug.join('\n')).toContain('exec in helm-python-1 through kubectl proxy failed (exit code 1): kubectl exec instead');
  });

  it('says the release is not deployed when the proxy answers NotFound', async () => {
    runner = new ProxyRunner({ pods: [] });
    const kubectl = new Kubectl(runner, 'kubectl', { namespace: 'lab' });
    await expect(readReleaseCounters({ kubectl, release: 'other', log: quietLog([]) })).rejects.toThrow(
      'release other is not deployed in namespace lab (no StatefulSet other)',
    );
  });

  it('reads with one kubectl exec per pod when the proxy does not start, and says so with --verbose', async () => {
    runner = new ProxyRunner({ pods: ['helm-python-0'], startFails: true });
    const debug: string[] = [];
    const readings = await readReleaseCounters({ kubectl: new Kubectl(runner, 'kubectl', { namespace: 'lab' }), release: 'helm-python', log: quietLog(debug) });
    expect(readings.map((r) => r.counter)).toEqual([99]);
    expect(debug.join('\n')).toMatch(
      /kubectl proxy could not start \(kubectl proxy exited: error: unknown flag: --unix-socket\): reading with kubectl instead/,
    );
  });
});

describe('kubectl proxy transport by platform', () => {
  let runner: ProxyRunner | undefined;
  afterEach(() => void runner?.server?.close());

  it('podExecArgs.proxyTcp: a kernel-chosen port on 127.0.0.1 only, attach still refused', () => {
    expect(podExecArgs.proxyTcp({ kubeconfig: '/k', namespace: 'lab' })).toEqual([
      '--kubeconfig',
      '/k',
      'proxy',
      '--port=0',
      '--address=127.0.0.1',
      '--reject-paths=^/api/.*/pods/.*/attach',
    ]);
  });

  it('servingAddress reads the port kubectl printed, only once the line is complete', () => {
    expect(servingAddress('Starting to serve on 127.0.0.1:41235\n')).toEqual({ host: '127.0.0.1', port: 41235 });
    expect(servingAddress('Starting to serve on 127.0.0.1:41235\r\n')).toEqual({ host: '127.0.0.1', port: 41235 });
    expect(servingAddress('Starting to serve on 127.0.0.1:412')).toBeUndefined();
    expect(servingAddress('Starting to serve on /tmp/x/sock\n')).toBeUndefined();
    expect(servingAddress('Starting to serve on 127.0.0.1:0\n')).toBeUndefined();
  });

  it('proxyTransport: unix sockets on Linux and macOS, TCP on Windows and for a socket path too long for sun_path or unfit for a URL', () => {
    expect(proxyTransport('linux', '/tmp/k8s-lab-proxy-abc/sock')).toBe('unix');
    expect(proxyTransport('darwin', '/var/folders/xy/abc/T/k8s-lab-proxy-abc/sock')).toBe('unix');
    expect(proxyTransport('win32', 'C:\\Users\\me\\AppData\\Local\\Temp\\k8s-lab-proxy-abc\\sock')).toBe('tcp');
    expect(proxyTransport('linux', `/${'x'.repeat(MAX_SOCKET_PATH)}`)).toBe('tcp');
    expect(proxyTransport('linux', `/${'x'.repeat(MAX_SOCKET_PATH - 1)}`)).toBe('unix');
    // A ws+unix: URL ends the socket path at its first colon, and a URL would percent-encode a space.
    expect(proxyTransport('linux', '/tmp/a:b/k8s-lab-proxy-abc/sock')).toBe('tcp');
    expect(proxyTransport('darwin', '/Users/me/my tmp/k8s-lab-proxy-abc/sock')).toBe('tcp');
  });

  it.each([
    ['linux', 'unix'],
    ['darwin', 'unix'],
    ['win32', 'tcp'],
  ] as const)('on %s: starts kubectl proxy over %s, then GETs and execs through it', async (platform, transport) => {
    runner = new ProxyRunner({ pods: ['helm-python-0'] });
    const kubectl = new Kubectl(runner, 'kubectl', { namespace: 'lab' });
    const proxy = await KubeProxy.start(kubectl, { timeoutMs: 10_000, platform });
    try {
      expect(proxy.transport).toBe(transport);
      expect(runner.calls[0]).toMatch(transport === 'unix' ? /^proxy --unix-socket \S+\/sock / : /^proxy --port=0 --address=127\.0\.0\.1 /);
      const answer = await proxy.get('/apis/apps/v1/namespaces/lab/statefulsets/helm-python');
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body)).toEqual(sts);
      expect(await proxy.exec('lab', 'helm-python-0', 'app', ['cat', '/data/counter.json'])).toBe('{"counter": 13}');
    } finally {
      await proxy.stop();
    }
  });

  it('a $TMPDIR too long for a unix socket: TCP, and no folder is made', async () => {
    runner = new ProxyRunner({ pods: [] });
    const kubectl = new Kubectl(runner, 'kubectl', { namespace: 'lab' });
    const tmp = join(tmpdir(), 'x'.repeat(120));
    const proxy = await KubeProxy.start(kubectl, { timeoutMs: 10_000, platform: 'linux', tmp });
    expect(proxy.transport).toBe('tcp');
    expect(existsSync(tmp)).toBe(false);
    await proxy.stop();
  });
});

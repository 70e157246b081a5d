import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolStream } from '../process/runner.js';
import { exchangeWebSocket, unixSocketFitsUrl, type ProxyEndpoint } from '../process/websocket.js';
import { EXEC_PROTOCOL, execPath, parseExecMessages, type ProxyResponse } from './exec-channel.js';
import { kubectlArgs, type KubeTarget, type Kubectl } from './kubectl.js';

export { EXEC_PROTOCOL, parseExecMessages, type ExecOutput, type ProxyResponse } from './exec-channel.js';

/**
 * Many reads from the API server for the price of one kubectl process: `kubectl proxy` on a unix
 * socket in a private (0700) temp dir (on Windows: TCP on 127.0.0.1), then plain HTTP GETs and
 * WebSocket execs through it. One
 * kubectl costs ~0.3 s of CPU to start, so one exec per pod made `counters` grow with the pods.
 */

/** kubectl proxy refuses exec (and attach) by default; this keeps attach refused and lets exec through. */
const REJECT_PATHS = '^/api/.*/pods/.*/attach';
const STARTUP_TIMEOUT_MS = 10_000;
/** An API server answers a GET of one object in milliseconds; past this the caller falls back to kubectl. */
const GET_TIMEOUT_MS = 5_000;
/** An exec starts a process in the container: slower, and much slower on a busy node. */
const EXEC_TIMEOUT_MS = 20_000;

/**
 * The longest unix socket path every platform takes: `sun_path` holds 108 bytes on Linux, 104 on
 * macOS, with the terminating NUL. Past it (a long $TMPDIR) the proxy listens on TCP instead.
 */
export const MAX_SOCKET_PATH = 103;

/** How the proxy is reached: a unix socket in a private folder, or TCP on 127.0.0.1 where that cannot be. */
export type ProxyTransport = 'unix' | 'tcp';

/**
 * Unix sockets, except on Windows (kubectl's `--unix-socket` is not there, and Node names pipes
 * differently), where the socket's path would be too long, and where it would not survive in a
 * `ws+unix:` URL (a colon, a space).
 */
export function proxyTransport(platform: NodeJS.Platform, socketPath: string): ProxyTransport {
  return platform === 'win32' || Buffer.byteLength(socketPath) > MAX_SOCKET_PATH || !unixSocketFitsUrl(socketPath) ? 'tcp' : 'unix';
}

/**
 * The address `kubectl proxy --port=0` chose, from its first line (`Starting to serve on
 * 127.0.0.1:41235`), once the whole line is there (output comes in chunks).
 */
export function servingAddress(stdout: string): { host: string; port: number } | undefined {
  const match = /Starting to serve on (\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+)\r?\n/.exec(stdout);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1]!.replace(/^\[|\]$/g, ''), port } : undefined;
}

export const podExecArgs = {
  /** `kubectl proxy` serving on a unix socket; the API paths it accepts are those kubectl would call. */
  proxy(target: KubeTarget, socketPath: string): string[] {
    return [...kubectlArgs.scope(target, { namespaced: false }), 'proxy', '--unix-socket', socketPath, `--reject-paths=${REJECT_PATHS}`];
  },
  /**
   * `kubectl proxy` on a port of 127.0.0.1 the kernel picks (it prints which): where there is no unix
   * socket. Any local user can reach it while it runs (a unix socket's folder is private), as with
   * any `kubectl proxy`; k8s-lab keeps it for the command's duration only.
   */
  proxyTcp(target: KubeTarget): string[] {
    return [...kubectlArgs.scope(target, { namespaced: false }), 'proxy', '--port=0', '--address=127.0.0.1', `--reject-paths=${REJECT_PATHS}`];
  },
  /** The API path of an exec without stdin or TTY. */
  execPath,
};

export class KubeProxy {
  /** How the kubectl proxy process ended, once it has (killed, or past its time limit). */
  exit?: { exitCode: number; stderr: string };

  private constructor(
    private readonly stream: ToolStream,
    /** Where the proxy serves: its unix socket, or its TCP address. */
    readonly endpoint: ProxyEndpoint,
    private readonly echo: (line: string) => void,
    private readonly removeDir: () => void,
  ) {
    void stream.exited.then((exit) => (this.exit = exit));
  }

  /** Settles when the kubectl proxy process exits. */
  get exited(): Promise<{ exitCode: number; stderr: string }> {
    return this.stream.exited;
  }

  get transport(): ProxyTransport {
    return 'socketPath' in this.endpoint ? 'unix' : 'tcp';
  }

  /**
   * Starts `kubectl proxy` and resolves once it serves; rejects (having cleaned up) when it exits or
   * says nothing within 10 s. The proxy ends after `timeoutMs` at the latest.
   */
  static async start(
    kubectl: Kubectl,
    {
      timeoutMs,
      echo = () => {},
      platform = process.platform,
      tmp = tmpdir(),
    }: { timeoutMs: number; echo?: (line: string) => void; platform?: NodeJS.Platform; tmp?: string },
  ): Promise<KubeProxy> {
    const unix = proxyTransport(platform, join(tmp, 'k8s-lab-proxy-XXXXXX', 'sock')) === 'unix';
    const dir = unix ? mkdtempSync(join(tmp, 'k8s-lab-proxy-')) : undefined;
    const socketPath = dir && join(dir, 'sock');
    // Also when k8s-lab exits halfway (Ctrl-C): the runner ends the proxy, this removes its folder.
    const removeDir = () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', removeDir);
    let stdout = '';
    let endpoint: ProxyEndpoint | undefined;
    let serving: () => void = () => {};
    const started = new Promise<void>((resolve) => (serving = resolve));
    const args = socketPath ? podExecArgs.proxy(kubectl.target, socketPath) : podExecArgs.proxyTcp(kubectl.target);
    const stream = kubectl.stream(args, timeoutMs, (chunk) => {
      stdout += chunk;
      if (!stdout.includes('Starting to serve') || endpoint) return;
      endpoint = socketPath ? { socketPath } : servingAddress(stdout);
      if (endpoint) serving();
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      started.then(() => 'serving' as const),
      stream.exited.then(({ stderr }) => new Error(`kubectl proxy exited: ${stderr.trim().split('\n').at(-1) ?? ''}`)),
      new Promise<Error>(
        (resolve) => (timer = setTimeout(() => resolve(new Error(`kubectl proxy did not start within ${STARTUP_TIMEOUT_MS / 1000} s`)), STARTUP_TIMEOUT_MS)),
      ),
    ]);
    clearTimeout(timer);
    if (outcome !== 'serving') {
      await stream.stop().catch(() => undefined);
      process.off('exit', removeDir);
      removeDir();
      throw outcome;
    }
    return new KubeProxy(stream, endpoint!, echo, removeDir);
  }

  /** A GET of an API path; any status, the body as text. */
  get(path: string): Promise<ProxyResponse> {
    const started = performance.now();
    return new Promise<ProxyResponse>((resolve, reject) => {
      const req = request(
        { ...this.endpoint, path, agent: false, headers: { Host: 'localhost', Accept: 'application/json' }, timeout: GET_TIMEOUT_MS },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            this.echo(`  GET ${path} via kubectl proxy → ${res.statusCode} in ${Math.round(performance.now() - started)} ms`);
            resolve({ statusCode: res.statusCode ?? 0, body });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${GET_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Runs a command in a pod's container over a WebSocket; throws unless it ran and exited 0. */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    const path = podExecArgs.execPath(namespace, pod, container, command);
    const started = performance.now();
    const output = parseExecMessages(await exchangeWebSocket({ ...this.endpoint, path, protocol: EXEC_PROTOCOL, timeoutMs: EXEC_TIMEOUT_MS }));
    this.echo(
      `  exec ${command.join(' ')} in ${pod} via kubectl proxy → ${output.status?.status ?? 'no status'} in ${Math.round(performance.now() - started)} ms`,
    );
    if (output.status?.status !== 'Success') throw new Error(output.status?.message ?? (output.stderr.trim() || 'the exec ended without a status'));
    return output.stdout;
  }

  async stop(): Promise<void> {
    await this.stream.stop().catch(() => undefined);
    process.off('exit', this.removeDir);
    this.removeDir();
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner, ToolStream } from '../process/runner.js';
import { exchangeWebSocket, OPCODE, type Message } from '../process/websocket.js';
import { kubectlArgs, type KubeTarget, type Kubectl } from './kubectl.js';

/**
 * Many reads from the API server for the price of one kubectl process: `kubectl proxy` on a unix
 * socket in a private (0700) temp dir, then plain HTTP GETs and WebSocket execs through it. One
 * kubectl costs ~0.3 s of CPU to start, so one exec per pod made `counters` grow with the pods.
 */

/** kubectl proxy refuses exec (and attach) by default; this keeps attach refused and lets exec through. */
const REJECT_PATHS = '^/api/.*/pods/.*/attach';
/** The exec subprotocol every API server since 1.4 speaks: channel byte first, status JSON on 3. */
export const EXEC_PROTOCOL = 'v4.channel.k8s.io';
const STARTUP_TIMEOUT_MS = 10_000;
/** An API server answers a GET of one object in milliseconds; past this the caller falls back to kubectl. */
const GET_TIMEOUT_MS = 5_000;
/** An exec starts a process in the container: slower, and much slower on a busy node. */
const EXEC_TIMEOUT_MS = 20_000;

export const podExecArgs = {
  /** `kubectl proxy` serving on a unix socket; the API paths it accepts are those kubectl would call. */
  proxy(target: KubeTarget, socketPath: string): string[] {
    return [...kubectlArgs.scope(target, { namespaced: false }), 'proxy', '--unix-socket', socketPath, `--reject-paths=${REJECT_PATHS}`];
  },
  /** The API path of an exec without stdin or TTY. */
  execPath(namespace: string, pod: string, container: string, command: string[]): string {
    const query = new URLSearchParams([['container', container], ...command.map((c): [string, string] => ['command', c]), ['stdout', 'true'], ['stderr', 'true']]);
    return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query}`;
  },
};

export interface ExecOutput {
  stdout: string;
  stderr: string;
  /** The API's Status for the finished command ("Success", or a Failure with the exit code); undefined if it never came. */
  status?: { status?: string; message?: string; reason?: string };
}

/** Splits the v4 channel messages: 1 stdout, 2 stderr, 3 status (JSON). Empty messages open a channel. */
export function parseExecMessages(messages: Message[]): ExecOutput {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let status: ExecOutput['status'];
  for (const { opcode, data } of messages) {
    if (opcode !== OPCODE.binary || data.length < 2) continue;
    const body = data.subarray(1);
    if (data[0] === 1) out.push(body);
    else if (data[0] === 2) err.push(body);
    else if (data[0] === 3) status = JSON.parse(body.toString('utf8')) as ExecOutput['status'];
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status };
}

/** An HTTP answer read through the proxy. */
export interface ProxyResponse {
  statusCode: number;
  body: string;
}

export class KubeProxy {
  private constructor(
    private readonly stream: ToolStream,
    readonly socketPath: string,
    private readonly echo: (line: string) => void,
    private readonly removeDir: () => void,
  ) {}

  /**
   * Starts `kubectl proxy` and resolves once it serves; rejects (having cleaned up) when it exits or
   * says nothing within 10 s. The proxy ends after `timeoutMs` at the latest.
   */
  static async start(kubectl: Kubectl, runner: Runner, { timeoutMs, echo = () => {} }: { timeoutMs: number; echo?: (line: string) => void }): Promise<KubeProxy> {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-proxy-'));
    const socketPath = join(dir, 'sock');
    // Also when k8s-lab exits halfway (Ctrl-C): the runner ends the proxy, this removes its folder.
    const removeDir = () => rmSync(dir, { recursive: true, force: true });
    process.once('exit', removeDir);
    let stdout = '';
    let serving: () => void = () => {};
    const started = new Promise<void>((resolve) => (serving = resolve));
    const stream = runner.stream(kubectl.call(podExecArgs.proxy(kubectl.target, socketPath), timeoutMs), (chunk) => {
      stdout += chunk;
      if (stdout.includes('Starting to serve')) serving();
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      started.then(() => 'serving' as const),
      stream.exited.then(({ stderr }) => new Error(`kubectl proxy exited: ${stderr.trim().split('\n').at(-1) ?? ''}`)),
      new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`kubectl proxy did not start within ${STARTUP_TIMEOUT_MS / 1000} s`)), STARTUP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (outcome !== 'serving') {
      await stream.stop().catch(() => undefined);
      process.off('exit', removeDir);
      removeDir();
      throw outcome;
    }
    return new KubeProxy(stream, socketPath, echo, removeDir);
  }

  /** A GET of an API path; any status, the body as text. */
  get(path: string): Promise<ProxyResponse> {
    const started = performance.now();
    return new Promise<ProxyResponse>((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, path, agent: false, headers: { Host: 'localhost', Accept: 'application/json' }, timeout: GET_TIMEOUT_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          this.echo(`  GET ${path} via kubectl proxy → ${res.statusCode} in ${Math.round(performance.now() - started)} ms`);
          resolve({ statusCode: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${GET_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Runs a command in a pod's container over a WebSocket; throws unless it ran and exited 0. */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    const path = podExecArgs.execPath(namespace, pod, container, command);
    const started = performance.now();
    const output = parseExecMessages(await exchangeWebSocket({ socketPath: this.socketPath, path, protocol: EXEC_PROTOCOL, timeoutMs: EXEC_TIMEOUT_MS }));
    this.echo(`  exec ${command.join(' ')} in ${pod} via kubectl proxy → ${output.status?.status ?? 'no status'} in ${Math.round(performance.now() - started)} ms`);
    if (output.status?.status !== 'Success') throw new Error(output.status?.message ?? (output.stderr.trim() || 'the exec ended without a status'));
    return output.stdout;
  }

  async stop(): Promise<void> {
    await this.stream.stop().catch(() => undefined);
    process.off('exit', this.removeDir);
    this.removeDir();
  }
}

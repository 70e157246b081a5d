// Starts chart/files/server.py as a local python3 process and talks HTTP to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_DIR } from '../support/paths.js';

export const SERVER_PY = join(CHART_DIR, 'files', 'server.py');

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  child: ChildProcess;
  port: number;
  dataDir: string;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
}

const running = new Set<RunningServer>();
const dataDirs = new Set<string>();

/**
 * A fresh data directory. `fast` puts it on tmpfs (/dev/shm) where fsync costs nothing, for the
 * load tests: on this disk a durable increment (2 fsyncs) takes ~8 ms, 4000 of them ~30 s.
 */
export function makeDataDir(fast = false): string {
  let base = tmpdir();
  if (fast) {
    try {
      accessSync('/dev/shm', constants.W_OK);
      base = '/dev/shm';
    } catch {
      // no tmpfs: the disk is slower but just as correct
    }
  }
  const dir = mkdtempSync(join(base, 'k8s-lab-app-test-'));
  dataDirs.add(dir);
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Spawns server.py without waiting for it (for startups that must fail). */
export function spawnServer(dataDir: string, port: number, env: Record<string, string> = {}): RunningServer {
  const child = spawn('python3', [SERVER_PY], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      DATA_DIR: dataDir,
      PORT: String(port),
      POD_NAME: 'helm-python-0',
      APP_VERSION: 'v1',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const server: RunningServer = { child, port, dataDir, output: () => ({ stdout, stderr }), exited };
  running.add(server);
  void exited.then(() => running.delete(server));
  return server;
}

/** Starts server.py and waits until /healthz answers (200, or 503 for a broken app). */
export async function startServer(dataDir: string, env: Record<string, string> = {}, port?: number): Promise<RunningServer> {
  const server = spawnServer(dataDir, port ?? (await freePort()), env);
  let exit: Exit | undefined;
  void server.exited.then((e) => (exit = e));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(`server.py exited (${JSON.stringify(exit)}) before answering:\n${server.output().stderr}`);
    }
    try {
      await httpGet(server.port, '/healthz', { timeoutMs: 1000 });
      return server;
    } catch {
      await sleep(50);
    }
  }
  server.child.kill('SIGKILL');
  throw new Error(`server.py did not answer /healthz within 15 s:\n${server.output().stderr}`);
}

/** Sends `signal` and waits (bounded) for the exit; reports how long it took. */
export async function stopServer(server: RunningServer, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<Exit & { ms: number }> {
  const started = Date.now();
  server.child.kill(signal);
  const exit = await Promise.race([server.exited, sleep(timeoutMs).then(() => undefined)]);
  if (!exit) {
    server.child.kill('SIGKILL');
    await server.exited;
    throw new Error(`server.py did not exit within ${timeoutMs} ms of ${signal}`);
  }
  return { ...exit, ms: Date.now() - started };
}

/** For afterEach: SIGKILLs whatever is still running and removes the data directories. */
export async function cleanUp(): Promise<void> {
  const left = [...running];
  for (const server of left) server.child.kill('SIGKILL');
  await Promise.all(left.map((s) => s.exited));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  dataDirs.clear();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One HTTP request on its own connection (`Connection: close`), bounded by a timeout. */
export function httpGet(port: number, path: string, options: { timeoutMs?: number; method?: string } = {}): Promise<HttpResponse> {
  const { timeoutMs = 5000, method = 'GET' } = options;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, headers: { Connection: 'close' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) return reject(new Error(`${method} ${path}: connection closed mid-response`));
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadResult {
  /** Requests started (sent or being sent). */
  sent: number;
  /** Counters of the 200 answers to GET /. */
  acknowledged: number[];
  /** Non-200 answers. */
  statuses: number[];
  errors: string[];
}

/**
 * `clients` concurrent loops of GET / on fresh connections. Each loop stops after `perClient`
 * requests, or at its first connection error when `stopOnError` (the server went away).
 */
export function startLoad(port: number, clients: number, perClient: number, stopOnError = false): { result: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = { sent: 0, acknowledged: [], statuses: [], errors: [] };
  const loop = async (): Promise<void> => {
    for (let i = 0; i < perClient; i++) {
      result.sent++;
      try {
        const response = await httpGet(port, '/');
        if (response.status === 200) result.acknowledged.push((response.json as { counter: number }).counter);
        else result.statuses.push(response.status);
      } catch (error) {
        result.errors.push((error as Error).message);
        if (stopOnError) return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, loop)).then(() => result);
  return { result, done };
}

/** Polls until `condition` holds, at most `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

import type { Agent as HttpAgent } from 'node:http';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import tls from 'node:tls';
import { LabError } from '../errors.js';
import { EXEC_PLUGIN_MS, KUBE_REQUEST_MS } from '../limits.js';
import type { Runner } from '../process/runner.js';
import type { DirectEndpoint } from '../process/websocket.js';
import { firstLine } from './failure.js';
import { isTransient } from './transient.js';
import type { ApiConnection, ExecPlugin } from './kubeconfig.js';
import { EXEC_PROTOCOL, execPath, parseExecMessages, type ProxyResponse } from './exec-channel.js';

/** An exec in a container starts a process there: slower than a GET, much slower on a busy node. */
const EXEC_TIMEOUT_MS = 20_000;
/** HTTP/2 flow-control windows: a stream's and the whole connection's (see getHttp2). */
const STREAM_WINDOW = 4 * 2 ** 20;
const CONNECTION_WINDOW = 64 * 2 ** 20;
/** At most this many connections at once: N concurrent GETs share them (each new TLS connection costs a handshake). */
const MAX_SOCKETS = 8;

interface Credentials {
  token?: string;
  cert?: string;
  key?: string;
  /** When an exec plugin's credential expires (ms since the epoch); run the plugin again after. */
  expiresAt?: number;
}

/** What an exec credential plugin prints on stdout (client.authentication.k8s.io ExecCredential). */
interface ExecCredential {
  apiVersion?: string;
  kind?: string;
  status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string };
}

let caIsTheDefault = false;

/**
 * For a process whose TLS connections all go to the API server (`k8s-lab counters`,
 * src/counters-main.ts): the kubeconfig's CA is made the process's default CA set before the first
 * connection. Node builds a context given a `ca` from its ~140 bundled root certificates first
 * (nodejs/node#56301), 20-130 ms on this machine; those are not trusted with a `ca` anyway. Node
 * 22.19+ / 24.5+ (tls.setDefaultCACertificates); older ones, or a CA it cannot read, go as before.
 */
export function caOfTheKubeconfigOnly(): void {
  caIsTheDefault = true;
}

/** The environment an exec plugin runs with: its own variables, and KUBERNETES_EXEC_INFO as client-go sets it. */
export function execPluginEnv(plugin: ExecPlugin, cluster: ApiConnection['clusterInfo']): Record<string, string> {
  const info = {
    apiVersion: plugin.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, ...(plugin.provideClusterInfo && { cluster }) },
  };
  return { ...plugin.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
}

/** The credential in a plugin's output, or a one-line error saying what is wrong with it. */
export function parseExecCredential(stdout: string, plugin: ExecPlugin, now = Date.now()): Credentials {
  const fail = (why: string) =>
    new LabError(`the kubeconfig's credential plugin ${plugin.command} ${why}`, 'run the plugin yourself, or `kubectl cluster-info`, to see why');
  let parsed: ExecCredential;
  try {
    parsed = JSON.parse(stdout) as ExecCredential;
  } catch {
    throw fail('printed no JSON ExecCredential');
  }
  if (parsed.kind !== 'ExecCredential' || parsed.apiVersion !== plugin.apiVersion) {
    throw fail(`answered ${parsed.kind ?? 'no kind'} ${parsed.apiVersion ?? ''} where ExecCredential ${plugin.apiVersion} was asked for`.trimEnd());
  }
  const { token, clientCertificateData: cert, clientKeyData: key, expirationTimestamp } = parsed.status ?? {};
  if (!token && !(cert && key)) throw fail('gave neither a token nor a client certificate and key');
  const expiresAt = expirationTimestamp ? Date.parse(expirationTimestamp) : undefined;
  if (expiresAt !== undefined && expiresAt <= now) throw fail(`gave a credential that expired at ${expirationTimestamp}`);
  return { ...(token && { token }), ...(cert && key && { cert, key }), ...(expiresAt !== undefined && { expiresAt }) };
}

/**
 * The API server, read from Node with the kubeconfig's own credentials (kubeconfig.ts resolved
 * them): plain GETs over a few kept-alive connections, and exec over a WebSocket. No kubectl process;
 * an exec credential plugin (EKS, GKE) runs once, through the runner, and again when its credential expires.
 */
export class KubeApi {
  private credentials: Promise<Credentials> | undefined;
  private agent: HttpAgent | undefined;
  /** One HTTP/2 connection for every GET, as kubectl has (one TLS handshake, all requests side by side). */
  private session: ClientHttp2Session | undefined;
  /** False once the server has refused HTTP/2 (no h2 in its TLS handshake): HTTP/1.1 with kept-alive connections then. */
  private http2 = true;

  constructor(
    readonly connection: ApiConnection,
    private readonly runner: Runner,
    private readonly echo: (line: string) => void = () => {},
  ) {}

  /** The credentials to send, running the exec plugin when there is one and it has not run (or its credential expired). */
  private async credential(): Promise<Credentials> {
    const { connection } = this;
    const current = this.credentials && (await this.credentials.catch(() => undefined));
    if (current && (current.expiresAt === undefined || current.expiresAt > Date.now() + 10_000)) return current;
    this.agent?.destroy();
    this.agent = undefined;
    this.session?.close();
    this.session = undefined;
    this.credentials = connection.exec && !connection.token ? this.runPlugin(connection.exec) : Promise.resolve({});
    return this.credentials;
  }

  private async runPlugin(plugin: ExecPlugin): Promise<Credentials> {
    const env = execPluginEnv(plugin, this.connection.clusterInfo);
    const result = await this.runner.run({ bin: plugin.command, args: plugin.args, timeoutMs: EXEC_PLUGIN_MS, env });
    if (result.notFound) {
      throw new LabError(
        `the kubeconfig's credential plugin ${plugin.command} was not found`,
        'install it or put it on PATH (`kubectl cluster-info` needs it too)',
      );
    }
    if (result.exitCode !== 0) {
      throw new LabError(
        `the kubeconfig's credential plugin ${plugin.command} failed: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`,
        'log in again with your cloud CLI (`kubectl cluster-info` runs the same plugin)',
        result.stderr,
      );
    }
    return parseExecCredential(result.stdout, plugin);
  }

  /** TLS settings and headers for one request, from the kubeconfig and the plugin's credential. */
  private endpoint(credentials: Credentials): DirectEndpoint {
    const { connection } = this;
    const cert = credentials.cert ?? connection.cert;
    const key = credentials.key ?? connection.key;
    const token = connection.token ?? credentials.token;
    return {
      baseUrl: connection.server,
      tls: {
        rejectUnauthorized: !connection.insecure,
        ...(connection.ca && { ca: connection.ca }),
        ...(cert && key && { cert, key }),
        ...(connection.tlsServerName && { servername: connection.tlsServerName }),
      },
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    };
  }

  /** A GET of an API path: any HTTP status, the body as text; rejects when no answer came. */
  async get(path: string): Promise<ProxyResponse> {
    const endpoint = this.endpoint(await this.credential());
    // Date.now, not performance.now: the `performance` global loads perf_hooks on first use (1.5-12 ms).
    const started = Date.now();
    let answer: ProxyResponse;
    if (this.http2 && endpoint.baseUrl.startsWith('https:')) {
      answer = await this.getHttp2(endpoint, path).catch((error: Error & { code?: string; beforeConnect?: boolean }) => {
        if (!error.beforeConnect) throw error;
        // A server without HTTP/2 (a proxy in front of the API server, say): HTTP/1.1 from now on.
        this.http2 = false;
        return this.getHttp1(endpoint, path);
      });
    } else {
      answer = await this.getHttp1(endpoint, path);
    }
    this.echo(`  GET ${path} → ${answer.statusCode} in ${Date.now() - started} ms`);
    return answer;
  }

  private getHttp2(endpoint: DirectEndpoint, path: string): Promise<ProxyResponse> {
    const base = new URL(endpoint.baseUrl);
    if (!this.session || this.session.closed || this.session.destroyed) {
      if (caIsTheDefault && this.connection.ca) {
        try {
          tls.setDefaultCACertificates?.([this.connection.ca]);
        } catch {
          // Left as it was: the context is built with the bundled roots first, as without this.
        }
      }
      // HTTP/2's default flow-control windows are 64 KiB: a list of 20 pods (~180 kB) would come in
      // three turns, each waiting for our WINDOW_UPDATE. Windows as large as kubectl's (Go: 4 MiB a
      // stream, 1 GiB the connection) let the server send it at once.
      const session = connect(base.origin, { ...endpoint.tls, settings: { initialWindowSize: STREAM_WINDOW } });
      session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW));
      // A failure shows on the requests made over it; the session itself must not throw.
      session.on('error', () => {});
      this.session = session;
    }
    const session = this.session;
    return new Promise<ProxyResponse>((resolve, reject) => {
      const headers = Object.fromEntries(Object.entries(endpoint.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const req = session.request({ ':method': 'GET', ':path': `${base.pathname.replace(/\/$/, '')}${path}`, accept: 'application/json', ...headers });
      let statusCode = 0;
      let body = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (statusCode = Number(h[':status'] ?? 0)));
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => resolve({ statusCode, body }));
      // A server that did not agree to HTTP/2; not one that was away (refused, reset: restarting), which may well speak it when back.
      // (The stream's error is ERR_HTTP2_STREAM_CANCEL, caused by the connection's: ECONNREFUSED.)
      const away = (error: Error) => isTransient(((error.cause ?? error) as NodeJS.ErrnoException).code ?? '');
      req.on('error', (error: Error) => reject(Object.assign(error, { beforeConnect: !away(error) && (!session.encrypted || session.alpnProtocol !== 'h2') })));
      req.setTimeout(KUBE_REQUEST_MS, () => {
        req.close(constants.NGHTTP2_CANCEL);
        reject(new Error(`no answer within ${KUBE_REQUEST_MS / 1000} s`));
      });
    });
  }

  private async getHttp1(endpoint: DirectEndpoint, path: string): Promise<ProxyResponse> {
    const secure = endpoint.baseUrl.startsWith('https:');
    // Loaded only here: most API servers speak HTTP/2.
    const { Agent, request } = secure ? await import('node:https') : await import('node:http');
    this.agent ??= new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...(secure && endpoint.tls) });
    return new Promise<ProxyResponse>((resolve, reject) => {
      const req = request(
        `${endpoint.baseUrl}${path}`,
        { agent: this.agent, headers: { Accept: 'application/json', ...endpoint.headers }, timeout: KUBE_REQUEST_MS },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${KUBE_REQUEST_MS / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Runs a command in a pod's container over a WebSocket; throws unless it ran and exited 0. */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    const path = execPath(namespace, pod, container, command);
    const started = Date.now();
    const endpoint = this.endpoint(await this.credential());
    // Loaded here: `ws` is needed only where the app does not serve its counter file.
    const { exchangeWebSocket } = await import('../process/websocket.js');
    const output = parseExecMessages(await exchangeWebSocket({ ...endpoint, path, protocol: EXEC_PROTOCOL, timeoutMs: EXEC_TIMEOUT_MS }));
    this.echo(`  exec ${command.join(' ')} in ${pod} → ${output.status?.status ?? 'no status'} in ${Date.now() - started} ms`);
    if (output.status?.status !== 'Success') throw new Error(output.status?.message ?? (output.stderr.trim() || 'the exec ended without a status'));
    return output.stdout;
  }

  /** Closes the kept-alive connections. */
  async stop(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
    this.session?.close();
    this.session = undefined;
  }
}

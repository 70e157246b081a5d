import WebSocket from 'ws';

/**
 * One short WebSocket exchange through `kubectl proxy` (the `ws` package does the protocol): open,
 * collect every binary message the server sends until it closes. Nothing is sent but what `ws`
 * answers by itself (pong, close).
 */

/**
 * Where the server listens: a unix socket, or a TCP address (kubectl proxy on Windows), or the API
 * server itself (its URL, with the TLS settings and headers that carry the kubeconfig's credentials).
 */
export type Endpoint = ProxyEndpoint | DirectEndpoint;
/** `kubectl proxy`'s address. */
export type ProxyEndpoint = { socketPath: string } | { host: string; port: number };

export interface DirectEndpoint {
  baseUrl: string;
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; servername?: string };
  headers: Record<string, string>;
}

export type ExchangeOptions = Endpoint & {
  path: string;
  protocol: string;
  timeoutMs: number;
};

/** The server's answer to the upgrade was not 101 Switching Protocols. */
export class UpgradeRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`HTTP ${statusCode}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`);
  }
}

/**
 * The `ws` URL of an API path: `ws+unix:<socket>:<path>` (the socket path ends at the first colon,
 * and must read the same as a URL path: see unixSocketFitsUrl) or `ws://host:port<path>`.
 */
export function webSocketUrl(endpoint: Endpoint, path: string): string {
  if ('socketPath' in endpoint) return `ws+unix:${endpoint.socketPath}:${path}`;
  if ('baseUrl' in endpoint) return `${endpoint.baseUrl.replace(/^http/, 'ws')}${path}`;
  return `ws://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}${path}`;
}

/** Whether a unix socket path survives in a `ws+unix:` URL: no colon, nothing a URL would percent-encode. */
export function unixSocketFitsUrl(socketPath: string): boolean {
  if (socketPath.includes(':')) return false;
  try {
    return new URL(`ws+unix:${socketPath}`).pathname === socketPath;
  } catch {
    return false;
  }
}

/**
 * Opens a WebSocket on `path` with the one subprotocol and resolves with every binary message the
 * server sent, once it closes the connection. Rejects on a refused upgrade, a wrong handshake (ws
 * checks the accept key and the subprotocol), a broken connection or the timeout.
 */
export function exchangeWebSocket({ path, protocol, timeoutMs, ...endpoint }: ExchangeOptions): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const messages: Buffer[] = [];
    const direct = 'baseUrl' in endpoint ? { ...endpoint.tls, headers: endpoint.headers } : {};
    const socket = new WebSocket(webSocketUrl(endpoint, path), [protocol], { perMessageDeflate: false, followRedirects: false, ...direct });
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
      socket.terminate();
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        fail(new UpgradeRefused(response.statusCode ?? 0, body));
        request.destroy();
      });
    });
    socket.on('message', (data, isBinary) => {
      // binaryType is nodebuffer (the default): a message, fragmented or not, is one Buffer.
      if (isBinary) messages.push(data as Buffer);
    });
    socket.on('error', fail);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(messages);
    });
  });
}

// A fake Kubernetes API server on 127.0.0.1 over HTTPS (test/fixtures/tls): it answers GETs from a
// table of paths, and records who asked (client certificate CN, Authorization header).
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export const TLS_DIR = join(import.meta.dirname, '..', 'fixtures', 'tls');
export const tls = (name: string) => readFileSync(join(TLS_DIR, name), 'utf8');

export interface Asked {
  path: string;
  /** The client certificate's CN, when one was presented and verified. */
  cn?: string;
  authorization?: string;
  /** The HTTP version the request came in: '1.1', or '2.0'. */
  version: string;
}

export interface FakeApiServer {
  url: string;
  asked: Asked[];
  /** How many TLS connections were opened. */
  connections(): number;
  /** Over HTTP/2, the flow-control window each request's stream was given by the client (its SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindows: number[];
  close(): Promise<void>;
}

/** Answers: a path's object (200), or a status and body. Anything else is a 404 Status. */
export type Answers = Record<string, object | { status: number; body: object }>;

/** HTTP/1.1 only (as a proxy in front of an API server may be), or HTTP/2 as well, as the API server is. */
export async function startFakeApiServer(answers: Answers, { http2 = false, port: wanted = 0 } = {}): Promise<FakeApiServer> {
  const asked: Asked[] = [];
  const streamWindows: number[] = [];
  const options = { key: tls('server.key'), cert: tls('server.pem'), ca: tls('ca.pem'), requestCert: true, rejectUnauthorized: false };
  type Request = {
    url?: string;
    socket: unknown;
    headers: { authorization?: string };
    httpVersion: string;
    stream?: { session?: { remoteSettings: { initialWindowSize?: number } } };
  };
  type Response = { writeHead(status: number, headers: object): { end(body: string): void } };
  const handler = (req: Request, res: Response) => {
    const socket = req.socket as TLSSocket;
    const cn = socket.authorized ? (socket.getPeerCertificate().subject?.CN as string | undefined) : undefined;
    asked.push({
      path: req.url ?? '',
      version: req.httpVersion,
      ...(cn && { cn }),
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
    });
    const window = req.stream?.session?.remoteSettings.initialWindowSize;
    if (window !== undefined) streamWindows.push(window);
    const answer = answers[req.url ?? ''];
    const [status, body] =
      answer === undefined
        ? [404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: `${req.url} not found` }]
        : 'status' in answer && 'body' in answer
          ? [answer.status as number, answer.body]
          : [200, answer];
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = http2 ? createSecureServer({ ...options, allowHTTP1: true }, handler as never) : createServer(options, handler as never);
  let connections = 0;
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(wanted, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    asked,
    connections: () => connections,
    streamWindows,
    close: () =>
      new Promise((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

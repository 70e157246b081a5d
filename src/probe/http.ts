import { request } from 'node:http';

export interface HttpReply {
  ok: boolean;
  status?: number;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
  error?: string;
  ms: number;
}

/** The app's answer to `GET /` (chart/files/server.py), as far as it can be trusted: check each field's type. */
export interface AppReply {
  pod?: unknown;
  version?: unknown;
  counter?: unknown;
}

/** Where a client connection comes from: pinned by the probe (see SourceAddresses), else the kernel's choice. */
export interface Source {
  address?: string;
  port?: number;
}

/**
 * One GET on a fresh connection (`Connection: close`, no agent), so a request never rides on a
 * kept-alive connection to a pod that has gone away; that is what a new user request would see.
 */
export function httpGet(url: string, timeoutMs: number, source: Source = {}): Promise<HttpReply> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent: false, headers: { connection: 'close' }, timeout: timeoutMs, localAddress: source.address, localPort: source.port },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => resolve({ ok: false, status: res.statusCode, error: error.message, ms: elapsed() }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const status = res.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 300, status, body, ms: elapsed() });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message, ms: elapsed() }));
    req.end();
  });
}

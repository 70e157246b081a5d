import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { exchangeWebSocket, unixSocketFitsUrl, UpgradeRefused, webSocketUrl } from '../../src/process/websocket.js';

describe('webSocketUrl', () => {
  it('names the unix socket, then the API path, in a ws+unix: URL; TCP addresses as ws://', () => {
    expect(webSocketUrl({ socketPath: '/tmp/k8s-lab-proxy-ab12/sock' }, '/api/v1/namespaces/lab/pods/p-0/exec?command=cat')).toBe(
      'ws+unix:/tmp/k8s-lab-proxy-ab12/sock:/api/v1/namespaces/lab/pods/p-0/exec?command=cat',
    );
    expect(webSocketUrl({ host: '127.0.0.1', port: 41235 }, '/x?y=1')).toBe('ws://127.0.0.1:41235/x?y=1');
    expect(webSocketUrl({ host: '::1', port: 8001 }, '/x')).toBe('ws://[::1]:8001/x');
  });
  it('takes a socket path only where a URL keeps it as it is', () => {
    expect(unixSocketFitsUrl('/tmp/k8s-lab-proxy-ab12/sock')).toBe(true);
    expect(unixSocketFitsUrl('/var/folders/xy/a_b-c/T/k8s-lab-proxy-ab12/sock')).toBe(true);
    expect(unixSocketFitsUrl('/tmp/a:b/sock')).toBe(false);
    expect(unixSocketFitsUrl('/tmp/my dir/sock')).toBe(false);
    expect(unixSocketFitsUrl('/tmp/what?/sock')).toBe(false);
    expect(unixSocketFitsUrl('/tmp/#1/sock')).toBe(false);
  });
});

describe('exchangeWebSocket over a unix socket', () => {
  let server: Server | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-ws-'));
  afterEach(() => void server?.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function listen(setup: (server: Server) => void): Promise<string> {
    const socketPath = join(mkdtempSync(join(dir, 's')), 'sock');
    server = createServer((_req, res) => res.writeHead(500).end());
    setup(server);
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    return socketPath;
  }

  /** A WebSocket server on the socket that runs `talk` with each client. */
  function serveWebSocket(talk: (socket: WebSocket, protocol: string, url: string) => void): Promise<string> {
    const wss = new WebSocketServer({ noServer: true });
    return listen((http) => http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => talk(ws, ws.protocol, req.url ?? ''))));
  }

  it('sends the path and the subprotocol, collects the binary messages (fragments joined) until the server closes, answering ping and close', async () => {
    let seen: { protocol: string; url: string } | undefined;
    let pong = '';
    let closed!: (code: number) => void;
    const clientClosed = new Promise<number>((resolve) => (closed = resolve));
    const socketPath = await serveWebSocket((ws, protocol, url) => {
      seen = { protocol, url };
      ws.on('pong', (data) => (pong = data.toString()));
      ws.on('close', (code) => closed(code));
      ws.send(Buffer.from([1]));
      ws.send(Buffer.from('\x01{"coun'), { fin: false });
      ws.ping('hi');
      ws.send(Buffer.from('ter": 3}'), { fin: true });
      ws.send("a text message is not the exec protocol's");
      ws.send(Buffer.from('\x03{"status":"Success"}'), () => setTimeout(() => ws.close(1000), 20));
    });
    const messages = await exchangeWebSocket({ socketPath, path: '/x?command=cat', protocol: 'v4.channel.k8s.io', timeoutMs: 2000 });
    expect(seen).toEqual({ protocol: 'v4.channel.k8s.io', url: '/x?command=cat' });
    expect(messages.map((m) => m.toString())).toEqual(['\x01', '\x01{"counter": 3}', '\x03{"status":"Success"}']);
    expect(pong).toBe('hi');
    expect(await clientClosed).toBe(1000);
  });

  it('rejects a refused upgrade with the status and body', async () => {
    const socketPath = await listen((http) =>
      http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 22\r\n\r\n{"reason":"Forbidden"}')),
    );
    const refused = await exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).statusCode).toBe(403);
    expect((refused as Error).message).toBe('HTTP 403: {"reason":"Forbidden"}');
  });

  it('rejects a handshake with a wrong accept key or without the subprotocol', async () => {
    let socketPath = await listen((http) =>
      http.on('upgrade', (_req, socket) =>
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\nSec-WebSocket-Protocol: p\r\n\r\n',
        ),
      ),
    );
    await expect(exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 2000 })).rejects.toThrow(/Sec-WebSocket-Accept/);
    server!.close();
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => false });
    socketPath = await listen((http) => http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => {})));
    await expect(exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 2000 })).rejects.toThrow(/subprotocol/);
  });

  it('gives up after its timeout', async () => {
    const socketPath = await listen((http) => http.on('upgrade', () => {}));
    await expect(exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 50 })).rejects.toThrow('no answer within 50 ms');
  });
});

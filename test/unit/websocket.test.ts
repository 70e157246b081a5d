import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acceptKey, encodeClientFrame, exchangeWebSocket, FrameParser, MessageAssembler, OPCODE, UpgradeRefused } from '../../src/process/websocket.js';

/** A server frame: unmasked, as RFC 6455 requires of servers. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0, length]) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else if (length >= 65536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, payload]);
}

describe('WebSocket frames', () => {
  it('computes the accept key of RFC 6455 section 1.3', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('masks a client frame as RFC 6455 section 5.7 shows', () => {
    const frame = encodeClientFrame(OPCODE.text, Buffer.from('Hello'), Buffer.from([0x37, 0xfa, 0x21, 0x3d]));
    expect([...frame]).toEqual([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  it('parses 7-bit, 16-bit and 64-bit lengths, several frames in one chunk', () => {
    const sizes = [0, 5, 125, 126, 300, 65535, 65536, 70000];
    const bytes = Buffer.concat(sizes.map((n) => serverFrame(OPCODE.binary, Buffer.alloc(n, n % 251))));
    const frames = new FrameParser().push(bytes);
    expect(frames.map((f) => f.payload.length)).toEqual(sizes);
    expect(frames.every((f) => f.fin && f.opcode === OPCODE.binary)).toBe(true);
    expect(frames[4]!.payload.every((b) => b === 300 % 251)).toBe(true);
  });

  it('waits for the rest of a frame split anywhere, even byte by byte', () => {
    const bytes = Buffer.concat([serverFrame(OPCODE.binary, Buffer.from('\x01{"counter": 12}')), serverFrame(OPCODE.binary, Buffer.alloc(400, 7))]);
    const parser = new FrameParser();
    const frames = [...bytes].flatMap((b) => parser.push(Buffer.from([b])));
    expect(frames.map((f) => f.payload.length)).toEqual([16, 400]);
    expect(frames[0]!.payload.subarray(1).toString()).toBe('{"counter": 12}');
  });

  it('unmasks a masked frame', () => {
    const [frame] = new FrameParser().push(encodeClientFrame(OPCODE.binary, Buffer.alloc(200, 0x61)));
    expect(frame!.payload.toString()).toBe('a'.repeat(200));
  });

  it('joins fragments into one message and lets control frames through between them', () => {
    const assembler = new MessageAssembler();
    const parts = [
      { fin: false, opcode: OPCODE.binary, payload: Buffer.from('\x01ab') },
      { fin: true, opcode: OPCODE.ping, payload: Buffer.from('p') },
      { fin: false, opcode: OPCODE.continuation, payload: Buffer.from('cd') },
      { fin: true, opcode: OPCODE.continuation, payload: Buffer.from('ef') },
    ];
    const messages = parts.map((f) => assembler.push(f)).filter(Boolean);
    expect(messages.map((m) => [m!.opcode, m!.data.toString()])).toEqual([
      [OPCODE.ping, 'p'],
      [OPCODE.binary, '\x01abcdef'],
    ]);
    expect(() => new MessageAssembler().push({ fin: true, opcode: OPCODE.continuation, payload: Buffer.alloc(0) })).toThrow(/continuation/);
  });
});

describe('exchangeWebSocket over a unix socket', () => {
  let server: Server | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-ws-'));
  afterEach(() => void server?.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function serve(onUpgrade: (socket: import('node:net').Socket, key: string, protocol: string) => void, onRequest?: Parameters<typeof createServer>[1]): Promise<string> {
    const socketPath = join(mkdtempSync(join(dir, 's')), 'sock');
    server = createServer(onRequest ?? ((_req, res) => res.writeHead(500).end()));
    server.on('upgrade', (req, socket) => onUpgrade(socket as import('node:net').Socket, String(req.headers['sec-websocket-key']), String(req.headers['sec-websocket-protocol'])));
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    return socketPath;
  }

  it('collects every data message until the server closes, answering ping and close', async () => {
    const fromClient: Buffer[] = [];
    let clientEnded!: () => void;
    const ended = new Promise<void>((resolve) => (clientEnded = resolve));
    const socketPath = await serve((socket, key, protocol) => {
      socket.on('data', (d: Buffer) => fromClient.push(d));
      socket.on('end', () => clientEnded());
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);
      const frames = Buffer.concat([
        serverFrame(OPCODE.binary, Buffer.from([1])),
        serverFrame(OPCODE.binary, Buffer.from('\x01{"coun'), false),
        serverFrame(OPCODE.ping, Buffer.from('hi')),
        serverFrame(OPCODE.continuation, Buffer.from('ter": 3}')),
        serverFrame(OPCODE.binary, Buffer.from('\x03{"status":"Success"}')),
        serverFrame(OPCODE.close, Buffer.from([0x03, 0xe8])),
      ]);
      // In two writes, split inside a frame.
      socket.write(frames.subarray(0, 9));
      setTimeout(() => socket.write(frames.subarray(9)), 5);
    });
    const messages = await exchangeWebSocket({ socketPath, path: '/x', protocol: 'v4.channel.k8s.io', timeoutMs: 2000 });
    expect(messages.map((m) => m.data.toString())).toEqual(['\x01', '\x01{"counter": 3}', '\x03{"status":"Success"}']);
    await ended;
    const answers = new FrameParser().push(Buffer.concat(fromClient));
    expect(answers.map((f) => [f.opcode, f.payload.toString('hex')])).toEqual([
      [OPCODE.pong, Buffer.from('hi').toString('hex')],
      [OPCODE.close, '03e8'],
    ]);
  });

  it('rejects a refused upgrade with the status and body, and a wrong accept key', async () => {
    let socketPath = await serve(
      () => {},
      (_req, res) => res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"reason":"Forbidden"}'),
    );
    server!.removeAllListeners('upgrade');
    server!.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 22\r\n\r\n{"reason":"Forbidden"}'));
    const refused = await exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).statusCode).toBe(403);
    expect((refused as Error).message).toContain('Forbidden');
    server!.close();

    socketPath = await serve((socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\nSec-WebSocket-Protocol: p\r\n\r\n'));
    await expect(exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 2000 })).rejects.toThrow(/Sec-WebSocket-Accept/);
  });

  it('gives up after its timeout', async () => {
    const socketPath = await serve(() => {});
    await expect(exchangeWebSocket({ socketPath, path: '/x', protocol: 'p', timeoutMs: 50 })).rejects.toThrow(/within 50 ms/);
  });
});

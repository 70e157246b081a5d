import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A minimal WebSocket client (RFC 6455) for one short exchange over a unix socket (or TCP): open, collect
 * every message the server sends, answer its close. Node 20 has no WebSocket client, and this needs
 * no more: it never sends data, only the close and pong control frames.
 */

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** A whole message: a data frame and its continuations, or a control frame. */
export interface Message {
  opcode: number;
  data: Buffer;
}

/** The server's answer to the upgrade was not 101 Switching Protocols. */
export class UpgradeRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`HTTP ${statusCode}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`);
  }
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** What the server must answer in Sec-WebSocket-Accept for the key we sent. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/**
 * Splits a byte stream into frames; keeps an incomplete frame until its rest arrives. Handles the
 * 16- and 64-bit extended lengths and masked frames (servers do not mask, but a parser should not care).
 */
export class FrameParser {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private next(): Frame | undefined {
    const b = this.buffered;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('WebSocket frame too large');
      length = Number(big);
      offset = 10;
    }
    const maskAt = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return undefined;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= b[maskAt + (i % 4)]!;
    this.buffered = b.subarray(offset + length);
    return { fin, opcode, payload };
  }
}

/** Joins fragmented data frames into messages; control frames pass through, even between fragments. */
export class MessageAssembler {
  private fragments: Buffer[] = [];
  private opcode: number | undefined;

  push(frame: Frame): Message | undefined {
    if (frame.opcode >= OPCODE.close) return { opcode: frame.opcode, data: frame.payload };
    if (frame.opcode !== OPCODE.continuation) {
      if (this.opcode !== undefined) throw new Error('WebSocket message started inside another');
      this.opcode = frame.opcode;
    } else if (this.opcode === undefined) {
      throw new Error('WebSocket continuation frame without a message');
    }
    this.fragments.push(frame.payload);
    if (!frame.fin) return undefined;
    const message = { opcode: this.opcode, data: Buffer.concat(this.fragments) };
    this.fragments = [];
    this.opcode = undefined;
    return message;
  }
}

/** A client frame: always final, always masked (RFC 6455 5.3). */
export function encodeClientFrame(opcode: number, payload: Buffer = Buffer.alloc(0), mask: Buffer = randomBytes(4)): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

/** Where the server listens: a unix socket, or a TCP address (kubectl proxy on Windows). */
export type Endpoint = { socketPath: string } | { host: string; port: number };

export type ExchangeOptions = Endpoint & {
  path: string;
  protocol: string;
  timeoutMs: number;
};

/**
 * Opens a WebSocket on `path` through a unix socket and resolves with every data message the
 * server sent, once it closes the connection. Rejects on a refused upgrade, a wrong handshake, a
 * broken connection or the timeout.
 */
export function exchangeWebSocket({ path, protocol, timeoutMs, ...endpoint }: ExchangeOptions): Promise<Message[]> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket?.destroy();
      req.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const req = request({
      ...endpoint,
      path,
      method: 'GET',
      agent: false,
      headers: { Host: 'localhost', Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': protocol },
    });
    req.on('error', fail);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => fail(new UpgradeRefused(res.statusCode ?? 0, body)));
    });
    req.on('upgrade', (res, upgraded, head) => {
      socket = upgraded;
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) return fail(new Error('the server answered the WebSocket handshake with a wrong Sec-WebSocket-Accept'));
      if (res.headers['sec-websocket-protocol'] !== protocol) return fail(new Error(`the server did not agree to the ${protocol} subprotocol`));
      const parser = new FrameParser();
      const assembler = new MessageAssembler();
      const messages: Message[] = [];
      let closed = false;
      const finish = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        upgraded.end();
        resolve(messages);
      };
      const onData = (chunk: Buffer) => {
        try {
          for (const frame of parser.push(chunk)) {
            const message = assembler.push(frame);
            if (!message) continue;
            if (message.opcode === OPCODE.ping) upgraded.write(encodeClientFrame(OPCODE.pong, message.data));
            else if (message.opcode === OPCODE.close) {
              upgraded.write(encodeClientFrame(OPCODE.close, message.data.subarray(0, 2)));
              return finish();
            } else if (message.opcode !== OPCODE.pong) messages.push(message);
          }
        } catch (error) {
          fail(error as Error);
        }
      };
      upgraded.on('data', onData);
      upgraded.on('end', finish);
      upgraded.on('error', (error) => (closed ? undefined : fail(error)));
      if (head.length) onData(head);
    });
    req.end();
  });
}

/**
 * The smallest RFC 6455 server the dev/test bridge needs (the `ws` package is not installed): the upgrade handshake,
 * unfragmented text frames both ways, ping/pong and close. Anything else closes the connection with the RFC's code.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

// RFC 6455 §1.3: the fixed GUID appended to Sec-WebSocket-Key before hashing.
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 1 << 20;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

// RFC 6455 §7.4.1 status codes
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_TOO_BIG = 1009;

export interface WebSocketConnection {
  send(text: string): void;
  close(): void;
  onMessage(listener: (text: string) => void): void;
  onClose(listener: () => void): void;
}

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + HANDSHAKE_GUID)
    .digest('base64');
}

/** Completes the handshake on an HTTP upgrade; returns undefined (after answering 400) when it is not a WebSocket. */
export function upgrade(req: IncomingMessage, socket: Duplex): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || key.length === 0) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  return new Connection(socket);
}

export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 0x10000 ? 4 : 10;
  const frame = Buffer.alloc(headerLen + len);
  frame[0] = 0x80 | opcode;
  if (len < 126) frame[1] = len;
  else if (len < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  frame.set(payload, headerLen);
  return frame;
}

type Frame = { fin: boolean; opcode: number; payload: Buffer; size: number };

/** One client frame from the start of `buf`, undefined when incomplete; throws a close code when it is not allowed. */
export function decodeClientFrame(buf: Buffer): Frame | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if ((b0 & 0x70) !== 0) throw CLOSE_PROTOCOL_ERROR; // no extensions were negotiated
  if ((b1 & 0x80) === 0) throw CLOSE_PROTOCOL_ERROR; // §5.1: clients must mask
  let len = b1 & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(MAX_MESSAGE)) throw CLOSE_TOO_BIG;
    len = Number(big);
    offset = 10;
  }
  if (len > MAX_MESSAGE) throw CLOSE_TOO_BIG;
  if (buf.length < offset + 4 + len) return undefined;
  const mask = buf.subarray(offset, offset + 4);
  const payload = Buffer.from(buf.subarray(offset + 4, offset + 4 + len));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, size: offset + 4 + len };
}

class Connection implements WebSocketConnection {
  private buffered = Buffer.alloc(0);
  private messageListeners: ((text: string) => void)[] = [];
  private closeListeners: (() => void)[] = [];
  private closed = false;

  constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  send(text: string): void {
    if (!this.closed) this.socket.write(encodeFrame(OP_TEXT, Buffer.from(text, 'utf8')));
  }

  close(code = CLOSE_NORMAL): void {
    if (this.closed) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.socket.end(encodeFrame(OP_CLOSE, body));
    this.finish();
  }

  onMessage(listener: (text: string) => void): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    try {
      for (;;) {
        const frame = decodeClientFrame(this.buffered);
        if (frame === undefined) return;
        this.buffered = this.buffered.subarray(frame.size);
        this.handle(frame);
        if (this.closed) return;
      }
    } catch (code) {
      this.close(typeof code === 'number' ? code : CLOSE_PROTOCOL_ERROR);
    }
  }

  private handle(frame: Frame): void {
    switch (frame.opcode) {
      case OP_TEXT: {
        // Browsers send the bridge's small JSON messages in one frame; fragmented messages are refused, not guessed at.
        if (!frame.fin) throw CLOSE_UNSUPPORTED;
        const text = new TextDecoder('utf-8', { fatal: true }).decode(frame.payload);
        for (const listener of this.messageListeners) listener(text);
        return;
      }
      case OP_PING:
        this.socket.write(encodeFrame(OP_PONG, frame.payload));
        return;
      case OP_PONG:
        return;
      case OP_CLOSE:
        this.close();
        return;
      case OP_CONTINUATION:
        throw CLOSE_UNSUPPORTED;
      default:
        throw CLOSE_UNSUPPORTED;
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const listener of this.closeListeners) listener();
  }
}

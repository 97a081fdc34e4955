import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { isLoopback } from '../config/loopback.js';

// The least of a WebSocket client (RFC 6455) that talking to Node's inspector on
// loopback needs: the upgrade handshake, masked text frames out, text frames in
// (fragmented or not), ping, close. Node 20 has no global WebSocket, and the supervisor
// loads no npm package for a socket it opens only to a hung worker, once.

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
// A DevTools message is a few KB (Debugger.paused) or a few hundred bytes (scriptParsed):
// anything this large is not from the inspector, and is refused rather than buffered.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** A connected WebSocket: text messages in and out. */
export class WebSocketClient {
  readonly #socket: Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  // Messages and the close that came before their listener (bytes that arrived with the handshake).
  #onMessage: ((text: string) => void) | undefined;
  #early: string[] = [];
  #onClose: ((why: string) => void) | undefined;
  #closedWhy: string | undefined;
  #closed = false;

  private constructor(socket: Socket, head: Buffer) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('close', () => this.#end('the connection closed'));
    socket.on('error', (error) => this.#end(error.message));
    if (head.length > 0) this.#receive(head);
  }

  /**
   * Connect to `url` (ws:// on loopback only: the inspector is never reached over a
   * network). Rejects after `timeoutMs`, on a refused connection, or a bad handshake.
   */
  static connect(url: string, timeoutMs: number): Promise<WebSocketClient> {
    const target = new URL(url);
    if (target.protocol !== 'ws:' || !isLoopback(target.hostname)) return Promise.reject(new Error(`not a loopback ws:// address: ${url}`));
    const key = randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
      const req = http.get({
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port),
        path: target.pathname,
        timeout: timeoutMs,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key },
      });
      req.on('timeout', () => req.destroy(new Error(`no WebSocket handshake within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        reject(new Error(`the inspector answered the WebSocket upgrade with HTTP ${res.statusCode}`));
      });
      req.on('upgrade', (res, socket, head) => {
        const expected = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          reject(new Error('bad WebSocket handshake (Sec-WebSocket-Accept)'));
          return;
        }
        socket.setNoDelay(true);
        resolve(new WebSocketClient(socket, head));
      });
    });
  }

  /** Each whole text message, as it comes (those that came first, at once). */
  onMessage(listener: (text: string) => void): void {
    this.#onMessage = listener;
    const early = this.#early;
    this.#early = [];
    for (const text of early) listener(text);
  }

  /** Once, when the connection ends (closed by either side, or failed); at once if it has. */
  onClose(listener: (why: string) => void): void {
    this.#onClose = listener;
    if (this.#closedWhy !== undefined) listener(this.#closedWhy);
  }

  send(text: string): void {
    if (!this.#closed) this.#socket.write(frame(OPCODE.text, Buffer.from(text, 'utf8')));
  }

  /** Close at once: nothing more is read or sent. */
  close(): void {
    if (this.#closed) return;
    this.#socket.end(frame(OPCODE.close, Buffer.alloc(0)));
    this.#socket.destroy();
    this.#end('closed');
  }

  #end(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedWhy = why;
    this.#socket.destroy();
    this.#onClose?.(why);
  }

  #receive(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    for (;;) {
      const parsed = parseFrame(this.#buffered);
      if (parsed === 'incomplete') return;
      if (parsed === 'too-large') return this.#end(`a message over ${MAX_MESSAGE_BYTES} bytes`);
      this.#buffered = this.#buffered.subarray(parsed.length);
      this.#handle(parsed.opcode, parsed.fin, parsed.payload);
      if (this.#closed) return;
    }
  }

  #handle(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === OPCODE.ping) return void this.#socket.write(frame(OPCODE.pong, payload));
    if (opcode === OPCODE.pong) return;
    if (opcode === OPCODE.close) return this.#end('closed by the inspector');
    this.#fragments.push(payload);
    if (this.#fragments.reduce((total, part) => total + part.length, 0) > MAX_MESSAGE_BYTES) return this.#end(`a message over ${MAX_MESSAGE_BYTES} bytes`);
    if (!fin) return;
    const message = Buffer.concat(this.#fragments);
    this.#fragments = [];
    const text = message.toString('utf8');
    if (this.#onMessage) this.#onMessage(text);
    // Bounded: before a listener, only what came with the handshake can be here.
    else if (this.#early.length < 100) this.#early.push(text);
  }
}

/** A client frame: FIN set, masked, as RFC 6455 requires of clients. */
function frame(opcode: number, payload: Buffer): Buffer {
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
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

type Frame = { opcode: number; fin: boolean; payload: Buffer; length: number };

/** One frame from the start of `data`, or 'incomplete' until all of it has arrived. */
function parseFrame(data: Buffer): Frame | 'incomplete' | 'too-large' {
  if (data.length < 2) return 'incomplete';
  const fin = (data[0]! & 0x80) !== 0;
  const opcode = data[0]! & 0x0f;
  const masked = (data[1]! & 0x80) !== 0;
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return 'incomplete';
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return 'incomplete';
    const long = data.readBigUInt64BE(2);
    if (long > BigInt(MAX_MESSAGE_BYTES)) return 'too-large';
    length = Number(long);
    offset = 10;
  }
  if (length > MAX_MESSAGE_BYTES) return 'too-large';
  const maskOffset = offset;
  if (masked) offset += 4;
  if (data.length < offset + length) return 'incomplete';
  let payload = data.subarray(offset, offset + length);
  // A server never masks its frames; unmask anyway rather than misread one.
  if (masked) {
    const mask = data.subarray(maskOffset, maskOffset + 4);
    payload = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  }
  return { opcode, fin, payload, length: offset + length };
}

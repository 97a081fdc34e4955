// Reading a new connection's request head in the supervisor, for sticky keys that live
// there (header:, cookie:, sid). It reads off the raw TCP handle that the listening
// handle's onconnection gives, as Node's net does inside a net.Socket, but with none of
// a socket's stream machinery: building, resuming and destroying a net.Socket for each
// connection cost more than the read itself (see docs/balancer-design.md). Once the
// head is in, reading stops, so that what follows stays in the kernel for the worker.

/** The most of a request head read to find a sticky key. */
const HEAD_LIMIT = 16 * 1024;
/** How long a new connection may take to send its head. */
const HEAD_TIMEOUT_MS = 10_000;
const BLANK_LINE = Buffer.from('\r\n\r\n');

/** A raw TCP handle (Node's TCPWrap), as the listening handle's onconnection gives it. */
export interface RawHandle {
  getpeername(out: { address?: string }): number;
  readStart(): number;
  readStop(): number;
  /**
   * Called after each read with an ArrayBuffer of exactly the bytes read (libuv's
   * 64 KiB read buffer cut to length), or with undefined at the end of the stream or
   * on an error. Node's own reader takes the length from stream_wrap's shared state,
   * which is not reachable from here; the buffer's length is the same number.
   */
  onread: ((bytes: ArrayBuffer | undefined) => void) | undefined;
  close(): void;
}

export class HeadReader {
  /** Connections still sending their head, oldest first, and when each came. */
  readonly #waiting = new Map<RawHandle, number>();
  #sweeper: NodeJS.Timeout | undefined;

  /**
   * Read `handle` up to the end of its request head (the blank line) or HEAD_LIMIT
   * bytes, then stop reading and call `done` with all the bytes read: the head, and
   * whatever came in the same read (a body's start, a pipelined request). A client that
   * leaves, or sends no head within HEAD_TIMEOUT_MS, is closed and `done` never called.
   */
  read(handle: RawHandle, done: (head: Buffer) => void): void {
    let head: Buffer | undefined;
    handle.onread = (bytes) => {
      if (bytes === undefined) return this.#drop(handle);
      const chunk = Buffer.from(bytes);
      // Usually the whole head comes in one read; a split one is joined, and the blank line looked for across the join.
      const from = head ? head.length - 3 : 0;
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < HEAD_LIMIT && head.indexOf(BLANK_LINE, Math.max(0, from)) < 0) return;
      handle.readStop();
      this.#waiting.delete(handle);
      done(head);
    };
    if (handle.readStart() !== 0) return handle.close();
    this.#waiting.set(handle, Date.now());
    // One timer for every waiting connection, not one each.
    this.#sweeper ??= setInterval(() => this.#sweep(), 1000).unref();
  }

  #drop(handle: RawHandle): void {
    this.#waiting.delete(handle);
    handle.close();
  }

  #sweep(): void {
    const expired = Date.now() - HEAD_TIMEOUT_MS;
    for (const [handle, since] of this.#waiting) {
      if (since > expired) break;
      this.#drop(handle);
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

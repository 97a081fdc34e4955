import net from 'node:net';
import { PROTOCOL_CMD, PROTOCOL_VERSION, type ConnectionMessage } from '../ipc/messages.js';
import type { WorkerView } from '../supervisor/worker-handle.js';
import type { WorkerPool } from '../supervisor/worker-pool.js';
import type { BalancePolicy, Member } from './policy.js';
import { keyFromHead, needsHead, type StickyKey } from './sticky-key.js';

/** The most of a request head read to find a sticky key. */
const HEAD_LIMIT = 16 * 1024;
/** How long a new connection may take to send its head. */
const HEAD_TIMEOUT_MS = 10_000;

// The supervisor's own front door, for an app balanced by a policy other than
// node:cluster's round-robin: it listens on the app's port (once a worker has said
// where), takes each connection as a raw handle, asks the policy which worker gets it,
// and hands the handle over. The supervisor keeps its copy until the worker says it
// took it: a worker that dies or refuses first (its server closed for a drain) gets
// the connection given to another, never left hanging. See docs/balancer-design.md.

/** A raw TCP handle as Node's listening handle hands it to onconnection. */
interface ClientHandle {
  getpeername(out: { address?: string }): number;
  close(): void;
}

interface InFlight {
  /** The raw handle that travels to the worker. */
  handle: object;
  /** Close the supervisor's copy (once the worker has its own, or to let the client go). */
  release(): void;
  /** What was read to find the sticky key, sent along for the app to read first. */
  head: string | undefined;
  member: Member;
  remoteAddress: string | undefined;
  /** Workers that already had it and could not take it. */
  tried: Set<number>;
}

export class Front {
  readonly #pool: WorkerPool;
  readonly #policy: BalancePolicy;
  readonly #warn: (message: string) => void;
  readonly #inFlight = new Map<number, InFlight>();
  #server: net.Server | undefined;
  #port = 0;
  #nextId = 1;
  #closed = false;

  readonly #stickyKey: StickyKey | undefined;

  /** `stickyKey`: a key read from the request head (header, cookie, sid), which the supervisor then reads before it picks. */
  constructor(pool: WorkerPool, policy: BalancePolicy, warn: (message: string) => void, stickyKey?: StickyKey) {
    this.#pool = pool;
    this.#policy = policy;
    this.#warn = warn;
    this.#stickyKey = stickyKey !== undefined && needsHead(stickyKey) ? stickyKey : undefined;
    pool.on('listening', (_worker, address) => {
      if ('port' in address && this.#server === undefined && !this.#closed) this.#open(address.address, address.port);
    });
    pool.on('took', (worker, id, accepted) => this.#took(worker, id, accepted));
    pool.on('closed', (worker, count) => {
      for (let i = 0; i < count; i++) this.#policy.closed({ pid: worker.pid, slot: worker.slot });
    });
    // What a worker that died had not taken goes to another.
    pool.on('exit', (worker) => {
      for (const [id, entry] of this.#inFlight) if (entry.member.pid === worker.pid) this.#retry(id);
    });
  }

  /** Where it listens, once it does. */
  get port(): number {
    return this.#port;
  }

  /** Stop taking connections (the app is stopping); those on their way still arrive. */
  close(): void {
    this.#closed = true;
    this.#server?.close();
  }

  #open(host: string, port: number): void {
    const key = this.#stickyKey;
    // A key in the request head: each connection is read up to its head first.
    const server = key ? net.createServer({ pauseOnConnect: true }, (socket) => this.#readHead(socket, key)) : net.createServer();
    this.#server = server;
    this.#port = port;
    server.on('error', (error) => this.#warn(`balancer: cannot listen on ${host}:${port}: ${error.message}; no connection reaches the workers`));
    server.listen({ host, port }, () => {
      if (key) return;
      // The raw handle, not a net.Socket: nothing is read here, and the worker's Node accepts it as its own.
      const listening = (server as unknown as { _handle: { onconnection: (status: number, handle: ClientHandle | undefined) => void } })._handle;
      listening.onconnection = (status, handle) => {
        if (status === 0 && handle) this.#accept(handle);
      };
    });
  }

  #accept(handle: ClientHandle): void {
    const peer: { address?: string } = {};
    handle.getpeername(peer);
    const member = this.#policy.pick({ remoteAddress: peer.address });
    if (!member) return handle.close();
    const id = this.#nextId++;
    this.#inFlight.set(id, { handle, release: () => handle.close(), head: undefined, member, remoteAddress: peer.address, tried: new Set() });
    this.#send(id);
  }

  // Read the request head (to its blank line, 16 KiB at most), then stop reading the
  // descriptor, so that nothing more is taken from what belongs to the worker.
  #readHead(socket: net.Socket, key: StickyKey): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.includes('\r\n\r\n') || head.length >= HEAD_LIMIT) read();
    };
    const read = () => {
      socket.off('data', onData);
      socket.setTimeout(0);
      socket.pause();
      const raw = (socket as unknown as { _handle: { readStop(): void; reading: boolean } | null })._handle;
      if (!raw) return socket.destroy();
      raw.readStop();
      raw.reading = true;
      for (let more = socket.read() as Buffer | null; more !== null; more = socket.read() as Buffer | null) head = Buffer.concat([head, more]);
      this.#acceptRead(socket, raw, head.toString('latin1'), key);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    // A client that sends no head in time is let go.
    socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy());
    socket.resume();
  }

  #acceptRead(socket: net.Socket, raw: object, head: string, key: StickyKey): void {
    const facts = { remoteAddress: socket.remoteAddress, key: keyFromHead(head, key) };
    const member = (key.kind === 'sid' ? this.#sessionOwner(facts.key) : undefined) ?? this.#policy.pick(facts);
    if (!member) return void socket.destroy();
    const id = this.#nextId++;
    this.#inFlight.set(id, { handle: raw, release: () => socket.destroy(), head, member, remoteAddress: facts.remoteAddress, tried: new Set() });
    this.#send(id);
  }

  // A Socket.IO session's requests go to the worker that made it: its sid starts with w<slot>_.
  #sessionOwner(sid: string | undefined): Member | undefined {
    const slot = sid === undefined ? undefined : /^w(\d+)_/.exec(sid)?.[1];
    if (slot === undefined) return undefined;
    const owner = this.#serving()
      .filter((worker) => worker.slot === Number(slot))
      .at(-1);
    return owner ? { pid: owner.pid, slot: owner.slot } : undefined;
  }

  #send(id: number): void {
    const entry = this.#inFlight.get(id)!;
    const worker = this.#pool.live().find((candidate) => candidate.pid === entry.member.pid);
    if (!worker) return this.#retry(id);
    const message: ConnectionMessage = { cmd: PROTOCOL_CMD, v: PROTOCOL_VERSION, type: 'conn', id, port: this.#port, ...(entry.head ? { head: entry.head } : {}) };
    this.#pool.sendConnection(worker, message, entry.handle, () => this.#retry(id));
  }

  #took(worker: WorkerView, id: number, accepted: boolean): void {
    const entry = this.#inFlight.get(id);
    if (!entry || entry.member.pid !== worker.pid) return;
    if (!accepted) return this.#retry(id);
    this.#inFlight.delete(id);
    // The worker has its own descriptor now: ours goes, with no FIN to the client.
    entry.release();
    this.#policy.opened(entry.member);
  }

  // To another worker than those that could not take it; with none left, the client is let go.
  #retry(id: number): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    entry.tried.add(entry.member.pid);
    const next = this.#pickExcept(entry);
    if (!next) {
      this.#inFlight.delete(id);
      entry.release();
      return;
    }
    entry.member = next;
    this.#send(id);
  }

  // The workers that may take a connection: the policy's members (ready, not asked to
  // go, and not a surge's new worker still waiting for its promotion).
  #serving(): WorkerView[] {
    return this.#pool.live().filter((worker) => this.#policy.includes(worker.pid));
  }

  #pickExcept(entry: InFlight): Member | undefined {
    const member = this.#policy.pick({ remoteAddress: entry.remoteAddress });
    if (member && !entry.tried.has(member.pid)) return member;
    // A sticky pick gives the same one again: any other ready worker will do.
    const other = this.#serving().find((worker) => !entry.tried.has(worker.pid));
    return other ? { pid: other.pid, slot: other.slot } : undefined;
  }
}

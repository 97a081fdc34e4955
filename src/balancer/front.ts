import net from 'node:net';
import { PROTOCOL_CMD, PROTOCOL_VERSION, type ConnectionMessage } from '../ipc/messages.js';
import type { WorkerView } from '../supervisor/worker-handle.js';
import type { WorkerPool } from '../supervisor/worker-pool.js';
import type { BalancePolicy, ConnectionFacts, Member } from './policy.js';
import { HeadReader, type RawHandle } from './head-reader.js';
import { keyFromHead, needsHead, type StickyKey } from './sticky-key.js';

// The supervisor's own front door, for an app balanced by a policy other than
// node:cluster's round-robin: it listens on the app's port (once a worker has said
// where), takes each connection as a raw handle, asks the policy which worker gets it,
// and hands the handle over. The supervisor keeps its copy until the worker says it
// took it: a worker that dies or refuses first (its server closed for a drain) gets
// the connection given to another, never left hanging. See docs/balancer-design.md.

interface InFlight {
  /** The raw handle that travels to the worker; the supervisor closes its copy once the worker has its own, or to let the client go. */
  handle: RawHandle;
  /** What was read to find the sticky key, sent along for the app to read first. */
  head: string | undefined;
  member: Member;
  /** What the policy picked by: the client's address, and the key from the head; a retry picks by the same. */
  facts: ConnectionFacts;
  /** Workers that already had it and could not take it; made on the first retry. */
  tried: Set<number> | undefined;
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

  #stickyKey: StickyKey | undefined;
  readonly #heads = new HeadReader();

  /** `stickyKey`: a key read from the request head (header, cookie, sid), which the supervisor then reads before it picks. */
  constructor(pool: WorkerPool, policy: BalancePolicy, warn: (message: string) => void, stickyKey?: StickyKey) {
    this.#pool = pool;
    this.#policy = policy;
    this.#warn = warn;
    this.#stickyKey = stickyKey !== undefined && needsHead(stickyKey) ? stickyKey : undefined;
    pool.on('listening', (_worker, address) => {
      if (!('port' in address) || this.#server !== undefined || this.#closed) return;
      if (address.tls && this.#stickyKey) this.#withoutHeadKey(this.#stickyKey);
      this.#open(address.address, address.port);
    });
    pool.on('took', (worker, id, accepted) => this.#took(worker, id, accepted));
    pool.on('closed', (worker, count) => {
      for (let i = 0; i < count; i++) this.#policy.closed({ pid: worker.pid, slot: worker.slot });
    });
    // What a worker that died had not taken goes to another.
    pool.on('exit', (worker) => {
      for (const [id, entry] of this.#inFlight) if (entry.member.pid === worker.pid) this.#retry(id, worker.pid);
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

  // The app terminates TLS itself: the request head is encrypted, and reading it would
  // take the handshake's bytes from the worker's TLS. Say so once, at start, and balance
  // without the key.
  #withoutHeadKey(key: StickyKey): void {
    this.#stickyKey = undefined;
    const fallback = key.kind === 'sid' ? 'by least connections' : 'by client address, as sticky_key: ip';
    this.#warn(
      `balancer: sticky_key '${key.kind === 'header' || key.kind === 'cookie' ? `${key.kind}:${key.name}` : key.kind}' is read from the request head, but the app terminates TLS itself, so the head is encrypted: ` +
        `connections go ${fallback}. Set sticky_key: ip, or terminate TLS in a proxy in front of drover (nginx, a load balancer)`,
    );
  }

  #open(host: string, port: number): void {
    const key = this.#stickyKey;
    const server = net.createServer();
    this.#server = server;
    this.#port = port;
    server.on('error', (error) => this.#warn(`balancer: cannot listen on ${host}:${port}: ${error.message}; no connection reaches the workers`));
    server.listen({ host, port }, () => {
      // The raw handle, not a net.Socket: the worker's Node accepts it as its own.
      const listening = (server as unknown as { _handle: { onconnection: (status: number, handle: RawHandle | undefined) => void } })._handle;
      listening.onconnection = (status, handle) => {
        if (status !== 0 || !handle) return;
        // A key in the request head: the connection's head is read first.
        if (key) this.#heads.read(handle, (head) => this.#accept(handle, head.toString('latin1'), key));
        else this.#accept(handle);
      };
    });
  }

  #accept(handle: RawHandle, head?: string, key?: StickyKey): void {
    const found = head === undefined || !key ? undefined : keyFromHead(head, key);
    const peer: { address?: string } = {};
    if (found === undefined && this.#policy.byAddress) handle.getpeername(peer);
    const facts: ConnectionFacts = { remoteAddress: peer.address, key: found };
    const member = (key?.kind === 'sid' ? this.#sessionOwner(facts.key) : undefined) ?? this.#policy.pick(facts);
    if (!member) return handle.close();
    const id = this.#nextId++;
    this.#inFlight.set(id, { handle, head, member, facts, tried: undefined });
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
    const worker = this.#pool.livePid(entry.member.pid);
    if (!worker) return this.#retry(id, entry.member.pid);
    const message: ConnectionMessage = { cmd: PROTOCOL_CMD, v: PROTOCOL_VERSION, type: 'conn', id, port: this.#port, ...(entry.head ? { head: entry.head } : {}) };
    this.#pool.sendConnection(worker, message, entry.handle, () => this.#retry(id, worker.pid));
  }

  #took(worker: WorkerView, id: number, accepted: boolean): void {
    const entry = this.#inFlight.get(id);
    if (!entry || entry.member.pid !== worker.pid) return;
    if (!accepted) return this.#retry(id, worker.pid);
    this.#inFlight.delete(id);
    // The worker has its own descriptor now: ours goes, with no FIN to the client.
    entry.handle.close();
    this.#policy.opened(entry.member);
  }

  // To another worker than those that could not take it; with none left, the client is let go.
  // Only while it is still `from`'s: a late failure of an earlier send (the worker died
  // meanwhile, and its exit already moved the connection on) must not move it again.
  #retry(id: number, from: number): void {
    const entry = this.#inFlight.get(id);
    if (!entry || entry.member.pid !== from) return;
    const tried = (entry.tried ??= new Set());
    tried.add(entry.member.pid);
    const next = this.#pickExcept(entry.facts, tried);
    if (!next) {
      this.#inFlight.delete(id);
      entry.handle.close();
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

  #pickExcept(facts: ConnectionFacts, tried: Set<number>): Member | undefined {
    const member = this.#policy.pick(facts);
    if (member && !tried.has(member.pid)) return member;
    // A sticky pick gives the same one again: any other ready worker will do.
    const other = this.#serving().find((worker) => !tried.has(worker.pid));
    return other ? { pid: other.pid, slot: other.slot } : undefined;
  }
}

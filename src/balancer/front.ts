import net from 'node:net';
import { PROTOCOL_CMD, PROTOCOL_VERSION, type ConnectionMessage } from '../ipc/messages.js';
import type { WorkerView } from '../supervisor/worker-handle.js';
import type { WorkerPool } from '../supervisor/worker-pool.js';
import type { BalancePolicy, Member } from './policy.js';

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
  handle: ClientHandle;
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

  constructor(pool: WorkerPool, policy: BalancePolicy, warn: (message: string) => void) {
    this.#pool = pool;
    this.#policy = policy;
    this.#warn = warn;
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
    const server = net.createServer();
    this.#server = server;
    this.#port = port;
    server.on('error', (error) => this.#warn(`balancer: cannot listen on ${host}:${port}: ${error.message}; no connection reaches the workers`));
    server.listen({ host, port }, () => {
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
    this.#inFlight.set(id, { handle, member, remoteAddress: peer.address, tried: new Set() });
    this.#send(id);
  }

  #send(id: number): void {
    const entry = this.#inFlight.get(id)!;
    const worker = this.#pool.live().find((candidate) => candidate.pid === entry.member.pid);
    if (!worker) return this.#retry(id);
    const message: ConnectionMessage = { cmd: PROTOCOL_CMD, v: PROTOCOL_VERSION, type: 'conn', id, port: this.#port };
    this.#pool.sendConnection(worker, message, entry.handle, () => this.#retry(id));
  }

  #took(worker: WorkerView, id: number, accepted: boolean): void {
    const entry = this.#inFlight.get(id);
    if (!entry || entry.member.pid !== worker.pid) return;
    if (!accepted) return this.#retry(id);
    this.#inFlight.delete(id);
    // The worker has its own descriptor now: ours goes, with no FIN to the client.
    entry.handle.close();
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
      entry.handle.close();
      return;
    }
    entry.member = next;
    this.#send(id);
  }

  #pickExcept(entry: InFlight): Member | undefined {
    const member = this.#policy.pick({ remoteAddress: entry.remoteAddress });
    if (member && !entry.tried.has(member.pid)) return member;
    // A sticky pick gives the same one again: any other ready worker will do.
    const other = this.#pool.live().find((worker) => !entry.tried.has(worker.pid) && worker.state === 'ready' && worker.intent === undefined);
    return other ? { pid: other.pid, slot: other.slot } : undefined;
  }
}

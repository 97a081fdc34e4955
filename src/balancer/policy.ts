// How the supervisor's balancer picks a worker for each new connection (issue 13).
// Each policy is a small class behind this one interface. Members are the workers
// that may take traffic: added when ready, removed before they drain (membership.ts
// keeps that in step with the lifecycle stream). A member is a worker process; several
// may share a slot during a reload (the old one and its successor).

/** A worker that may take connections. */
export interface Member {
  readonly pid: number;
  readonly slot: number;
}

/** What the balancer knows of a new connection when it picks. */
export interface ConnectionFacts {
  /** The client's address, as the supervisor's socket sees it. */
  readonly remoteAddress: string | undefined;
  /** The sticky key read from the request head (a header, a cookie, Engine.IO's sid), if the policy asked for one and it was there. */
  readonly key?: string | undefined;
}

export interface BalancePolicy {
  readonly name: string;
  /** Whether pick() reads the client's address of a connection with no key: the front asks the kernel for it only then. */
  readonly byAddress: boolean;
  add(member: Member): void;
  remove(member: Member): void;
  /** Whether the worker with this pid is a member: may take connections now. */
  includes(pid: number): boolean;
  /** The member to hand this connection to; undefined when there is none. */
  pick(connection: ConnectionFacts): Member | undefined;
  /** A connection handed to `member` opened, or closed: least-connections counts them. */
  opened(member: Member): void;
  closed(member: Member): void;
}

/** The members, in the order they were added, and how many connections each has open. */
export class MemberSet {
  readonly #open = new Map<number, { member: Member; connections: number }>();

  add(member: Member): void {
    if (!this.#open.has(member.pid)) this.#open.set(member.pid, { member, connections: 0 });
  }

  remove(member: Member): void {
    this.#open.delete(member.pid);
  }

  has(pid: number): boolean {
    return this.#open.has(pid);
  }

  get size(): number {
    return this.#open.size;
  }

  members(): Member[] {
    return [...this.#open.values()].map((entry) => entry.member);
  }

  /** The member with the fewest connections open; of those tied, the `turn`-th (modulo their number). It builds no arrays: it runs for every connection. */
  fewest(turn: number): Member | undefined {
    let fewest = Infinity;
    let tied = 0;
    for (const entry of this.#open.values()) {
      if (entry.connections < fewest) {
        fewest = entry.connections;
        tied = 1;
      } else if (entry.connections === fewest) tied += 1;
    }
    let index = turn % Math.max(tied, 1);
    for (const entry of this.#open.values()) if (entry.connections === fewest && index-- === 0) return entry.member;
    return undefined;
  }

  connections(member: Member): number {
    return this.#open.get(member.pid)?.connections ?? 0;
  }

  count(member: Member, by: 1 | -1): void {
    const entry = this.#open.get(member.pid);
    if (entry) entry.connections = Math.max(0, entry.connections + by);
  }
}

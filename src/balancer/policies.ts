import { MemberSet, type BalancePolicy, type ConnectionFacts, type Member } from './policy.js';

// The three policies of the `balance` option: round-robin, least-connections, sticky.

/** Each connection to the next member in turn (node:cluster's default, as a policy). */
export class RoundRobin implements BalancePolicy {
  readonly name: string = 'round-robin';
  readonly byAddress: boolean = false;
  protected readonly set = new MemberSet();
  #next = 0;

  add(member: Member): void {
    this.set.add(member);
  }

  remove(member: Member): void {
    this.set.remove(member);
  }

  includes(pid: number): boolean {
    return this.set.has(pid);
  }

  pick(_connection?: ConnectionFacts): Member | undefined {
    const members = this.set.members();
    if (members.length === 0) return undefined;
    this.#next = (this.#next + 1) % members.length;
    return members[this.#next];
  }

  opened(member: Member): void {
    this.set.count(member, 1);
  }

  closed(member: Member): void {
    this.set.count(member, -1);
  }
}

/** Each connection to the member with the fewest open; ties go round in turn, so an idle pool still spreads. */
export class LeastConnections extends RoundRobin {
  override readonly name: string = 'least-connections';
  #turn = 0;

  override pick(_connection?: ConnectionFacts): Member | undefined {
    this.#turn = (this.#turn + 1) % Number.MAX_SAFE_INTEGER;
    return this.set.fewest(this.#turn);
  }
}

/**
 * The same client to the same worker slot: its key (the client's address, or the
 * header, cookie or Engine.IO sid read from its request) is hashed with each slot, and
 * the slot with the highest score wins (rendezvous hashing). A slot that goes (a crash,
 * a scale-down) moves only its own clients; one that comes back gets them back. Within
 * a slot, the newest ready worker takes the connection (a reload's successor). A
 * connection without a key (an Engine.IO handshake, which carries no sid yet) goes by
 * least connections.
 */
export class Sticky extends LeastConnections {
  override readonly name: string = 'sticky';
  override readonly byAddress: boolean;
  readonly #keyOf: (connection: ConnectionFacts) => string | undefined;

  /**
   * `keyOf` says which key a connection is known by: its address (`ip`), or what was
   * read from its request head; `byAddress`, whether it reads the address.
   */
  constructor(keyOf: (connection: ConnectionFacts) => string | undefined = (connection) => connection.key ?? connection.remoteAddress, byAddress = true) {
    super();
    this.#keyOf = keyOf;
    this.byAddress = byAddress;
  }

  override pick(connection: ConnectionFacts): Member | undefined {
    const key = this.#keyOf(connection);
    if (key === undefined) return super.pick();
    const members = this.set.members();
    let best: { slot: number; score: number } | undefined;
    for (const slot of new Set(members.map((member) => member.slot))) {
      const score = rendezvousScore(key, slot);
      if (!best || score > best.score || (score === best.score && slot < best.slot)) best = { slot, score };
    }
    if (!best) return undefined;
    // The newest member of the slot: members are kept in the order they were added.
    return members.filter((member) => member.slot === best.slot).at(-1);
  }
}

/** FNV-1a (32 bits) of "key|slot": fast, spread well enough for choosing among a few slots, and the same in every process. */
export function rendezvousScore(key: string, slot: number): number {
  let hash = 0x811c9dc5;
  const text = `${key}|${slot}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // A last avalanche step, so that keys differing in one character still spread.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return hash >>> 0;
}

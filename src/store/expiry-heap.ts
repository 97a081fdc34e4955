/** One key's expiry time, as it was when pushed: stale once the key's expiry changed. */
export interface Expiry {
  at: number;
  key: string;
}

/**
 * A min-heap of expiry times. Entries are never updated in place: a new ttl pushes a
 * new entry, and the owner skips the ones that no longer match its key (lazy deletion).
 * `compact` rebuilds it from the live ones when the stale outnumber them.
 */
export class ExpiryHeap {
  #items: Expiry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Expiry | undefined {
    return this.#items[0];
  }

  push(item: Expiry): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= item.at) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): Expiry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]!.at < items[left]!.at ? right : left;
      if (items[child]!.at >= last.at) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Keep only the entries `live` accepts. */
  compact(live: (item: Expiry) => boolean): void {
    const kept = this.#items.filter(live);
    this.#items = [];
    for (const item of kept.sort((a, b) => a.at - b.at)) this.#items.push(item); // sorted is a valid heap
  }
}

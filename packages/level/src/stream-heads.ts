/**
 * The committed version of recently touched streams, so that an append's version check and an
 * actor's refresh-before-command cost no read. Exact because the store is the only writer of
 * its folder (it holds LevelDB's lock). Bounded: with millions of streams touched over a
 * daemon's life, heads not written lately are dropped and read from disk again when needed.
 *
 * Eviction is a second-chance sweep (CLOCK), not a strict LRU: writing a cached head updates its
 * entry in place and marks it; the sweep drops the oldest unmarked entry, giving each marked one
 * it passes a second chance at the young end. A strict LRU moved the entry (Map delete + set) on
 * every write of every batch, which cost more than the rest of the head bookkeeping together.
 */
export interface Head {
  /** The committed version. */
  version: number;
  /** Written since the sweep last passed it (or since it was loaded). */
  written: boolean;
  /** Dropped from the cache (or never in it): `commit` then puts the head back. */
  dropped: boolean;
  /** The group-commit batch being built that last placed an append of this stream (its number). */
  batch: number;
  /** The version that batch leaves the stream at, once written. */
  batchHead: number;
}

/** A head outside the cache: what a batch reads from disk for a stream not cached. */
export function looseHead(version: number): Head {
  return { version, written: false, dropped: true, batch: 0, batchHead: 0 };
}

export class StreamHeads {
  readonly #heads = new Map<string, Head>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#heads.size;
  }

  get(streamId: string): number | undefined {
    return this.#heads.get(streamId)?.version;
  }

  /**
   * The cached entry of a stream (undefined when not cached). The group commit keeps it while it
   * builds and writes a batch: it stays valid if the cache drops it meanwhile (`dropped`).
   */
  entry(streamId: string): Head | undefined {
    return this.#heads.get(streamId);
  }

  /** Records the version a written batch left a stream at, through the entry the batch used. */
  commit(streamId: string, head: Head, version: number): void {
    if (head.dropped) {
      this.set(streamId, version);
      return;
    }
    head.version = version;
    head.written = true;
  }

  /** Records a head: an update in place for a cached stream, an insert (maybe dropping another) otherwise. */
  set(streamId: string, version: number): void {
    const heads = this.#heads;
    const head = heads.get(streamId);
    if (head !== undefined) {
      head.version = version;
      head.written = true;
      return;
    }
    if (heads.size >= this.#capacity) this.#evict();
    heads.set(streamId, { version, written: false, dropped: false, batch: 0, batchHead: 0 });
  }

  /** Drops the oldest head not written since the sweep last passed it. */
  #evict(): void {
    const heads = this.#heads;
    // Ends: every pass clears a mark, so within one lap an unmarked head is found.
    for (;;) {
      const oldest = heads.entries().next();
      if (oldest.done === true) return;
      const [streamId, head] = oldest.value;
      heads.delete(streamId);
      if (!head.written) {
        head.dropped = true;
        return;
      }
      head.written = false;
      heads.set(streamId, head);
    }
  }

  clear(): void {
    for (const head of this.#heads.values()) head.dropped = true;
    this.#heads.clear();
  }
}

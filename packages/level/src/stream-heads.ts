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
interface Head {
  version: number;
  /** Written since the sweep last passed it (or since it was loaded). */
  written: boolean;
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
    heads.set(streamId, { version, written: false });
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
      if (!head.written) return;
      head.written = false;
      heads.set(streamId, head);
    }
  }

  clear(): void {
    this.#heads.clear();
  }
}

/**
 * The committed version of recently touched streams, so that an append's version check and an
 * actor's refresh-before-command cost no read. Exact because the store is the only writer of
 * its folder (it holds LevelDB's lock). Bounded: with millions of streams touched over a
 * daemon's life, the oldest-written heads are dropped and read from disk again when needed.
 */
export class StreamHeads {
  readonly #heads = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#heads.size;
  }

  get(streamId: string): number | undefined {
    return this.#heads.get(streamId);
  }

  /** Records a head; re-inserting moves it to the young end, so eviction drops the least recently set. */
  set(streamId: string, version: number): void {
    const heads = this.#heads;
    if (heads.has(streamId)) heads.delete(streamId);
    else if (heads.size >= this.#capacity) {
      const oldest = heads.keys().next();
      if (oldest.done !== true) heads.delete(oldest.value);
    }
    heads.set(streamId, version);
  }

  clear(): void {
    this.#heads.clear();
  }
}

/** The latest known state of a stream, as `h.watch()` yields it. */
export interface WatchUpdate<S = unknown> {
  version: number;
  state: S;
}

/** One `watch()` iterator's side of the exchange. */
export interface Watcher {
  /** Receives every change; must be cheap and must not throw. */
  push(update: WatchUpdate): void;
  /** The runtime is shutting down: finish the iteration. */
  end(): void;
}

/**
 * Who watches which stream. Lives in the runtime, not the actor, so a watch survives
 * eviction and respawn of the actor it watches.
 */
export class Watchers {
  readonly #byStream = new Map<string, Set<Watcher>>();

  get size(): number {
    return this.#byStream.size;
  }

  add(streamId: string, w: Watcher): void {
    const set = this.#byStream.get(streamId);
    if (set === undefined) this.#byStream.set(streamId, new Set([w]));
    else set.add(w);
  }

  remove(streamId: string, w: Watcher): void {
    const set = this.#byStream.get(streamId);
    if (set?.delete(w) && set.size === 0) this.#byStream.delete(streamId);
  }

  /** The watched streams. */
  streams(): IterableIterator<string> {
    return this.#byStream.keys();
  }

  /** Whether anyone watches the stream. */
  has(streamId: string): boolean {
    return this.#byStream.has(streamId);
  }

  notify(streamId: string, version: number, state: unknown): void {
    const set = this.#byStream.get(streamId);
    if (set === undefined) return;
    for (const w of set) w.push({ version, state });
  }

  endAll(): void {
    for (const set of this.#byStream.values()) for (const w of set) w.end();
    this.#byStream.clear();
  }
}

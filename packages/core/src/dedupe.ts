/**
 * The commandIds a stream accepted most recently, with the versions their events got.
 * Insertion-ordered Map: the oldest entry is the first key, so trimming is O(1).
 * Rebuilt on recovery from event metadata (and snapshots carry it), so retries after a
 * restart are recognised (ARCHITECTURE invariant 6).
 */
export class DedupeWindow {
  readonly #entries = new Map<string, [from: number, to: number]>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The versions `[from, to]` of the command's events; `from > to` for a command that appended nothing. */
  get(commandId: string): readonly [from: number, to: number] | undefined {
    return this.#entries.get(commandId);
  }

  /** Records that the command produced the events `from..to` (inclusive). */
  add(commandId: string, from: number, to: number): void {
    const entry = this.#entries.get(commandId);
    if (entry !== undefined) {
      // Replay meets a multi-event command one event at a time: widen, do not re-insert.
      entry[0] = Math.min(entry[0], from);
      entry[1] = Math.max(entry[1], to);
      return;
    }
    this.#entries.set(commandId, [from, to]);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** The window as JSON-compatible triples, oldest first (stored in snapshots). */
  toJSON(): Array<[string, number, number]> {
    return Array.from(this.#entries, ([id, [from, to]]) => [id, from, to]);
  }

  /** Restores a window saved by `toJSON`; undefined when malformed (the caller then replays in full). */
  static fromJSON(entries: unknown, capacity: number): DedupeWindow | undefined {
    if (!Array.isArray(entries)) return undefined;
    const w = new DedupeWindow(capacity);
    for (const e of entries) {
      if (
        !Array.isArray(e) ||
        typeof e[0] !== 'string' ||
        !Number.isInteger(e[1]) ||
        !Number.isInteger(e[2])
      ) {
        return undefined;
      }
      w.add(e[0], e[1], e[2]);
    }
    return w;
  }
}

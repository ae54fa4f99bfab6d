import type { EventEnvelope, EventStore } from '../store/store.js';

/**
 * The commandIds a stream accepted most recently, and where each one's events start.
 * Rebuilt on recovery from event metadata (and carried in snapshots), so retries after a
 * restart are recognised (ARCHITECTURE invariant 6).
 *
 * An entry is one number, `at`: `at >= 1` is the version of the command's first event (its
 * events are the contiguous run from there that carries its commandId); `at <= 0` marks a
 * command that appended nothing while the stream was at version `-at`. A window holding a
 * single commandId keeps it inline and allocates no Map: most aggregates see few retries, and
 * every byte here is paid by every resident actor (docs/internals.md).
 */
export class DedupeWindow {
  #firstId: string | undefined;
  #firstAt = 0;
  /** Insertion-ordered once a second id arrives: the oldest entry is the first key. */
  #entries: Map<string, number> | null = null;
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries !== null ? this.#entries.size : this.#firstId === undefined ? 0 : 1;
  }

  /** Where the command's events start (`<= 0`: it appended nothing at version `-at`), or undefined. */
  get(commandId: string): number | undefined {
    if (this.#entries !== null) return this.#entries.get(commandId);
    return commandId === this.#firstId ? this.#firstAt : undefined;
  }

  /** Records a command; a commandId already present keeps its first entry (replay meets each event). */
  add(commandId: string, at: number): void {
    if (this.#entries === null) {
      if (this.#firstId === undefined || this.#capacity === 1) {
        if (this.#firstId !== commandId) {
          this.#firstId = commandId;
          this.#firstAt = at;
        }
        return;
      }
      if (this.#firstId === commandId) return;
      this.#entries = new Map([[this.#firstId, this.#firstAt]]);
      this.#firstId = undefined;
    }
    if (this.#entries.has(commandId)) return;
    this.#entries.set(commandId, at);
    if (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  /** The window as JSON-compatible pairs, oldest first (stored in snapshots). */
  toJSON(): Array<[string, number]> {
    if (this.#entries !== null) return Array.from(this.#entries);
    return this.#firstId === undefined ? [] : [[this.#firstId, this.#firstAt]];
  }

  /** Restores a window saved by `toJSON`; undefined when malformed (the caller then replays in full). */
  static fromJSON(entries: unknown, capacity: number): DedupeWindow | undefined {
    if (!Array.isArray(entries)) return undefined;
    const w = new DedupeWindow(capacity);
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !Number.isInteger(e[1]))
        return undefined;
      w.add(e[0], e[1]);
    }
    return w;
  }
}

/** Records a command in the window, creating the window on first use (most actors never need one). */
export function remember(
  window: DedupeWindow | null,
  capacity: number,
  commandId: string,
  at: number,
): DedupeWindow {
  const w = window ?? new DedupeWindow(capacity);
  w.add(commandId, at);
  return w;
}

/**
 * The events of an accepted command: the run from `at` that carries its commandId (a
 * command's events are contiguous). None for a command that appended nothing (`at <= 0`).
 */
export async function readCommandEvents(
  store: EventStore,
  streamId: string,
  commandId: string,
  at: number,
): Promise<EventEnvelope[]> {
  const events: EventEnvelope[] = [];
  if (at <= 0) return events;
  for await (const e of store.readStream(streamId, { fromVersion: at })) {
    if (e.metadata.commandId !== commandId) break;
    events.push(e);
  }
  return events;
}

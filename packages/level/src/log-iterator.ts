/**
 * Reads the global log from a position (format 2): one reverse seek finds the index entry that
 * covers the position, one forward iterator walks the entries after it, and the records they
 * list are fetched by their stream keys with one `getMany` per chunk of about 1,000 events.
 *
 * The index iterator is one implicit LevelDB snapshot, so appends made during the read are not
 * seen and nothing is repeated; an entry is written in the same batch as its records and records
 * are never rewritten, so every record an entry names is there when it is fetched later. Damage
 * is never skipped: a gap between entries, an entry that does not decode, a listed record that
 * is missing or is not the one listed, all raise CorruptData at the position, after the events
 * before it were delivered.
 */
import type { EventEnvelope } from '@actorfold/core';
import {
  firstOfIndexKey,
  hexAtEnd,
  LEGACY_LOG_KEY_LENGTH,
  LOG_END,
  LOG_START,
  logIndexAfter,
  streamKey,
} from './keys.js';
import type { LevelHandle } from './level-handle.js';
import { decodeLogIndex, type LogRange } from './log-index.js';
import { corrupt, decodeRecordAt } from './record.js';
import { toStoreError } from './store-errors.js';

/** Events fetched per getMany: large enough to amortise the native call, small enough to stay cache-friendly. */
const CHUNK = 1000;
/** Index entries fetched per nextv: a batch's entry often covers hundreds of events. */
const ENTRIES = 16;

/** classic-level's entry iterator, as far as this reader uses it. */
interface EntryIterator {
  nextv(size: number): Promise<Array<[string, string]>>;
  close(): Promise<void>;
}

/** One event to fetch: where the index says it is. */
interface Slot {
  readonly streamId: string;
  readonly version: number;
  readonly position: number;
}

export class LogIterator implements AsyncIterableIterator<EventEnvelope> {
  #it: EntryIterator | undefined;
  #entries: Array<[string, string]> = [];
  #entryIndex = 0;
  #indexDone = false;
  /** The ranges of the current entry, and where the next slot comes from inside them. */
  #ranges: LogRange[] = [];
  #range = 0;
  #offset = 0;
  /** The position the next slot gets. */
  #position: number;
  #slots: Slot[] = [];
  #values: Array<string | undefined> = [];
  #index = 0;
  #remaining: number;
  /** Damage met while collecting slots: raised once the events before it were delivered. */
  #deferred: unknown;
  #done = false;
  readonly #source: LevelHandle;
  readonly #from: number;

  constructor(source: LevelHandle, fromPosition: number, limit: number) {
    this.#source = source;
    this.#from = fromPosition;
    this.#position = fromPosition;
    this.#remaining = limit;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<EventEnvelope>> {
    if (this.#index < this.#slots.length) {
      const i = this.#index++;
      try {
        return Promise.resolve({ done: false, value: this.#decode(this.#slots[i] as Slot, this.#values[i]) });
      } catch (e) {
        return this.#fail(e);
      }
    }
    return this.#fill();
  }

  async return(): Promise<IteratorResult<EventEnvelope>> {
    await this.#close();
    return { done: true, value: undefined };
  }

  async #fill(): Promise<IteratorResult<EventEnvelope>> {
    // Damage past the limit is not this read's business; damage before it is raised once reached.
    if (this.#done || this.#remaining <= 0) return this.return();
    if (this.#deferred !== undefined) return this.#fail(this.#deferred);
    const source = this.#source;
    const slots: Slot[] = [];
    try {
      if (source.closed) throw toStoreError(undefined, source.path, 'read', true);
      if (this.#it === undefined) {
        // The entry covering the start position is the last one starting at or before it.
        const [start] = await source.db
          .keys({ gte: LOG_START, lt: logIndexAfter(this.#from), reverse: true, limit: 1 })
          .all();
        this.#it = source.db.iterator<string, string>({ gte: start ?? LOG_START, lt: LOG_END });
      }
      const want = Math.min(CHUNK, this.#remaining);
      try {
        await this.#collect(slots, want);
      } catch (e) {
        // Deliver what lies before the damage first; a read that ends on it still raises it.
        if (slots.length === 0) throw e;
        this.#deferred = e;
      }
      this.#values = slots.length === 0 ? [] : await fetchRecords(source, slots);
    } catch (e) {
      return this.#fail(toStoreError(e, source.path, 'read', source.closed));
    }
    this.#slots = slots;
    this.#index = 0;
    if (slots.length === 0) return this.#deferred === undefined ? this.return() : this.#fail(this.#deferred);
    this.#remaining -= slots.length;
    return this.next();
  }

  /** Adds up to `want` slots from the index, in position order. */
  async #collect(slots: Slot[], want: number): Promise<void> {
    while (slots.length < want) {
      const range = this.#ranges[this.#range];
      if (range !== undefined) {
        slots.push({
          streamId: range.streamId,
          version: range.firstVersion + this.#offset,
          position: this.#position++,
        });
        if (++this.#offset === range.count) {
          this.#range++;
          this.#offset = 0;
        }
        continue;
      }
      const entry = await this.#nextEntry();
      if (entry === undefined) return;
      this.#enter(entry[0], entry[1]);
    }
  }

  async #nextEntry(): Promise<[string, string] | undefined> {
    if (this.#entryIndex >= this.#entries.length) {
      if (this.#indexDone) return undefined;
      this.#entries = await (this.#it as EntryIterator).nextv(ENTRIES);
      this.#entryIndex = 0;
      if (this.#entries.length === 0) {
        this.#indexDone = true;
        return undefined;
      }
    }
    return this.#entries[this.#entryIndex++];
  }

  /** Makes `key`'s entry the current one, positioned at the next position to read. */
  #enter(key: string, value: string): void {
    const at = this.#position;
    const first = firstOfIndexKey(key);
    const last = hexAtEnd(key);
    if (key.length === LEGACY_LOG_KEY_LENGTH && Number.isSafeInteger(last)) {
      // A format 1 log record the migration could not tell the stream of stays under its own key.
      if (last < at) return;
      if (last > at) throw corrupt('', { position: at }, `the log skips from position ${at - 1} to ${last}`);
      throw corrupt(value, { position: at }, 'the format 1 log record there does not decode');
    }
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
      throw corrupt('', { position: at }, `the log index key ${JSON.stringify(key)} is damaged`);
    }
    if (last < at) return; // the entry before the start position (only the first one can be)
    if (first > at) {
      throw corrupt('', { position: at }, `the log skips from position ${at - 1} to ${first}`);
    }
    this.#ranges = decodeLogIndex(value, first, last - first + 1, at);
    this.#range = 0;
    this.#offset = 0;
    // Inside the entry, skip the positions before the start.
    let skip = at - first;
    while (skip > 0) {
      const r = this.#ranges[this.#range] as LogRange;
      const step = Math.min(skip, r.count - this.#offset);
      skip -= step;
      this.#offset += step;
      if (this.#offset === r.count) {
        this.#range++;
        this.#offset = 0;
      }
    }
  }

  #decode(slot: Slot, text: string | undefined): EventEnvelope {
    if (text === undefined)
      throw corrupt('', slot, 'the log index lists this event but the stream holds no record for it');
    return decodeRecordAt(text, slot);
  }

  async #fail(e: unknown): Promise<never> {
    await this.#close();
    throw e;
  }

  async #close(): Promise<void> {
    this.#done = true;
    this.#slots = [];
    this.#values = [];
    this.#ranges = [];
    this.#entries = [];
    const it = this.#it;
    this.#it = undefined;
    if (it !== undefined) await it.close().catch(() => undefined);
  }
}

/**
 * The records of `slots`, in slot order. The keys are asked for in key order: LevelDB then walks
 * its tables forward (each block read once for the records it holds) instead of jumping between
 * streams in position order.
 */
async function fetchRecords(source: LevelHandle, slots: readonly Slot[]): Promise<Array<string | undefined>> {
  const keys = slots.map((s) => streamKey(s.streamId, s.version));
  const order = keys
    .map((_, i) => i)
    .sort((a, b) => {
      const ka = keys[a] as string;
      const kb = keys[b] as string;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  const sorted = await source.db.getMany(order.map((i) => keys[i] as string));
  const values = new Array<string | undefined>(keys.length);
  for (let j = 0; j < order.length; j++) values[order[j] as number] = sorted[j];
  return values;
}

/**
 * Reads one stream's key range as envelopes (readStream; the global log is log-iterator.ts): one LevelDB iterator (one implicit snapshot, so appends
 * during the read are neither seen half nor repeated), fetched in chunks with `nextv` and decoded
 * with one JSON.parse per event. A plain iterator object rather than an async generator keeps the
 * per-event cost to a resolved promise.
 */
import type { EventEnvelope } from '@actorfold/core';
import type { LevelHandle } from './level-handle.js';
import { decodeRecordAt } from './record.js';
import { toStoreError } from './store-errors.js';

/** The events chunk size: large enough to amortise the native call, small enough to stay cache-friendly. */
const CHUNK = 1000;

/** classic-level's value iterator, as far as this reader uses it. */
interface ValueIterator {
  nextv(size: number): Promise<string[]>;
  close(): Promise<void>;
}

export interface RecordRange {
  readonly gte: string;
  readonly lt: string;
  readonly limit: number;
  /** The stream every record must belong to; versions must run from `first`. */
  readonly streamId: string;
  /** The version the first record must carry; each next one is +1. */
  readonly first: number;
}

export class RecordIterator implements AsyncIterableIterator<EventEnvelope> {
  #it: ValueIterator | undefined;
  #buffer: string[] = [];
  #index = 0;
  #remaining: number;
  #expected: number;
  #done = false;
  readonly #source: LevelHandle;
  readonly #range: RecordRange;

  constructor(source: LevelHandle, range: RecordRange) {
    this.#source = source;
    this.#range = range;
    this.#remaining = range.limit;
    this.#expected = range.first;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<EventEnvelope>> {
    if (this.#index < this.#buffer.length) {
      try {
        return Promise.resolve({ done: false, value: this.#decode(this.#buffer[this.#index++] as string) });
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
    if (this.#done || this.#remaining <= 0) return this.return();
    const source = this.#source;
    try {
      if (source.closed) throw toStoreError(undefined, source.path, 'read', true);
      const range = this.#range;
      this.#it ??= source.db.values<string, string>({
        gte: range.gte,
        lt: range.lt,
        limit: Number.isFinite(range.limit) ? range.limit : -1,
      });
      this.#buffer = await this.#it.nextv(Math.min(CHUNK, this.#remaining));
      this.#index = 0;
    } catch (e) {
      return this.#fail(toStoreError(e, source.path, 'read', source.closed));
    }
    if (this.#buffer.length === 0) return this.return();
    this.#remaining -= this.#buffer.length;
    return this.next();
  }

  #decode(text: string): EventEnvelope {
    return decodeRecordAt(text, { streamId: this.#range.streamId, version: this.#expected++ });
  }

  async #fail(e: unknown): Promise<never> {
    await this.#close();
    throw e;
  }

  async #close(): Promise<void> {
    this.#done = true;
    this.#buffer = [];
    const it = this.#it;
    this.#it = undefined;
    if (it !== undefined) await it.close().catch(() => undefined);
  }
}

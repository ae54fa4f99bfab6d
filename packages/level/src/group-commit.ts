/**
 * Group commit: appends that arrive while a write is in flight wait in a queue and all go into
 * the next LevelDB batch, so one fsync acknowledges many commands and durable throughput grows
 * with concurrency instead of being capped by the disk's sync rate.
 *
 * Version checks stay exact. Each queued append is checked when its batch is built, in arrival
 * order, against the committed head plus the appends already placed in that batch: a batch never
 * holds two appends that conflict, a conflicting append fails alone with VersionConflict, and a
 * batch that fails to write fails its own appends and changes no head.
 */
import { type EventEnvelope, VersionConflict } from '@actorfold/core';
import type { ClassicLevel } from 'classic-level';
import { logKey, streamKey } from './keys.js';
import { decodeRecord, type EncodedEvent, encodeRecord } from './record.js';
import { toStoreError } from './store-errors.js';
import type { StreamHeads } from './stream-heads.js';

/** One append waiting for its batch. Its events are already validated and encoded. */
export interface PendingAppend {
  readonly streamId: string;
  readonly expected: number;
  readonly events: readonly EncodedEvent[];
  resolve(envelopes: EventEnvelope[]): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  readonly db: ClassicLevel<string, string>;
  readonly path: string;
  readonly heads: StreamHeads;
  /** Wait for the OS to put the batch on disk before acknowledging ('fsync' durability). */
  readonly sync: boolean;
  /** The position the next event gets. */
  readonly nextPosition: number;
  /** Reads a stream's committed head from disk. */
  readHead(streamId: string): Promise<number>;
}

/** One accepted append inside the batch being built. */
interface Placed {
  readonly append: PendingAppend;
  readonly records: string[];
}

export class GroupCommit {
  #queue: PendingAppend[] = [];
  #running = false;
  #nextPosition: number;
  /** Incremented after each batch commits; lets a head read that raced a commit skip caching. */
  #commits = 0;
  #drained: Array<() => void> = [];
  readonly #o: GroupCommitOptions;

  constructor(o: GroupCommitOptions) {
    this.#o = o;
    this.#nextPosition = o.nextPosition;
  }

  /** Committed batches so far. */
  get commits(): number {
    return this.#commits;
  }

  /** Appends and events committed so far (empty appends count as appends, not as writes). */
  readonly written = { appends: 0, events: 0 };

  /** Queues an append; it is written with the next batch. */
  enqueue(append: PendingAppend): void {
    this.#queue.push(append);
    if (!this.#running) {
      this.#running = true;
      // Let every append issued in this turn of the event loop join the first batch.
      setImmediate(() => void this.#run());
    }
  }

  /** Resolves once every queued append has been written or failed. */
  drain(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const appends = this.#queue;
        this.#queue = [];
        await this.#commit(appends);
      }
    } finally {
      this.#running = false;
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  async #commit(appends: PendingAppend[]): Promise<void> {
    const o = this.#o;
    const loaded = new Map<string, number>();
    try {
      await this.#loadHeads(appends, loaded);
    } catch (e) {
      for (const a of appends) a.reject(toStoreError(e, o.path, 'reading a stream head', false));
      return;
    }

    const batch = o.db.batch();
    const batchHeads = new Map<string, number>();
    const placed: Placed[] = [];
    let position = this.#nextPosition;
    for (const a of appends) {
      const streamId = a.streamId;
      const head = (batchHeads.get(streamId) ?? o.heads.get(streamId) ?? loaded.get(streamId)) as number;
      if (a.expected !== head) {
        a.reject(new VersionConflict(streamId, a.expected, head));
        continue;
      }
      if (a.events.length === 0) {
        a.resolve([]);
        continue;
      }
      const idJson = JSON.stringify(streamId);
      const records: string[] = [];
      for (let i = 0; i < a.events.length; i++) {
        const version = head + i + 1;
        const record = encodeRecord(idJson, version, position, a.events[i] as EncodedEvent);
        batch.put(streamKey(streamId, version), record);
        batch.put(logKey(position), record);
        records.push(record);
        position++;
      }
      batchHeads.set(streamId, head + a.events.length);
      placed.push({ append: a, records });
    }
    if (placed.length === 0) {
      await batch.close();
      return;
    }

    try {
      await batch.write({ sync: o.sync });
    } catch (e) {
      // Nothing of the batch is stored (LevelDB batches are atomic): positions are reused.
      await batch.close().catch(() => undefined);
      const error = toStoreError(e, o.path, 'append', false);
      for (const p of placed) p.append.reject(error);
      return;
    }
    this.written.appends += placed.length;
    this.written.events += position - this.#nextPosition;
    this.#nextPosition = position;
    this.#commits++;
    for (const [streamId, version] of batchHeads) o.heads.set(streamId, version);
    for (const p of placed) {
      // Envelopes are decoded from the stored text: callers get exactly what a read returns.
      p.append.resolve(p.records.map((r) => decodeRecord(r, { streamId: p.append.streamId })));
    }
  }

  /** Reads the heads of streams not in the cache; no write is in flight meanwhile, so they are exact. */
  async #loadHeads(appends: PendingAppend[], loaded: Map<string, number>): Promise<void> {
    const o = this.#o;
    let reads: Array<Promise<void>> | undefined;
    for (const a of appends) {
      const streamId = a.streamId;
      if (o.heads.get(streamId) !== undefined || loaded.has(streamId)) continue;
      loaded.set(streamId, 0);
      reads ??= [];
      reads.push(
        o.readHead(streamId).then((v) => {
          loaded.set(streamId, v);
          o.heads.set(streamId, v);
        }),
      );
    }
    if (reads !== undefined) await Promise.all(reads);
  }
}

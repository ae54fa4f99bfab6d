/**
 * levelStore: the embedded default EventStore on LevelDB (classic-level). One folder per
 * runtime, opened exclusively; appends group-committed; every read one range scan.
 * See docs/store-internals.md for the key layout and what each durability level promises.
 */
import { resolve } from 'node:path';
import {
  assertExpectedVersion,
  assertNewEvents,
  assertReadAllOptions,
  assertReadStreamOptions,
  assertStreamId,
  type Clock,
  type DomainEvent,
  type EventEnvelope,
  type EventStore,
  encodeNewEvents,
  InvalidArgument,
  type NewEvent,
  StoreError,
} from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { levelCheckpoints } from './checkpoint-store.js';
import { GroupCommit } from './group-commit.js';
import {
  assertNoSeparator,
  FORMAT_KEY,
  FORMAT_VERSION,
  hexAtEnd,
  LOG_END,
  logKey,
  streamEnd,
  streamKey,
} from './keys.js';
import { LevelHandle } from './level-handle.js';
import { RecordIterator } from './record-iterator.js';
import { levelSnapshots } from './snapshot-store.js';
import { describe, isLockedError } from './store-errors.js';
import { StreamHeads } from './stream-heads.js';
import { type ListStreamsOptions, listStreams, type StreamInfo } from './stream-listing.js';

/**
 * How far an acknowledged append has gone:
 * - `'fsync'`: LevelDB's log was synced to the disk before the append resolved; survives a
 *   process crash and a power loss or kernel panic.
 * - `'os'`: handed to the operating system; survives a crash of the process (SIGKILL, OOM kill),
 *   but the last writes may be lost if the machine itself goes down.
 */
export type Durability = 'fsync' | 'os';

export interface LevelStoreOptions {
  /** The store folder; created when missing. One process at a time may open it. */
  path: string;
  /** Default `'fsync'`. */
  durability?: Durability;
  /** Stamps events appended without a `timestamp`; read as epoch milliseconds. Default: the system clock. */
  clock?: Pick<Clock, 'now'>;
  /**
   * How many stream heads to keep in memory (default 100,000). A stream whose head was dropped
   * costs one short read on its next append or refresh.
   */
  streamHeadCacheSize?: number;
}

/** An EventStore over a LevelDB folder. */
export interface LevelStore extends EventStore {
  /** The absolute folder path. */
  readonly path: string;
  readonly durability: Durability;
  /**
   * The streams in the folder with their head versions, in id order (one key read per stream).
   * For operators' tools: `prefix` filters, `after` and `limit` page.
   */
  listStreams(opts?: ListStreamsOptions): AsyncIterable<StreamInfo>;
  /** Counts since open: group-commit batches written, appends and events in them, stream heads cached. */
  stats(): LevelStoreStats;
}

export interface LevelStoreStats {
  /** LevelDB write batches that carried appends (one sync each with durability 'fsync'). */
  batches: number;
  appends: number;
  events: number;
  cachedHeads: number;
}

/**
 * Opens (creating when missing) the LevelDB store in `opts.path`. Fails with StoreError reason
 * LOCKED when another process, or another store in this process, has the folder open.
 * @example
 * const runtime = await createRuntime({ store: levelStore({ path: './data' }), aggregates: [account] });
 */
export async function levelStore(opts: LevelStoreOptions): Promise<LevelStore> {
  const { path, durability, clock, streamHeadCacheSize } = checkOptions(opts);
  const db = new ClassicLevel<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await db.open();
  } catch (e) {
    if (isLockedError(e)) {
      const why = `the store folder ${path} is in use by another process or store (LevelDB lock held)`;
      throw new StoreError('LOCKED', why, { cause: e });
    }
    throw new StoreError('IO', `cannot open the store folder ${path}: ${describe(e)}`, { cause: e });
  }

  const h = new LevelHandle(db, path, durability === 'fsync');
  let nextPosition: number;
  try {
    await checkFormat(h);
    const [last] = await db.keys({ gt: 'l', lt: LOG_END, reverse: true, limit: 1 }).all();
    nextPosition = last === undefined ? 1 : hexAtEnd(last) + 1;
    if (!Number.isSafeInteger(nextPosition))
      throw new StoreError('IO', `${path}: the last log key ${JSON.stringify(last)} is damaged`);
  } catch (e) {
    await db.close();
    throw e instanceof StoreError
      ? e
      : new StoreError('IO', `cannot read the store folder ${path}: ${describe(e)}`, { cause: e });
  }

  const heads = new StreamHeads(streamHeadCacheSize);
  const readHead = async (streamId: string): Promise<number> => {
    const [last] = await h.io('reading a stream head', () =>
      db.keys({ gt: streamKey(streamId, 0), lt: streamEnd(streamId), reverse: true, limit: 1 }).all(),
    );
    return last === undefined ? 0 : hexAtEnd(last);
  };
  const writer = new GroupCommit({ db, path, heads, sync: h.sync, nextPosition, readHead });
  const now = clock === undefined ? Date.now : () => clock.now();
  let closing: Promise<void> | undefined;

  return {
    path,
    durability,
    listStreams(listOpts = {}) {
      h.ensureOpen();
      return listStreams(h, readHead, listOpts);
    },
    stats: () => ({ batches: writer.commits, ...writer.written, cachedHeads: heads.size }),
    append<E extends DomainEvent>(
      streamId: string,
      events: readonly NewEvent<E>[],
      appendOpts: { expectedVersion: number },
    ): Promise<EventEnvelope<E>[]> {
      try {
        h.ensureOpen();
        assertStreamId(streamId);
        assertNoSeparator(streamId);
        const expected = assertExpectedVersion(streamId, appendOpts);
        assertNewEvents(streamId, events);
        const encoded = encodeNewEvents(streamId, events, now);
        return new Promise((resolve, reject) => {
          writer.enqueue({
            streamId,
            expected,
            events: encoded,
            resolve: resolve as (envelopes: EventEnvelope[]) => void,
            reject,
          });
        });
      } catch (e) {
        return Promise.reject(e);
      }
    },

    readStream(streamId, readOpts) {
      h.ensureOpen();
      assertStreamId(streamId);
      assertNoSeparator(streamId);
      const { fromVersion, limit } = assertReadStreamOptions(readOpts);
      return new RecordIterator(h, {
        gte: streamKey(streamId, fromVersion),
        lt: streamEnd(streamId),
        limit,
        streamId,
        first: fromVersion,
      });
    },

    readAll(readOpts) {
      h.ensureOpen();
      const { fromPosition, limit } = assertReadAllOptions(readOpts);
      return new RecordIterator(h, { gte: logKey(fromPosition), lt: LOG_END, limit, first: fromPosition });
    },

    async streamVersion(streamId) {
      h.ensureOpen();
      assertStreamId(streamId);
      assertNoSeparator(streamId);
      const known = heads.get(streamId);
      if (known !== undefined) return known;
      const commits = writer.commits;
      const version = await readHead(streamId);
      // A batch committed during the read may have moved the head on: then the value is still a
      // true answer for this call, but too old to cache.
      if (writer.commits === commits && heads.get(streamId) === undefined) heads.set(streamId, version);
      return version;
    },

    knownStreamVersion(streamId) {
      h.ensureOpen();
      return heads.get(streamId);
    },

    async lastPosition() {
      h.ensureOpen();
      return writer.lastPosition;
    },

    onAppend(listener) {
      h.ensureOpen();
      writer.listeners.add(listener);
      return () => {
        writer.listeners.delete(listener);
      };
    },

    snapshots: levelSnapshots(h),
    checkpoints: levelCheckpoints(h),

    close() {
      closing ??= (async () => {
        h.markClosed();
        // Appends accepted before close() are written (or fail) before the folder is released.
        await writer.drain();
        writer.listeners.clear();
        heads.clear();
        await db.close();
      })();
      return closing;
    },
  };
}

interface CheckedOptions {
  path: string;
  durability: Durability;
  clock: Pick<Clock, 'now'> | undefined;
  streamHeadCacheSize: number;
}

function checkOptions(opts: LevelStoreOptions): CheckedOptions {
  if (typeof opts !== 'object' || opts === null)
    throw new InvalidArgument('levelStore: options must be an object with a path');
  const { path, durability = 'fsync', clock, streamHeadCacheSize = 100_000 } = opts;
  if (typeof path !== 'string' || path.length === 0)
    throw new InvalidArgument('levelStore: path must be a non-empty string');
  if (durability !== 'fsync' && durability !== 'os') {
    throw new InvalidArgument(
      `levelStore: durability must be 'fsync' or 'os', got ${JSON.stringify(durability)}`,
    );
  }
  if (clock !== undefined && typeof clock?.now !== 'function')
    throw new InvalidArgument('levelStore: clock must have a now() method');
  if (!Number.isSafeInteger(streamHeadCacheSize) || streamHeadCacheSize < 1) {
    throw new InvalidArgument('levelStore: streamHeadCacheSize must be a positive integer');
  }
  return { path: resolve(path), durability, clock, streamHeadCacheSize };
}

/** Writes the format marker into a new folder; refuses a folder written in another format. */
async function checkFormat(h: LevelHandle): Promise<void> {
  const found = await h.db.get(FORMAT_KEY);
  if (found === undefined) {
    await h.db.put(FORMAT_KEY, FORMAT_VERSION, { sync: true });
  } else if (found !== FORMAT_VERSION) {
    throw new StoreError(
      'IO',
      `${h.path}: store format ${JSON.stringify(found)} is not supported (this version reads ${FORMAT_VERSION})`,
    );
  }
}

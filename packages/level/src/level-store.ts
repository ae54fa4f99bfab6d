/**
 * levelStore: the embedded default EventStore on LevelDB (classic-level). One folder per
 * runtime, opened exclusively; appends group-committed; every read one range scan.
 * See docs/store-internals.md for the key layout and what each durability level promises.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type AppendOptions,
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
  encodeTimerChanges,
  InvalidArgument,
  type NewEvent,
  StoreError,
  type TimerStore,
} from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { levelCheckpoints } from './checkpoint-store.js';
import { type FolderLock, lockFolder } from './folder-lock.js';
import { type FormatMigrationProgress, migrateFormat, needsMigration } from './format-migration.js';
import { GroupCommit, PendingAppend } from './group-commit.js';
import {
  FORMAT_KEY,
  FORMAT_VERSION,
  hexAtEnd,
  LOG_END,
  LOG_START,
  streamEnd,
  streamKey,
  TAIL_SYNC_KEY,
} from './keys.js';
import { LevelHandle } from './level-handle.js';
import { levelTimers, readTimerCount } from './level-timers.js';
import { LogIterator } from './log-iterator.js';
import { corrupt, envelopesOf } from './record.js';
import { RecordIterator } from './record-iterator.js';
import { levelSnapshots } from './snapshot-store.js';
import { describe, isLockedError } from './store-errors.js';
import { inspectFolder } from './store-folder.js';
import { StreamHeads } from './stream-heads.js';
import { type ListStreamsOptions, listStreams, type StreamInfo } from './stream-listing.js';
import { type LostTail, readTailMark, TailMarker } from './tail-mark.js';

/**
 * How far an acknowledged append has gone:
 * - `'fsync'`: LevelDB's log was synced to the disk before the append resolved; survives a
 *   process crash and a power loss or kernel panic.
 * - `'os'`: handed to the operating system; survives a crash of the process (SIGKILL, OOM kill),
 *   but the last writes may be lost if the machine itself goes down.
 */
export type Durability = 'fsync' | 'os';

export interface LevelStoreOptions {
  /**
   * The store folder. A store is created only in a missing or empty folder; a folder holding a
   * broken database (no `CURRENT`, a missing manifest) is refused with StoreError reason DAMAGED,
   * never created over. One store at a time may open it, in any process, whatever path reaches it.
   */
  path: string;
  /**
   * `false`: the store must already exist; a missing or empty folder fails with StoreError reason
   * NOT_FOUND instead of becoming a new, empty store (for daemons that must find their data).
   * Default `true`.
   */
  create?: boolean;
  /**
   * What to do when acknowledged events are found missing at open (the newest position is below
   * the recorded tail mark, see docs/store-internals.md): `'refuse'` (default) fails with
   * StoreError reason DAMAGED naming the missing positions; `'open'` opens anyway and reports
   * them in `lostTail`, for inspection and repair tools. While a loss stands, the mark is left
   * as it is.
   */
  tailLoss?: 'refuse' | 'open';
  /**
   * How often at most the tail mark is rewritten while appends go on (one small fsync'd file per
   * interval, off the append path; and always on close). Default 1000 ms.
   */
  tailMarkIntervalMs?: number;
  /** Default `'fsync'`. */
  durability?: Durability;
  /** Stamps events appended without a `timestamp`; read as epoch milliseconds. Default: the system clock. */
  clock?: Pick<Clock, 'now'>;
  /**
   * How many stream heads to keep in memory (default 100,000). A stream whose head was dropped
   * costs one short read on its next append or refresh.
   */
  streamHeadCacheSize?: number;
  /**
   * Hears how the migration of a folder written in an older store format goes (see
   * docs/store-internals.md): at its start, every 100,000 events, and once done. Without it, a
   * migration of 100,000 events or more is reported on stderr.
   */
  onMigrationProgress?: (progress: FormatMigrationProgress) => void;
}

/** An EventStore over a LevelDB folder. */
export interface LevelStore extends EventStore {
  /** The absolute folder path. */
  readonly path: string;
  readonly durability: Durability;
  /**
   * Acknowledged positions found missing when the store opened (only with `tailLoss: 'open'`;
   * otherwise such a store does not open), or undefined.
   */
  readonly lostTail: LostTail | undefined;
  /** Durable timers, kept in the folder with the events; always available on this store (with `reschedule`, so durable effects run on it). */
  readonly timers: TimerStore & Required<Pick<TimerStore, 'reschedule'>>;
  /** The newest global position (0 when empty); always available on this store. */
  lastPosition(): Promise<number>;
  /**
   * Why the store refuses every write, or undefined while it takes writes. Once a write failed
   * with an unknown outcome (a failed fsync, a full disk; an append's batch, a snapshot or a
   * checkpoint) every later append, timer change, snapshot and checkpoint write fails with this
   * StoreError (reason `IO`, "refuses writes … reopen it") until the store is closed and opened
   * again. Always available on this store; answers after `close()` too.
   */
  writeRefusal(): StoreError | undefined;
  /**
   * Calls `listener` once, with the refusal, when the store starts refusing writes (after the
   * failed batch's own appends have been failed). Returns the function that removes it. An
   * error the listener throws is rethrown uncaught, never into the store's writes.
   */
  onWriteRefusal(listener: (refusal: StoreError) => void): () => void;
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
  const o = checkOptions(opts);
  const { path, durability } = o;
  const createIfMissing = await checkFolder(path, o.create);
  const lock = await lockFolder(path).catch((e: unknown) => {
    throw e instanceof StoreError
      ? e
      : new StoreError('IO', `cannot open the store folder ${path}: ${describe(e)}`, { cause: e });
  });
  let db: ClassicLevel<string, string> | undefined;
  try {
    db = await openDb(path, createIfMissing);
    const opened = await readOpenState(new LevelHandle(db, path, durability === 'fsync'), o);
    return serve(db, lock, opened, o);
  } catch (e) {
    await db?.close().catch(() => undefined);
    lock.release();
    throw e;
  }
}

/**
 * Whether LevelDB may create a database in the folder: only a missing or empty one. Creates a
 * missing folder (so it can be locked) unless `create` is false. Throws DAMAGED, NOT_FOUND or IO.
 */
async function checkFolder(path: string, create: boolean): Promise<boolean> {
  let state: Awaited<ReturnType<typeof inspectFolder>>;
  try {
    state = await inspectFolder(path);
  } catch (e) {
    throw new StoreError('IO', `cannot read the store folder ${path}: ${describe(e)}`, { cause: e });
  }
  switch (state.kind) {
    case 'store':
      return false;
    case 'damaged':
      throw damaged(
        path,
        `is damaged: ${state.why}. Refusing to open it (a new database would delete its table files)`,
      );
    case 'foreign':
      throw new StoreError(
        'NOT_FOUND',
        `${path} holds no store but other files (${state.files.join(', ')}): refusing to create a store in it; give an empty or new folder`,
      );
    case 'not-a-folder':
      throw new StoreError('IO', `cannot open the store folder ${path}: it is not a folder`);
    default:
      if (!create) {
        throw new StoreError(
          'NOT_FOUND',
          `no store in ${path} (the folder is ${state.kind}) and create is false: give the folder the store was created in`,
        );
      }
      if (state.kind === 'missing') await mkdir(path, { recursive: true });
      return true;
  }
}

async function openDb(path: string, createIfMissing: boolean): Promise<ClassicLevel<string, string>> {
  const db = new ClassicLevel<string, string>(path, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    createIfMissing,
  });
  try {
    await db.open();
    return db;
  } catch (e) {
    if (isLockedError(e)) {
      const why = `the store folder ${path} is in use by another process or store (LevelDB lock held)`;
      throw new StoreError('LOCKED', why, { cause: e });
    }
    const message = describe(e);
    // LevelDB found its own files inconsistent (a table file the manifest lists is missing, a bad
    // checksum in the manifest): damage, not an I/O failure.
    if (/corruption|does not exist/i.test(message)) {
      throw damaged(path, `is damaged: ${message}`, e);
    }
    throw new StoreError('IO', `cannot open the store folder ${path}: ${message}`, { cause: e });
  }
}

/** StoreError DAMAGED naming the folder, what is wrong, and the way out. */
function damaged(path: string, what: string, cause?: unknown): StoreError {
  return new StoreError(
    'DAMAGED',
    `the store folder ${path} ${what}. Stop everything using it and run: actorfold repair --data ${path}`,
    cause === undefined ? undefined : { cause },
  );
}

interface OpenState {
  nextPosition: number;
  /** The position the tail mark recorded (0 without one). */
  recorded: number;
  lostTail: LostTail | undefined;
  /** Pending durable timers. */
  timerCount: number;
}

/** The format check, the next position, and the tail mark compared with what the log holds. */
async function readOpenState(h: LevelHandle, o: CheckedOptions): Promise<OpenState> {
  const { db, path } = h;
  const { tailLoss } = o;
  try {
    await checkFormat(h, o.onMigrationProgress);
    // The last log index entry's key ends with the last position it covers.
    const [last] = await db.keys({ gt: LOG_START, lt: LOG_END, reverse: true, limit: 1 }).all();
    const nextPosition = last === undefined ? 1 : hexAtEnd(last) + 1;
    if (!Number.isSafeInteger(nextPosition))
      throw new StoreError('IO', `${path}: the last log key ${JSON.stringify(last)} is damaged`);
    const recorded = (await readTailMark(path)) ?? 0;
    const lostTail = recorded >= nextPosition ? { from: nextPosition, to: recorded } : undefined;
    if (lostTail !== undefined && tailLoss === 'refuse') {
      throw damaged(
        path,
        `lost acknowledged events: positions ${lostTail.from}..${lostTail.to} are missing (the newest log was cut short). ` +
          'Refusing to open it (new events would reuse those positions)',
      );
    }
    return { nextPosition, recorded, lostTail, timerCount: await readTimerCount(db) };
  } catch (e) {
    throw e instanceof StoreError
      ? e
      : new StoreError('IO', `cannot read the store folder ${path}: ${describe(e)}`, { cause: e });
  }
}

/** The store over an opened folder. */
function serve(
  db: ClassicLevel<string, string>,
  lock: FolderLock,
  opened: OpenState,
  o: CheckedOptions,
): LevelStore {
  const { path, durability, clock, streamHeadCacheSize } = o;
  const h = new LevelHandle(db, path, durability === 'fsync');
  const heads = new StreamHeads(streamHeadCacheSize);
  const readHead = async (streamId: string): Promise<number> => {
    const [last] = await h.io('reading a stream head', () =>
      db.keys({ gt: streamKey(streamId, 0), lt: streamEnd(streamId), reverse: true, limit: 1 }).all(),
    );
    return last === undefined ? 0 : hexAtEnd(last);
  };
  const writer = new GroupCommit({
    db,
    path,
    heads,
    sync: h.sync,
    nextPosition: opened.nextPosition,
    readHead,
    refusal: h.refusal,
  });
  writer.timerCount = opened.timerCount;
  // While a lost tail stands (tailLoss 'open'), the mark keeps recording it.
  const marker =
    opened.lostTail === undefined
      ? new TailMarker({
          folder: path,
          intervalMs: o.tailMarkIntervalMs,
          recorded: opened.recorded,
          position: () => writer.lastPosition,
          // 'os' acknowledges before the log reaches the disk: sync it before recording a position.
          ...(h.sync ? {} : { syncFirst: () => db.put(TAIL_SYNC_KEY, '', { sync: true }) }),
        })
      : undefined;
  if (marker !== undefined) writer.listeners.add(() => marker.committed());
  const now = clock === undefined ? Date.now : () => clock.now();
  let closing: Promise<void> | undefined;

  return {
    path,
    durability,
    lostTail: opened.lostTail,
    listStreams(listOpts = {}) {
      h.ensureOpen();
      return listStreams(h, readHead, listOpts);
    },
    // Group commit checks one stream's appends in arrival order against the heads the earlier ones leave.
    pipelinedAppends: true,
    stats: () => ({ batches: writer.commits, ...writer.written, cachedHeads: heads.size }),
    append<E extends DomainEvent>(
      streamId: string,
      events: readonly NewEvent<E>[],
      appendOpts: AppendOptions,
    ): Promise<EventEnvelope<E>[]> {
      try {
        h.ensureOpen();
        assertStreamId(streamId);
        const expected = assertExpectedVersion(streamId, appendOpts);
        assertNewEvents(streamId, events);
        const timers = encodeTimerChanges(streamId, appendOpts.timers, expected, events.length, true);
        const encoded = encodeNewEvents(streamId, events, now);
        const envelopes = envelopesOf(streamId, encoded);
        const chain = appendOpts.chain;
        return new Promise((resolve, reject) => {
          writer.enqueue(
            new PendingAppend(
              streamId,
              expected,
              encoded,
              envelopes,
              timers,
              chain,
              resolve as (envelopes: EventEnvelope[]) => void,
              reject,
            ),
          );
        });
      } catch (e) {
        if (appendOpts?.chain !== undefined) appendOpts.chain.failed = true;
        return Promise.reject(e);
      }
    },

    readStream(streamId, readOpts) {
      h.ensureOpen();
      assertStreamId(streamId);
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
      return new LogIterator(h, fromPosition, limit);
    },

    async streamVersion(streamId) {
      h.ensureOpen();
      assertStreamId(streamId);
      const known = heads.get(streamId);
      if (known !== undefined) return headOrDamage(streamId, known);
      const commits = writer.commits;
      const version = await readHead(streamId);
      // A batch committed during the read may have moved the head on: then the value is still a
      // true answer for this call, but too old to cache.
      if (writer.commits === commits && heads.get(streamId) === undefined) heads.set(streamId, version);
      return headOrDamage(streamId, version);
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

    // A status: it answers after close() too, so readiness checks need no try/catch.
    writeRefusal: () => h.refusal.error,

    onWriteRefusal(listener) {
      h.ensureOpen();
      return h.refusal.listen(listener);
    },

    snapshots: levelSnapshots(h),
    timers: levelTimers({
      h,
      count: () => writer.timerCount,
      enqueue: (op) => writer.enqueueTimerOp(op),
    }),
    checkpoints: levelCheckpoints(h),

    close() {
      closing ??= (async () => {
        h.markClosed();
        // Appends accepted before close() are written (or fail) before the folder is released.
        await writer.drain();
        writer.listeners.clear();
        h.refusal.clear();
        heads.clear();
        try {
          await marker?.close();
          await db.close();
        } finally {
          lock.release();
        }
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
  create: boolean;
  tailLoss: 'refuse' | 'open';
  tailMarkIntervalMs: number;
  onMigrationProgress: ((progress: FormatMigrationProgress) => void) | undefined;
}

function checkOptions(opts: LevelStoreOptions): CheckedOptions {
  if (typeof opts !== 'object' || opts === null)
    throw new InvalidArgument('levelStore: options must be an object with a path');
  const {
    path,
    durability = 'fsync',
    clock,
    streamHeadCacheSize = 100_000,
    create = true,
    tailLoss = 'refuse',
    tailMarkIntervalMs = 1000,
    onMigrationProgress,
  } = opts;
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
  if (typeof create !== 'boolean') throw new InvalidArgument('levelStore: create must be a boolean');
  if (tailLoss !== 'refuse' && tailLoss !== 'open')
    throw new InvalidArgument(
      `levelStore: tailLoss must be 'refuse' or 'open', got ${JSON.stringify(tailLoss)}`,
    );
  if (!Number.isSafeInteger(tailMarkIntervalMs) || tailMarkIntervalMs < 1)
    throw new InvalidArgument('levelStore: tailMarkIntervalMs must be a positive integer');
  if (onMigrationProgress !== undefined && typeof onMigrationProgress !== 'function')
    throw new InvalidArgument('levelStore: onMigrationProgress must be a function');
  return {
    path: resolve(path),
    durability,
    clock,
    streamHeadCacheSize,
    create,
    tailLoss,
    tailMarkIntervalMs,
    onMigrationProgress,
  };
}

/**
 * Writes the format marker into a new folder; migrates a format 1 folder (or finishes its
 * interrupted migration); refuses a folder written in any other format.
 */
async function checkFormat(
  h: LevelHandle,
  onProgress: ((p: FormatMigrationProgress) => void) | undefined,
): Promise<void> {
  const found = await h.db.get(FORMAT_KEY);
  if (found === undefined) {
    await h.db.put(FORMAT_KEY, FORMAT_VERSION, { sync: true });
  } else if (needsMigration(found)) {
    await migrateFormat(h, onProgress);
  } else if (found !== FORMAT_VERSION) {
    throw new StoreError(
      'IO',
      `${h.path}: store format ${JSON.stringify(found)} is not supported (this version reads ${FORMAT_VERSION})`,
    );
  }
}

/**
 * A stream head read from its last key, or CorruptData when that key ends in no version (written
 * by something else): `streamVersion` never answers NaN. Appends keep the NaN head, which fails
 * that stream's appends alone as version conflicts, not its neighbours' in the same batch.
 */
function headOrDamage(streamId: string, head: number): number {
  if (Number.isSafeInteger(head)) return head;
  throw corrupt('', { streamId }, 'the last key of the stream names no version');
}

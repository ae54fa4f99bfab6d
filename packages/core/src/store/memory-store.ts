/**
 * The in-memory EventStore: for tests, examples and short-lived processes. It keeps the same
 * JSON semantics as a durable store (data is stored as JSON text and parsed on every read), so
 * code that passes against it does not start failing on LevelDB because it relied on sharing
 * live objects with the store or on values JSON cannot hold.
 */
import type { Clock } from '../clock.js';
import { StoreError, VersionConflict } from '../errors.js';
import { encodeTimerChanges } from '../timers/timer-input.js';
import { memoryTimers } from './memory-timers.js';
import {
  type AppendOptions,
  type CheckpointStore,
  type DomainEvent,
  type EventEnvelope,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  parseStreamId,
  type Snapshot,
  type SnapshotStore,
} from './store.js';
import {
  assertCheckpoint,
  assertCheckpointName,
  assertExpectedVersion,
  assertNewEvents,
  assertReadAllOptions,
  assertReadStreamOptions,
  assertSnapshot,
  assertSnapshotSaveOptions,
  assertStreamId,
  encodeNewEvents,
  storedEventData,
  storedEventMetadata,
  toJson,
} from './store-input.js';

export interface MemoryStoreOptions {
  /**
   * Stamps events appended without a `timestamp`; its `now()` is read as epoch milliseconds.
   * Default: the system clock. Pass a SimulatedClock to get deterministic timestamps.
   */
  clock?: Pick<Clock, 'now'>;
}

/** One stored event. `data` and `metadata` are JSON text, so no caller ever holds a live reference. */
interface StoredEvent {
  readonly streamId: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly position: number;
  readonly type: string;
  readonly data: string;
  readonly schemaVersion: number;
  readonly metadata: string;
  readonly timestamp: string;
}

/** A kept snapshot: its version for ordering, the whole snapshot as JSON text. */
interface StoredSnapshot {
  readonly version: number;
  readonly json: string;
}

const EMPTY_METADATA = '{}';
const NO_EVENTS: readonly StoredEvent[] = [];

/**
 * Creates an empty in-memory event store. Appends are atomic (each runs without awaiting, so
 * concurrent appends to one stream serialise and all but one of a same-`expectedVersion` race
 * fail with VersionConflict); reads walk a snapshot of what existed when the read was called.
 * @example
 * const store = memoryStore();
 * await store.append('account/a1', [{ data: { type: 'Opened' } }], { expectedVersion: 0 });
 * for await (const e of store.readStream('account/a1')) console.log(e.version, e.type);
 */
export function memoryStore(opts: MemoryStoreOptions = {}): EventStore {
  const clock = opts.clock;
  const now = clock === undefined ? Date.now : () => clock.now();
  /** The global log: position p lives at index p - 1. */
  const log: StoredEvent[] = [];
  /** Each stream's events: version v lives at index v - 1. Arrays only ever grow. */
  const streams = new Map<string, StoredEvent[]>();
  const snapshotsByStream = new Map<string, StoredSnapshot[]>();
  /** Position, and the read model saved with it as JSON text (`undefined` for a plain `set`). */
  const checkpointsByName = new Map<string, { position: number; state: string | undefined }>();
  const appendListeners = new Set<(lastPosition: number) => void>();
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new StoreError('CLOSED', 'the memory store is closed');
  }

  const timers = memoryTimers(ensureOpen);

  /**
   * Yields envelopes for indexes [from, to) of an append-only array. The bound is fixed by the
   * caller when the read is called, so appends during iteration neither shift nor repeat events.
   */
  async function* walk(
    items: readonly StoredEvent[],
    from: number,
    to: number,
  ): AsyncGenerator<EventEnvelope> {
    for (let i = from; i < to; i++) {
      ensureOpen();
      yield toEnvelope(items[i] as StoredEvent);
    }
  }

  const snapshots: SnapshotStore = {
    async save(snapshot, saveOpts) {
      ensureOpen();
      assertSnapshot(snapshot);
      const keep = assertSnapshotSaveOptions(saveOpts);
      const entry: StoredSnapshot = {
        version: snapshot.version,
        json: toJson(snapshot, `${snapshot.streamId}: snapshot`),
      };
      let kept = snapshotsByStream.get(snapshot.streamId);
      if (kept === undefined) {
        kept = [];
        snapshotsByStream.set(snapshot.streamId, kept);
      }
      // Newest first; saving a version again replaces it rather than keeping two copies.
      const same = kept.findIndex((s) => s.version === entry.version);
      if (same >= 0) kept.splice(same, 1);
      const at = kept.findIndex((s) => s.version < entry.version);
      kept.splice(at < 0 ? kept.length : at, 0, entry);
      if (kept.length > keep) kept.length = keep;
    },
    async load(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      const newest = snapshotsByStream.get(streamId)?.[0];
      return newest === undefined ? undefined : (JSON.parse(newest.json) as Snapshot);
    },
    async list(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      return (snapshotsByStream.get(streamId) ?? []).map((s) => JSON.parse(s.json) as Snapshot);
    },
    async delete(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      snapshotsByStream.delete(streamId);
    },
  };

  const checkpoints: CheckpointStore = {
    async get(name) {
      ensureOpen();
      assertCheckpointName(name);
      return checkpointsByName.get(name)?.position;
    },
    async set(name, position) {
      ensureOpen();
      assertCheckpoint(name, position);
      checkpointsByName.set(name, { position, state: undefined });
    },
    async getState(name) {
      ensureOpen();
      assertCheckpointName(name);
      const c = checkpointsByName.get(name);
      return c === undefined
        ? undefined
        : { position: c.position, state: c.state === undefined ? undefined : JSON.parse(c.state) };
    },
    async setState(name, position, state) {
      ensureOpen();
      assertCheckpoint(name, position);
      checkpointsByName.set(name, { position, state: toJson(state, `checkpoint '${name}': state`) });
    },
    async delete(name) {
      ensureOpen();
      assertCheckpointName(name);
      checkpointsByName.delete(name);
    },
  };

  /** Appends synchronously (so appends are checked in call order); throws what the append rejects with. */
  function appendNow<E extends DomainEvent>(
    streamId: string,
    events: readonly NewEvent<E>[],
    appendOpts: AppendOptions,
  ): EventEnvelope<E>[] {
    ensureOpen();
    assertStreamId(streamId);
    const expected = assertExpectedVersion(streamId, appendOpts);
    assertNewEvents(streamId, events);
    // Checked and encoded as the durable stores do (encodeTimerChanges), so all refuse alike.
    const encodedTimers = encodeTimerChanges(streamId, appendOpts.timers, expected, events.length, true);
    // Encoded before anything changes, like the events: the append stores all of it or nothing.
    const preparedTimers = encodedTimers === undefined ? undefined : timers.prepare(encodedTimers);

    // Encode the whole batch before touching the log: a value JSON cannot hold appends nothing,
    // and neither does text that would not read back as an event. Before the version check, as
    // the durable stores encode before they queue: a bad event with a stale expectedVersion is
    // refused (INVALID_ARGUMENT) on every store, never a VERSION_CONFLICT on one of them.
    const encoded = encodeNewEvents(streamId, events, now);
    const data: DomainEvent[] = new Array(encoded.length);
    const metadata: EventMetadata[] = new Array(encoded.length);
    for (let i = 0; i < encoded.length; i++) {
      const e = encoded[i] as (typeof encoded)[number];
      data[i] = storedEventData(streamId, i, e.data);
      metadata[i] = storedEventMetadata(streamId, i, e.metadata);
    }
    let stream = streams.get(streamId);
    const actual = stream?.length ?? 0;
    if (expected !== actual) throw new VersionConflict(streamId, expected, actual);
    if (events.length === 0) return [];
    const { aggregateType, aggregateId } = parseStreamId(streamId);
    if (stream === undefined) {
      stream = [];
      streams.set(streamId, stream);
    }
    // One pass, fields written out (no spread, no intermediate arrays): this is the memory
    // store's whole per-append cost besides the JSON work.
    const envelopes: EventEnvelope<E>[] = new Array(encoded.length);
    for (let i = 0; i < encoded.length; i++) {
      const e = encoded[i] as (typeof encoded)[number];
      const d = data[i] as DomainEvent;
      const s: StoredEvent = {
        streamId,
        aggregateType,
        aggregateId,
        version: actual + i + 1,
        position: log.length + 1,
        // The stored data's own type, as a read takes it (not what a getter or prototype gave).
        type: d.type,
        data: e.data,
        schemaVersion: e.schemaVersion,
        metadata: e.metadata,
        timestamp: e.timestamp,
      };
      log.push(s);
      stream.push(s);
      // What a read of `s` gives, from this append's own parse of the same text.
      envelopes[i] = {
        streamId,
        aggregateType,
        aggregateId,
        version: s.version,
        position: s.position,
        type: s.type,
        data: d as E,
        schemaVersion: s.schemaVersion,
        metadata: metadata[i] as EventMetadata,
        timestamp: s.timestamp,
      };
    }
    if (preparedTimers !== undefined) timers.apply(streamId, preparedTimers);
    for (const listener of appendListeners) listener(log.length);
    return envelopes;
  }

  return {
    // Each append is checked and applied when called: one stream's appends may be in flight together.
    pipelinedAppends: true,
    async append<E extends DomainEvent>(
      streamId: string,
      events: readonly NewEvent<E>[],
      appendOpts: AppendOptions,
    ): Promise<EventEnvelope<E>[]> {
      const chain = appendOpts?.chain;
      if (chain === undefined) return appendNow(streamId, events, appendOpts);
      try {
        if (chain.failed) {
          // An earlier append of the chain failed: this one was decided on that one's state.
          const head = streams.get(streamId)?.length ?? 0;
          throw new VersionConflict(streamId, appendOpts.expectedVersion, head);
        }
        return appendNow(streamId, events, appendOpts);
      } catch (error) {
        chain.failed = true;
        throw error;
      }
    },

    readStream(streamId, readOpts) {
      ensureOpen();
      assertStreamId(streamId);
      const { fromVersion, limit } = assertReadStreamOptions(readOpts);
      const stream = streams.get(streamId) ?? NO_EVENTS;
      return walk(stream, fromVersion - 1, Math.min(stream.length, fromVersion - 1 + limit));
    },

    readAll(readOpts) {
      ensureOpen();
      const { fromPosition, limit } = assertReadAllOptions(readOpts);
      return walk(log, fromPosition - 1, Math.min(log.length, fromPosition - 1 + limit));
    },

    async streamVersion(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      return streams.get(streamId)?.length ?? 0;
    },

    /** Always known: this store is the only writer of its data and holds every head. */
    knownStreamVersion(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      return streams.get(streamId)?.length ?? 0;
    },

    async lastPosition() {
      ensureOpen();
      return log.length;
    },

    onAppend(listener) {
      ensureOpen();
      appendListeners.add(listener);
      return () => {
        appendListeners.delete(listener);
      };
    },

    snapshots,
    checkpoints,
    timers: timers.store,

    async close() {
      if (closed) return;
      closed = true;
      // Drop the data so a closed store holds no memory; open iterators re-check `closed` first.
      log.length = 0;
      streams.clear();
      snapshotsByStream.clear();
      checkpointsByName.clear();
      timers.clear();
      appendListeners.clear();
    },
  };
}

/** A fresh envelope: data and metadata parsed anew, so callers may mutate what they get. */
function toEnvelope(s: StoredEvent): EventEnvelope {
  return {
    streamId: s.streamId,
    aggregateType: s.aggregateType,
    aggregateId: s.aggregateId,
    version: s.version,
    position: s.position,
    type: s.type,
    data: JSON.parse(s.data),
    schemaVersion: s.schemaVersion,
    metadata: s.metadata === EMPTY_METADATA ? {} : JSON.parse(s.metadata),
    timestamp: s.timestamp,
  };
}

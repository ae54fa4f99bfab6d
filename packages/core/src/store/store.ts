import type { StoreError } from '../errors.js';
import type { TimerChange, TimerStore } from '../timers/timer.js';

/**
 * The store contract every event store implements (memoryStore, levelStore, later postgresStore).
 * The store knows nothing of actors: it keeps versioned streams, a global log, snapshots and checkpoints.
 */

/** A domain event: any object with a string `type`. */
export interface DomainEvent {
  readonly type: string;
}

/** Metadata stored with every event. */
export interface EventMetadata {
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  tenantId?: string;
  [key: string]: unknown;
}

/** A stored event, as every store returns it. */
export interface EventEnvelope<E extends DomainEvent = DomainEvent> {
  /** `${aggregateType}/${aggregateId}` */
  streamId: string;
  aggregateType: string;
  aggregateId: string;
  /** 1-based, contiguous within the stream. */
  version: number;
  /** Global order in the store, strictly increasing, 1-based. */
  position: number;
  /** `data.type` */
  type: string;
  /** Exactly what decide returned. */
  data: E;
  schemaVersion: number;
  metadata: EventMetadata;
  /** ISO-8601 UTC. */
  timestamp: string;
}

/** An event handed to `append`; the store assigns version, position and (when absent) timestamp. */
export interface NewEvent<E extends DomainEvent = DomainEvent> {
  /** Kept as its JSON; `type` without U+0000 or a lone surrogate. */
  data: E;
  /** An integer from 1 to 2^31 - 1 (default 1). */
  schemaVersion?: number;
  metadata?: EventMetadata;
  /** Exactly as `Date.prototype.toISOString` writes it (`2026-01-02T03:04:05.678Z`); default: the store's clock. */
  timestamp?: string;
}

export interface AppendOptions {
  /** The stream's version the caller saw; the append fails with VersionConflict otherwise. */
  expectedVersion: number;
  /**
   * Timer changes written atomically with the events, applied in order (durable timers). A
   * store without `timers` refuses a non-empty list with InvalidArgument.
   */
  timers?: readonly TimerChange[];
  /**
   * Appends one writer issued without waiting for the earlier ones to be durable (stores with
   * `pipelinedAppends`): once one append carrying this object fails, the store sets `failed`
   * and fails every later one carrying it with VersionConflict, even when its expectedVersion
   * matches (another writer's events may have filled exactly the versions the failed one named).
   */
  chain?: AppendChain;
}

/** See `AppendOptions.chain`: shared by the appends of one writer that are in flight together. */
export interface AppendChain {
  failed: boolean;
}

export interface ReadStreamOptions {
  /** First version to read (inclusive). Default 1. */
  fromVersion?: number;
  /** Most events to return. */
  limit?: number;
}

export interface ReadAllOptions {
  /** First global position to read (inclusive). Default 1. */
  fromPosition?: number;
  /** Most events to return. */
  limit?: number;
}

/** A persisted aggregate state. Never the source of truth (ARCHITECTURE invariant 7). */
export interface Snapshot {
  streamId: string;
  /** The stream version the state includes. */
  version: number;
  /** The aggregate's snapshot schema version; a mismatch makes the runtime ignore it. */
  schemaVersion: number;
  /** The encoded state: JSON-compatible. */
  state: unknown;
  /** Runtime bookkeeping saved beside the state (the commandId dedupe window). */
  runtime?: {
    /**
     * Recent commandIds with the version their events start at (`<= 0`: appended nothing at
     * version `-n`, then with the command's fingerprint when it had one).
     */
    dedupe?: Array<[commandId: string, at: number] | [commandId: string, at: number, fingerprint: string]>;
    /** The codec that encoded `state`, when not 'json'. */
    codec?: string;
  };
  /** ISO-8601 UTC. */
  timestamp: string;
}

export interface SnapshotSaveOptions {
  /** How many snapshots of the stream to keep, newest first. Default 2. */
  keep?: number;
}

export interface SnapshotStore {
  /** Saves a snapshot and prunes all but the newest `keep`. */
  save(snapshot: Snapshot, opts?: SnapshotSaveOptions): Promise<void>;
  /** The newest snapshot of the stream, or undefined. */
  load(streamId: string): Promise<Snapshot | undefined>;
  /** Every kept snapshot of the stream, newest first. */
  list(streamId: string): Promise<Snapshot[]>;
  /** Removes every snapshot of the stream. */
  delete(streamId: string): Promise<void>;
}

export interface CheckpointStore {
  /** The stored position of a named consumer, or undefined. */
  get(name: string): Promise<number | undefined>;
  set(name: string, position: number): Promise<void>;
  /**
   * The position and the read-model state saved together by `setState`, or undefined. A
   * checkpoint saved by `set` has `state: undefined`. Optional: stores that implement it run
   * exactly-once projections.
   */
  getState?(name: string): Promise<{ position: number; state: unknown } | undefined>;
  /** Saves position and state in one atomic write: after a crash both or neither are stored. */
  setState?(name: string, position: number, state: unknown): Promise<void>;
  /** Forgets the checkpoint (and its state). Optional; used to rebuild a projection. */
  delete?(name: string): Promise<void>;
}

/** The event store contract every store keeps (@actorfold/testing's describeEventStore checks it). */
export interface EventStore {
  /** Appends atomically with contiguous versions; VersionConflict when `expectedVersion` does not match. */
  append<E extends DomainEvent>(
    streamId: string,
    events: readonly NewEvent<E>[],
    opts: AppendOptions,
  ): Promise<EventEnvelope<E>[]>;
  readStream(streamId: string, opts?: ReadStreamOptions): AsyncIterable<EventEnvelope>;
  readAll(opts?: ReadAllOptions): AsyncIterable<EventEnvelope>;
  /** 0 when the stream does not exist. */
  streamVersion(streamId: string): Promise<number>;
  /**
   * The stream's version without any I/O, when this store is the only writer of its data and
   * has the head in memory; undefined when it would have to read. Lets an actor's
   * refresh-before-command cost O(1) when nothing changed.
   */
  knownStreamVersion?(streamId: string): number | undefined;
  /**
   * The position of the newest event (0 when the store is empty). Optional: subscriptions use
   * it for `fromPosition: 'end'` and projection lag.
   */
  lastPosition?(): Promise<number>;
  /**
   * Calls `listener` with the newest position after each append is committed, so subscribers
   * wake without polling. Returns the function that removes the listener. Optional: without it,
   * subscribers are woken by their own runtime's appends and by polling.
   */
  onAppend?(listener: (lastPosition: number) => void): () => void;
  /**
   * Lease mode of a shared store: called before an actor recovers, so that one node at a time
   * hosts an aggregate. Resolves with the function that gives the lease back (called when the
   * actor is evicted or crashes); rejects with NotOwner (retryable) when another node holds it.
   */
  acquire?(streamId: string): Promise<() => Promise<void>>;
  /**
   * True when several appends of one stream may be in flight at once (the runtime's
   * `maxBatchesInFlight`): the store checks them in the order they were called, each against the
   * stream as every earlier call leaves it (not yet durable ones included), never makes one
   * durable before an earlier one, and fails every later append that carries the same
   * `AppendOptions.chain` once one of them failed. Absent: one append per stream at a time.
   */
  readonly pipelinedAppends?: boolean;
  /**
   * Lease mode: calls `listener` with the streams whose leases the store lost without their being
   * given back (the session holding them died, and the database dropped them with it), so that
   * another node may take them over. The runtime evicts those actors at once; their next request
   * acquires the lease again. Returns the function that removes the listener.
   */
  onLeaseLost?(listener: (streamIds: readonly string[]) => void): () => void;
  /**
   * Why the store refuses every write until it is reopened (a StoreError naming the store and
   * the failure), or undefined while it takes writes. Such a store fails every append with that
   * error: only closing and opening it again (restarting the process) helps. The LevelDB store
   * enters this state after a write failed with an unknown outcome (a failed fsync, a full disk).
   * A passing failure the store recovers from by itself (a lost connection) is not a refusal.
   * Answers after `close()` too. Optional: without it, a store never refuses writes this way.
   */
  writeRefusal?(): StoreError | undefined;
  /**
   * Calls `listener` once, with the error `writeRefusal()` then returns, when the store starts
   * refusing writes; a listener added after that is not called (ask `writeRefusal()`). Returns
   * the function that removes the listener. Optional, with `writeRefusal`.
   */
  onWriteRefusal?(listener: (refusal: StoreError) => void): () => void;
  readonly snapshots: SnapshotStore;
  readonly checkpoints: CheckpointStore;
  /** Durable timers (optional: a store without them runs aggregates that schedule none). */
  readonly timers?: TimerStore;
  /** Idempotent. Every later call fails with StoreError reason CLOSED. */
  close(): Promise<void>;
}

/** True for an object with a non-empty string `type`: the shape of every command and event (stores insist too). */
export function isDomainEvent(e: unknown): e is DomainEvent {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const type = (e as { type?: unknown }).type;
  return typeof type === 'string' && type.length > 0;
}

/** Splits a stream id at its first `/` into aggregate type and id. */
export function parseStreamId(streamId: string): { aggregateType: string; aggregateId: string } {
  const slash = streamId.indexOf('/');
  return slash < 0
    ? { aggregateType: streamId, aggregateId: '' }
    : { aggregateType: streamId.slice(0, slash), aggregateId: streamId.slice(slash + 1) };
}

/**
 * postgresStore: the shared EventStore of several daemons on several machines. Streams stay
 * linear through exact version checks under the global order lock plus the unique
 * (stream_id, version) constraint; the global log is gap-free for subscribers (global-order.ts);
 * stream reads requested together share one statement (stream-reads.ts);
 * other nodes' appends reach `onAppend` through LISTEN/NOTIFY with polling as the fallback
 * (notifications.ts); `ownership: 'lease'` adds one advisory lock per hosted aggregate (lease.ts).
 * See docs/scale-out.md.
 */
import { hostname } from 'node:os';
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
  VersionConflict,
} from '@actorfold/core';
import pg, { type Pool, type PoolClient } from 'pg';
import { AppendQueue, type EncodedEvent, prepareEvents } from './append.js';
import { postgresCheckpoints } from './checkpoint-store.js';
import { durableLogHead, readLogHead } from './global-order.js';
import { LeaseKeeper, type ReleaseLease } from './lease.js';
import { assertMigrated, migrate } from './migrations.js';
import { AppendNotifier, type NotificationStats } from './notifications.js';
import { readAllPages, readStreamPages } from './read.js';
import { DEFAULT_SCHEMA, sqlNames } from './schema.js';
import { postgresSnapshots } from './snapshot-store.js';
import { StoreContext } from './store-context.js';
import { describe, isConnectionError } from './store-errors.js';
import { StreamReads } from './stream-reads.js';
import { postgresTimers } from './timer-store.js';

/** How nodes coordinate who hosts an aggregate. */
export type Ownership = 'optimistic' | 'lease';

export interface PostgresStoreOptions {
  /** A libpq-style URL (`postgres://user:password@host:5432/db`). Give this or `pool`. */
  connectionString?: string;
  /**
   * A node-postgres pool you own (it must use READ COMMITTED, PostgreSQL's default). `close()`
   * leaves it open. The store takes one long-lived client from it for LISTEN, and one more in
   * lease mode.
   */
  pool?: Pool;
  /** The PostgreSQL schema holding this store's tables. Default `actorfold`. */
  schema?: string;
  /** Run `migrate()` before opening. Default false: the schema must have been migrated. */
  migrate?: boolean;
  /**
   * Connections of the pool created from `connectionString`, for appends and reads. Default 10.
   * LISTEN and lease mode each use one more connection of their own.
   */
  maxConnections?: number;
  /** Stamps events appended without a `timestamp`; read as epoch milliseconds. Default: the system clock. */
  clock?: Pick<Clock, 'now'>;
  /**
   * How other nodes' appends reach `onAppend`: `'listen'` (default: LISTEN/NOTIFY, polling only
   * while the LISTEN session is down) or `'poll'` (no dedicated session; poll every
   * `pollIntervalMs`), for poolers that cannot LISTEN, such as PgBouncer in transaction mode.
   */
  notifications?: 'listen' | 'poll';
  /** Poll interval of the fallback, in ms. Default 1000. */
  pollIntervalMs?: number;
  /**
   * `'optimistic'` (default): any node may host any aggregate; concurrent writers are resolved by
   * expectedVersion (the runtime refreshes and re-decides). `'lease'`: `acquire()` takes an
   * advisory lock per hosted aggregate, so one node at a time hosts it.
   */
  ownership?: Ownership;
  /** This node's name in NotOwner errors and `pg_stat_activity`. Default `<hostname>:<pid>`. */
  nodeId?: string;
}

/** An EventStore on PostgreSQL, shared by every node that opens the same schema. */
export interface PostgresStore extends EventStore {
  /** Durable timers in the timers table; `claim` lets several nodes share them; `reschedule` carries durable effects. */
  readonly timers: TimerStore & Required<Pick<TimerStore, 'claim' | 'reschedule'>>;
  readonly schema: string;
  readonly ownership: Ownership;
  readonly nodeId: string;
  /** The newest committed position: every position up to it is visible to any later read. */
  lastPosition(): Promise<number>;
  /** Hears this node's appends directly and other nodes' through LISTEN/NOTIFY (or polling). */
  onAppend(listener: (lastPosition: number) => void): () => void;
  /**
   * Lease mode only: takes the lease of `streamId` for this node, or fails at once with NotOwner
   * (code NOT_OWNER, retryable, `.owner` naming the holder). Call the returned function to
   * release it. Re-entrant: each acquire needs its own release.
   */
  acquire?(streamId: string): Promise<ReleaseLease>;
  /**
   * Lease mode only: hears of leases lost because their session died (a server restart, a
   * network cut): another node may take those streams. The runtime listens and evicts the actors.
   */
  onLeaseLost?(listener: (streamIds: readonly string[]) => void): () => void;
  /** Lease mode: the streams this node holds leases for. */
  leases(): string[];
  /** Counts since open, and how notifications arrive right now. */
  stats(): PostgresStoreStats;
}

export interface PostgresStoreStats {
  /** Append function calls that committed (one transaction each). */
  batches: number;
  appends: number;
  events: number;
  /** Appends that failed with VersionConflict. */
  conflicts: number;
  /**
   * `readStream` first pages (`streams`) and the statements that carried them: reads requested
   * together share one statement (stream-reads.ts).
   */
  reads: { statements: number; streams: number };
  notifications: NotificationStats;
}

/**
 * Opens the store in `schema` on the given database. Fails with StoreError reason CONNECTION when
 * PostgreSQL cannot be reached, IO when the schema is not migrated (the message says what to run).
 * @example
 * const runtime = await createRuntime({
 *   store: postgresStore({ connectionString: process.env.DATABASE_URL, schema: 'billing', migrate: true }),
 *   aggregates: [account],
 *   maxConflictRetries: 10,
 * });
 */
export async function postgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const o = checkOptions(opts);
  const names = sqlNames(o.schema);
  const ownsPool = o.pool === undefined;
  const applicationName = `actorfold:${o.nodeId}`.slice(0, 63);
  const pool =
    o.pool ??
    new pg.Pool({
      connectionString: o.connectionString,
      max: o.maxConnections,
      application_name: applicationName,
    });
  // An idle client of our pool that loses its connection must not crash the process.
  const onPoolError = (): void => undefined;
  if (ownsPool) pool.on('error', onPoolError);
  // Nor may a checked-out one: node-postgres emits 'error' on a client whose server went away
  // (a restart, an immediate shutdown) even while a query of ours is failing with that error,
  // and the pool listens only to idle clients. The failing call reports it (StoreError
  // CONNECTION) and the pool discards the broken client.
  const onPoolConnect = (client: PoolClient): void => {
    client.on('error', onPoolError);
  };
  pool.on('connect', onPoolConnect);
  try {
    if (o.migrate) await migrate({ pool, schema: names.schema });
    await assertMigrated(pool, names);
  } catch (e) {
    pool.off('connect', onPoolConnect);
    if (ownsPool) await pool.end().catch(() => undefined);
    const cause = e instanceof StoreError ? e.cause : e;
    if (isConnectionError(cause)) {
      throw new StoreError(
        'CONNECTION',
        `cannot open the PostgreSQL store (schema ${names.schema}): the server is unreachable: ${describe(cause)}`,
        { cause },
      );
    }
    if (e instanceof StoreError) throw e;
    throw new StoreError('IO', `cannot open the PostgreSQL store (schema ${names.schema}): ${describe(e)}`, {
      cause: e,
    });
  }

  // Lease mode remembers the heads of leased streams that reads saw (lease.ts).
  const ctx = new StoreContext(pool, names, (streamId, version) => leases?.sawHead(streamId, version));
  /**
   * A long-lived session for LISTEN or the lease locks, destroyed on release. With our own pool it
   * is a connection of its own, so appends and reads keep every pooled connection; with a
   * caller's pool it is a client taken from that pool.
   */
  const dedicated = async (): Promise<PoolClient> => {
    if (!ownsPool) {
      const client = await pool.connect();
      client.on('error', () => undefined); // the owner also listens and handles it
      return client;
    }
    // TCP keepalive: a session cut off without a FIN (a network partition) is noticed in tens of
    // seconds rather than the kernel's default two hours.
    const client = new pg.Client({
      connectionString: o.connectionString,
      application_name: applicationName,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('error', () => undefined); // the owner also listens and handles it
    await client.connect();
    return Object.assign(client, {
      release: () => {
        client.end().catch(() => undefined);
      },
    });
  };
  const notifier = new AppendNotifier({
    connect: dedicated,
    channel: names.channel,
    readHead: () => readLogHead(pool, names),
    listen: o.notifications === 'listen',
    pollIntervalMs: o.pollIntervalMs,
  });
  const writer = new AppendQueue(ctx, (position) => notifier.announce(position));
  const reads = new StreamReads(ctx);
  const leases =
    o.ownership === 'lease'
      ? new LeaseKeeper({ connect: dedicated, schema: names.schema, nodeId: o.nodeId })
      : undefined;
  const now = o.clock === undefined ? Date.now : () => o.clock?.now() ?? Date.now();
  let closing: Promise<void> | undefined;

  /** Validated and JSON-encoded before queueing: a value the store cannot keep fails only its own append. */
  function encode(streamId: string, events: readonly NewEvent[]): EncodedEvent[] {
    return prepareEvents(streamId, encodeNewEvents(streamId, events, now));
  }

  const store: PostgresStore = {
    schema: names.schema,
    ownership: o.ownership,
    nodeId: o.nodeId,

    append<E extends DomainEvent>(
      streamId: string,
      events: readonly NewEvent<E>[],
      appendOpts: AppendOptions,
    ): Promise<EventEnvelope<E>[]> {
      try {
        ctx.ensureOpen();
        assertStreamId(streamId);
        const expected = assertExpectedVersion(streamId, appendOpts);
        assertNewEvents(streamId, events);
        const timers = encodeTimerChanges(streamId, appendOpts.timers, expected, events.length, true);
        const written = writer.append(streamId, expected, encode(streamId, events), timers) as Promise<
          EventEnvelope<E>[]
        >;
        return leases === undefined
          ? written
          : rememberHead(leases, streamId, expected + events.length, written);
      } catch (e) {
        return Promise.reject(e);
      }
    },

    readStream(streamId, readOpts) {
      ctx.ensureOpen();
      assertStreamId(streamId);
      const { fromVersion, limit } = assertReadStreamOptions(readOpts);
      return readStreamPages(ctx, reads, streamId, fromVersion, limit);
    },

    readAll(readOpts) {
      ctx.ensureOpen();
      const { fromPosition, limit } = assertReadAllOptions(readOpts);
      return readAllPages(ctx, fromPosition, limit);
    },

    async streamVersion(streamId) {
      ctx.ensureOpen();
      assertStreamId(streamId);
      return ctx.io(`reading the version of ${streamId}`, async () => {
        const { rows } = await pool.query<{ version: string }>(
          `SELECT version FROM ${names.events} WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`,
          [streamId],
        );
        const version = rows[0] === undefined ? 0 : Number(rows[0].version);
        leases?.sawHead(streamId, version);
        return version;
      });
    },

    async lastPosition() {
      return ctx.io('reading the log head', () => durableLogHead(ctx));
    },

    onAppend(listener) {
      ctx.ensureOpen();
      return notifier.add(listener);
    },

    ...(leases === undefined
      ? {}
      : {
          async acquire(streamId: string) {
            ctx.ensureOpen();
            assertStreamId(streamId);
            return leases.acquire(streamId);
          },
          onLeaseLost: (listener: (streamIds: readonly string[]) => void) => leases.onLost(listener),
          // With the lease this node is the only host of the aggregate: the head it saw last is the
          // head, so an actor's refresh needs no query (a write without the lease shows up as a
          // conflict at the next append; lease.ts). Optimistic mode has none: other nodes write too.
          knownStreamVersion(streamId: string) {
            ctx.ensureOpen();
            return leases.knownHead(streamId);
          },
        }),

    leases: () => leases?.held() ?? [],

    stats: () => ({ ...writer.written, reads: { ...reads.counts }, notifications: notifier.stats() }),

    snapshots: postgresSnapshots(ctx),
    checkpoints: postgresCheckpoints(ctx),
    timers: postgresTimers(ctx),

    close() {
      closing ??= (async () => {
        // Queued appends finish first; then nothing new is accepted.
        await writer.drain();
        ctx.markClosed();
        await notifier.close();
        // Every lease is released explicitly: other nodes can take over once this resolves.
        await leases?.close();
        pool.off('connect', onPoolConnect);
        if (ownsPool) await pool.end().catch(() => undefined);
        else pool.off('error', onPoolError);
      })();
      return closing;
    },
  };
  return store;
}

/**
 * Lease mode: remembers the head an append left (or the head its conflict reported); forgets it
 * when the outcome is unknown (the batch failed, perhaps after it committed).
 */
function rememberHead<T>(
  leases: LeaseKeeper,
  streamId: string,
  head: number,
  written: Promise<T>,
): Promise<T> {
  return written.then(
    (envelopes) => {
      leases.sawHead(streamId, head);
      return envelopes;
    },
    (error: unknown) => {
      if (error instanceof VersionConflict) leases.sawHead(streamId, error.actual);
      else leases.forgetHead(streamId);
      throw error;
    },
  );
}

interface ResolvedOptions {
  connectionString: string | undefined;
  pool: Pool | undefined;
  schema: string;
  migrate: boolean;
  maxConnections: number;
  clock: Pick<Clock, 'now'> | undefined;
  notifications: 'listen' | 'poll';
  pollIntervalMs: number;
  ownership: Ownership;
  nodeId: string;
}

function checkOptions(opts: PostgresStoreOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null)
    throw new InvalidArgument('postgresStore needs an options object');
  const {
    connectionString,
    pool,
    schema = DEFAULT_SCHEMA,
    migrate = false,
    maxConnections = 10,
    clock,
    notifications = 'listen',
    pollIntervalMs = 1000,
    ownership = 'optimistic',
    nodeId = `${hostname()}:${process.pid}`,
  } = opts;
  if ((connectionString === undefined) === (pool === undefined))
    throw new InvalidArgument('postgresStore needs exactly one of connectionString and pool');
  if (connectionString !== undefined && typeof connectionString !== 'string')
    throw new InvalidArgument('connectionString must be a string');
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1)
    throw new InvalidArgument(`maxConnections must be a positive integer, got ${String(maxConnections)}`);
  if (notifications !== 'listen' && notifications !== 'poll')
    throw new InvalidArgument(`notifications must be 'listen' or 'poll', got ${String(notifications)}`);
  if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1)
    throw new InvalidArgument(`pollIntervalMs must be a positive integer, got ${String(pollIntervalMs)}`);
  if (ownership !== 'optimistic' && ownership !== 'lease')
    throw new InvalidArgument(`ownership must be 'optimistic' or 'lease', got ${String(ownership)}`);
  if (typeof nodeId !== 'string' || nodeId.length === 0)
    throw new InvalidArgument('nodeId must be a non-empty string');
  return {
    connectionString,
    pool,
    schema,
    migrate: migrate === true,
    maxConnections,
    clock,
    notifications,
    pollIntervalMs,
    ownership,
    nodeId,
  };
}

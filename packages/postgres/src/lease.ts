/**
 * Lease mode: one node at a time hosts an aggregate. Each resident actor is backed by a
 * session-level PostgreSQL advisory lock on (schema, stream id), held by one dedicated session
 * per store. Another node's try-lock fails at once and answers NotOwner naming the holder, found
 * through pg_locks and the holder's `application_name` (`actorfold:<nodeId>`). A lease is
 * released when the actor is evicted, and every lease with `pg_advisory_unlock_all()` when the
 * store closes, before the session ends: once `close()` resolved, another node gets them at once
 * (ending the session alone frees them only when the server has noticed, a moment later). When
 * a node dies, its session ends and PostgreSQL drops every lock it held, so another node can
 * take over. When the session dies under a live node (a server restart, a network cut), the
 * streams it held are reported to `onLost` listeners (the runtime evicts those actors at once);
 * the next acquire opens a new session.
 *
 * The lock key is a 64-bit hash (`hashtextextended`) of `actorfold:<schema>:<stream id>`: two
 * streams share a key with negligible probability (about 1e-9 for 200,000 resident actors).
 * Leases place actors; they do not guard writes. Appends stay guarded by expectedVersion and
 * the unique (stream, version) constraint, so a node that lost its session (and its leases)
 * without noticing can cause conflicts, never a fork.
 *
 * The keeper also remembers the head of each leased stream, as far as this store has seen it
 * (its own appends, its reads, the head a conflict reported): with the lease, this node is the
 * only one hosting the aggregate, so that head is what `knownStreamVersion` answers and an
 * actor's refresh before each command costs no query. The head is only ever raised, and it is
 * forgotten when the lease is taken, released or lost. If another writer appended without the
 * lease (a node that lost its session without noticing yet, a script calling `append`), the
 * remembered head is behind: the holder decides on a stale state once, its append fails the
 * expectedVersion check, the conflict's head is remembered and the runtime reads and decides
 * again. A head this store has not seen is never answered, so the remembered head is never
 * ahead of the stream.
 */
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { NotOwner } from './not-owner.js';
import { describe, toStoreError } from './store-errors.js';

/** Ends a lease: releases the advisory lock (a no-op when the session is already gone). */
export type ReleaseLease = () => Promise<void>;

export interface LeaseKeeperOptions {
  connect(): Promise<PoolClient>;
  schema: string;
  nodeId: string;
}

const APPLICATION_PREFIX = 'actorfold:';
/** How long `close()` waits for the server to confirm that every lease is released. */
const UNLOCK_ALL_TIMEOUT_MS = 5_000;
/** PostgreSQL truncates application_name to 63 bytes. */
const MAX_APPLICATION_NAME = 63;

export class LeaseKeeper {
  readonly #opts: LeaseKeeperOptions;
  /** The open session holding the locks, if any. */
  #current: PoolClient | undefined;
  #opening: Promise<PoolClient> | undefined;
  /**
   * Streams leased by this store: how many holders share the (re-entrant) lock, and the
   * stream's head as far as this store has seen it since the lease was taken.
   */
  readonly #held = new Map<string, { count: number; head: number | undefined }>();
  readonly #lostListeners = new Set<(streamIds: readonly string[]) => void>();
  #closed = false;
  /**
   * The last statement queued on the lease session. They run one at a time: node-postgres
   * deprecates stacking queries on one client (pg 9 refuses them), and many actors activating at
   * once would otherwise stack their acquires.
   */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(opts: LeaseKeeperOptions) {
    this.#opts = opts;
  }

  /** The streams this store holds leases for. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  /**
   * Takes the lease of `streamId`, or fails at once with NotOwner when another node holds it.
   * Re-entrant within this store: each acquire needs its own release.
   */
  async acquire(streamId: string): Promise<ReleaseLease> {
    const session = await this.#connect();
    const key = this.#key(streamId);
    let got: boolean;
    try {
      const { rows } = await this.#query<{ got: boolean }>(
        session,
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got',
        [key],
      );
      got = rows[0]?.got === true;
    } catch (e) {
      throw toStoreError(e, this.#opts.schema, `taking the lease of ${streamId}`, this.#closed);
    }
    if (!got) throw new NotOwner(streamId, await this.#owner(session, key));
    // PostgreSQL counts re-entrant locks of one session; each acquire is paired with one unlock.
    const entry = this.#held.get(streamId);
    if (entry === undefined) this.#held.set(streamId, { count: 1, head: undefined });
    else entry.count++;
    return this.#releaser(session, streamId);
  }

  /** The head of a leased stream as this store last saw it; undefined when not leased or not seen yet. */
  knownHead(streamId: string): number | undefined {
    return this.#held.get(streamId)?.head;
  }

  /**
   * Records that the stream `streamId` reached `version` (seen in a read, an append or a
   * conflict), when this store holds its lease. Only raises: a slower read reporting an older
   * head cannot take it back.
   */
  sawHead(streamId: string, version: number): void {
    const entry = this.#held.get(streamId);
    if (entry !== undefined && (entry.head === undefined || version > entry.head)) entry.head = version;
  }

  /** Forgets the head of `streamId` (an append whose outcome is unknown): the next refresh reads it. */
  forgetHead(streamId: string): void {
    const entry = this.#held.get(streamId);
    if (entry !== undefined) entry.head = undefined;
  }

  /** Calls `listener` with the streams whose leases went with a session that died. Returns its removal. */
  onLost(listener: (streamIds: readonly string[]) => void): () => void {
    this.#lostListeners.add(listener);
    return () => {
      this.#lostListeners.delete(listener);
    };
  }

  /**
   * Releases every lease, then ends the session. Resolves once the locks are free for other
   * nodes. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#lostListeners.clear();
    await this.#opening?.catch(() => undefined);
    const session = this.#current;
    this.#current = undefined;
    this.#held.clear();
    if (session === undefined) return;
    // Queued behind any acquire still in flight on this session, so that one is released too.
    // Bounded: a session cut off by the network would answer only after the keepalive gave up,
    // and its locks are freed with it anyway.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#query(session, 'SELECT pg_advisory_unlock_all()').catch(() => {
        // The session is already broken: PostgreSQL drops its locks as it ends it.
      }),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, UNLOCK_ALL_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    session.release(true);
  }

  #releaser(session: PoolClient, streamId: string): ReleaseLease {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      // The session is gone (lost or closed): PostgreSQL has released the lock already.
      if (this.#current !== session) return;
      const entry = this.#held.get(streamId);
      if (entry !== undefined && entry.count > 1) entry.count--;
      else this.#held.delete(streamId);
      try {
        await this.#query(session, 'SELECT pg_advisory_unlock(hashtextextended($1, 0))', [
          this.#key(streamId),
        ]);
      } catch (e) {
        throw toStoreError(e, this.#opts.schema, `releasing the lease of ${streamId}`, this.#closed);
      }
    };
  }

  /** Runs `text` on the lease session after every statement queued before it has settled. */
  #query<R extends QueryResultRow>(
    session: PoolClient,
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    const run = this.#tail.then(() => session.query<R>(text, values));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #key(streamId: string): string {
    return `actorfold:${this.#opts.schema}:${streamId}`;
  }

  /** Who holds the lock of `key` (undefined when it was released meanwhile). */
  async #owner(session: PoolClient, key: string): Promise<string | undefined> {
    try {
      const { rows } = await this.#query<{ application_name: string | null; pid: number }>(
        session,
        `WITH k AS (SELECT hashtextextended($1, 0) AS key)
         SELECT a.application_name, l.pid FROM k, pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid`,
        [key],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const app = row.application_name ?? '';
      return app.startsWith(APPLICATION_PREFIX)
        ? app.slice(APPLICATION_PREFIX.length)
        : `PostgreSQL backend pid ${row.pid}${app === '' ? '' : ` (${app})`}`;
    } catch (e) {
      return `unknown (looking it up failed: ${describe(e)})`;
    }
  }

  /** The dedicated session, opened on first use and again after it was lost. */
  async #connect(): Promise<PoolClient> {
    if (this.#closed) throw toStoreError(new Error('closed'), this.#opts.schema, 'taking a lease', true);
    if (this.#current !== undefined) return this.#current;
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<PoolClient> {
    let session: PoolClient | undefined;
    try {
      session = await this.#opts.connect();
      const s = session;
      const lost = () => {
        if (this.#current !== s) return;
        // Every lock of the session is gone with it: whoever hosts those streams must stop.
        this.#current = undefined;
        const streamIds = [...this.#held.keys()];
        this.#held.clear();
        s.release(true);
        if (streamIds.length === 0) return;
        for (const listener of [...this.#lostListeners]) listener(streamIds);
      };
      s.on('error', lost);
      s.on('end', lost);
      const name = truncateUtf8(`${APPLICATION_PREFIX}${this.#opts.nodeId}`, MAX_APPLICATION_NAME);
      await this.#query(s, "SELECT set_config('application_name', $1, false)", [name]);
      if (this.#closed) throw new Error('closed');
      this.#current = s;
      return s;
    } catch (e) {
      session?.release(true);
      throw toStoreError(e, this.#opts.schema, 'opening the lease session', this.#closed);
    }
  }
}

function truncateUtf8(s: string, bytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

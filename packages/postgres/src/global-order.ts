/**
 * Gap-free global order on a database many nodes write to at once.
 *
 * The problem: positions taken from a sequence are handed out when a transaction inserts, but
 * transactions commit in another order. A reader that asks for `position > last` can see 8
 * committed while 7 is still in flight, move its checkpoint past 8, and never see 7.
 *
 * The choice here: positions are assigned under one row lock, the single row of `log_head`,
 * taken at the start of every append transaction and held until it commits. PostgreSQL makes a
 * committed transaction visible before it releases its locks, so the next appender only gets
 * its positions once every smaller position is visible. Therefore, in every snapshot, the
 * visible positions are exactly 1..N for some N: the log only ever grows at its end, a reader
 * that has seen position p has seen everything below p, and `readAll({ fromPosition: p + 1 })`
 * can never skip. As a bonus positions are contiguous (a rolled-back append rolls its counter
 * back too), so a hole in the log is damage, reported as CorruptData like levelStore does.
 *
 * The lock is short (schema version 3): it is held while a batch inserts and commits in memory,
 * not through the WAL flush, because the append transaction commits asynchronously. PostgreSQL
 * still makes that commit visible before it releases the lock, so the argument above holds. The
 * batch is made durable outside the lock by a flush barrier (a tiny transaction committed
 * synchronously, whose flush covers every commit before it); concurrent barriers of all nodes
 * share flushes (PostgreSQL's group commit). An append resolves only after its barrier. The
 * notification moved out of the append transaction too: a NOTIFY holds PostgreSQL's global
 * notification lock through its transaction's commit, which serialised every commit's flush as
 * surely as the order lock (measured in docs/scale-out.md).
 *
 * Readers must not act on an event that is visible but not yet flushed: after a server crash it
 * would be gone and its position handed to another event. A read that returns events checks in
 * the same statement whether the WAL is flushed up to where it ran, and runs a flush barrier
 * before it yields anything when it is not (read.ts, `durableLogHead`). Since the order lock
 * makes WAL order equal position order, a crash loses only a suffix of the log, which no reader
 * and no acknowledged append has seen.
 *
 * docs/scale-out.md has the measurements that chose this and the alternatives considered
 * (Marten's high-water mark, Emmett's transaction-id ordering, which breaks contiguous positions).
 *
 * The same function checks each append's expectedVersion under that lock, so version checks are
 * exact; the unique `(stream_id, version)` constraint stays as the final guard.
 */
import { perAppendLoop, READ_COMMITTED_CHECK } from './legacy-append-function.js';
import type { Queryable, SqlNames } from './schema.js';
import type { StoreContext } from './store-context.js';

/** The DDL of the log head: one row, one counter, the lock every append takes. */
export function logHeadDdl(n: SqlNames): string {
  return `
CREATE TABLE ${n.logHead} (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  position bigint NOT NULL
);
INSERT INTO ${n.logHead} (singleton, position) VALUES (true, 0);`;
}

/**
 * The append function (schema version 3). Takes a batch of appends as parallel arrays (per
 * append: stream, expected version, event count; per event, flattened in append order: type,
 * data JSON, metadata JSON, schema version, timestamp) and returns one row per append, in order:
 * whether its expected version matched, the stream's head after it, and its first position (null
 * when it wrote nothing). Appends whose check fails write nothing; the others are written.
 *
 * Its transaction commits asynchronously (`synchronous_commit = off` for this transaction only),
 * so the order lock is released as soon as the commit is visible, before the WAL flush; and it
 * does not notify (a NOTIFY takes PostgreSQL's own notification lock through the commit, WAL
 * flush included: a second global lock). The caller must not report the append, or act on it,
 * before a flush barrier: `append_durably` and `append_settle` run the barrier and then notify.
 */
export function appendFunctionDdl(n: SqlNames): string {
  return `
CREATE OR REPLACE FUNCTION ${n.appendFunction}(
  p_streams text[], p_expected bigint[], p_counts integer[],
  p_types text[], p_data text[], p_metadata text[], p_schema_versions integer[], p_timestamps text[])
RETURNS TABLE (matched boolean, head bigint, first_position bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_start bigint;
  v_last bigint;
  v_head bigint;
  v_at integer := 0;
  v_n integer;
  v_appends integer := coalesce(array_length(p_streams, 1), 0);
  v_heads bigint[];
  v_positions bigint[] := '{}';
  v_versions bigint[] := '{}';
  v_sources integer[] := '{}';
  v_streams text[] := '{}';
BEGIN
${READ_COMMITTED_CHECK}
  -- Commit without waiting for the WAL flush: the order lock is released once the commit is
  -- visible. The caller makes it durable with a flush barrier before it reports success.
  PERFORM set_config('synchronous_commit', 'off', true);
  -- The global order lock: held until commit, so positions become visible in order.
  SELECT h.position INTO v_start FROM ${n.logHead} h WHERE h.singleton FOR UPDATE;
  v_last := v_start;
  -- Set-based for batches of more than 4 appends, so that the lock is held for a few statements
  -- rather than two per append (measured: a quarter of the loop's time for 64 appends, half for
  -- 16): every stream's head in one statement, then every accepted event in one INSERT. Small
  -- batches, and a batch that names a stream twice (its second append depends on the first),
  -- take the loop below.
  IF v_appends > 4 AND (SELECT count(DISTINCT s) FROM unnest(p_streams) s) = v_appends THEN
    SELECT array_agg(coalesce(hd.version, 0) ORDER BY t.k) INTO v_heads
      FROM unnest(p_streams) WITH ORDINALITY AS t(s, k)
      LEFT JOIN LATERAL (SELECT e.version FROM ${n.events} e WHERE e.stream_id = t.s
                         ORDER BY e.version DESC LIMIT 1) hd ON true;
    FOR i IN 1 .. v_appends LOOP
      v_n := p_counts[i];
      v_head := v_heads[i];
      matched := v_head = p_expected[i];
      first_position := NULL;
      IF matched AND v_n > 0 THEN
        FOR k IN 1 .. v_n LOOP
          v_positions := v_positions || (v_last + k);
          v_versions := v_versions || (v_head + k);
          v_sources := v_sources || (v_at + k);
          v_streams := v_streams || p_streams[i];
        END LOOP;
        first_position := v_last + 1;
        v_last := v_last + v_n;
        v_head := v_head + v_n;
      END IF;
      head := v_head;
      v_at := v_at + v_n;
      RETURN NEXT;
    END LOOP;
    IF v_last > v_start THEN
      INSERT INTO ${n.events}
        (position, stream_id, version, type, data, metadata, schema_version, event_timestamp)
      SELECT w.position, w.stream_id, w.version, p_types[w.src], p_data[w.src], p_metadata[w.src],
             p_schema_versions[w.src], p_timestamps[w.src]
      FROM unnest(v_positions, v_streams, v_versions, v_sources) AS w(position, stream_id, version, src);
      UPDATE ${n.logHead} SET position = v_last WHERE singleton;
    END IF;
    RETURN;
  END IF;
${perAppendLoop(n, 'v_appends')}
  IF v_last > v_start THEN
    UPDATE ${n.logHead} SET position = v_last WHERE singleton;
  END IF;
END
$fn$;`;
}

/**
 * The two procedures around the append function. `append_durably` is what the store calls for a
 * batch without timer changes, in one round trip: the append function in a transaction of its own,
 * committed asynchronously (the order lock is released at once), then `append_settle`. Results
 * come back as three parallel arrays, one element per append. `append_settle(head)` runs the flush
 * barrier (a transaction that writes one WAL record and commits synchronously: its commit flushes
 * the WAL up to its own record, and so every commit before it; many nodes' barriers share one
 * flush; see `BARRIER`) and then, in a last transaction committed asynchronously, notifies `head`. A batch that
 * wrote nothing (every append conflicted) skips both. A failure after the first commit leaves the
 * batch stored: the caller reports it as possibly stored, like any failure at commit time. Both
 * must be called outside an explicit transaction block (they commit themselves).
 */
export function appendProceduresDdl(n: SqlNames): string {
  return `
CREATE OR REPLACE PROCEDURE ${n.settleProcedure}(p_head bigint)
LANGUAGE plpgsql AS $pr$
BEGIN
  IF p_head IS NULL THEN
    RETURN;
  END IF;
  -- The flush barrier: durable (and replicated, with synchronous standbys) before the call returns.
  PERFORM ${BARRIER};
  COMMIT;
  -- Delivered to every listening session when this transaction commits; asynchronously, so that
  -- the notification lock is not held through a WAL flush.
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_notify('${n.channel}', p_head::text);
END
$pr$;
CREATE OR REPLACE PROCEDURE ${n.appendProcedure}(
  p_streams text[], p_expected bigint[], p_counts integer[],
  p_types text[], p_data text[], p_metadata text[], p_schema_versions integer[], p_timestamps text[],
  INOUT o_matched boolean[] DEFAULT NULL, INOUT o_head bigint[] DEFAULT NULL,
  INOUT o_first_position bigint[] DEFAULT NULL)
LANGUAGE plpgsql AS $pr$
DECLARE
  v_last bigint;
BEGIN
  SELECT array_agg(r.matched ORDER BY r.k), array_agg(r.head ORDER BY r.k),
         array_agg(r.first_position ORDER BY r.k)
    INTO o_matched, o_head, o_first_position
    FROM ${n.appendFunction}(p_streams, p_expected, p_counts, p_types, p_data, p_metadata,
                             p_schema_versions, p_timestamps) WITH ORDINALITY AS r(matched, head, first_position, k);
  IF EXISTS (SELECT 1 FROM unnest(o_first_position) f WHERE f IS NOT NULL) THEN
    -- Still under the order lock: the head is this batch's last position.
    SELECT h.position INTO v_last FROM ${n.logHead} h;
  END IF;
  COMMIT;
  CALL ${n.settleProcedure}(v_last);
END
$pr$;`;
}

/**
 * The newest committed position (0 for an empty log), possibly not flushed yet: a hint that the
 * log grew (the notifier's poll), not a position to act on (that is `durableLogHead`).
 */
export async function readLogHead(db: Queryable, n: SqlNames): Promise<number> {
  const { rows } = await db.query<{ position: string }>(`SELECT position FROM ${n.logHead}`);
  return rows[0] === undefined ? 0 : Number(rows[0].position);
}

/**
 * The flush barrier's one statement. Its transaction must write WAL: PostgreSQL commits a
 * transaction that wrote none asynchronously even when `synchronous_commit` is on (an xid alone
 * is not enough: `SELECT pg_current_xact_id()` commits without any flush, which the outage test
 * caught as acknowledged appends lost in a crash). A transactional logical message writes one
 * small WAL record (and takes a transaction id), so the commit flushes the WAL up to its own
 * record, and so every commit before it, and waits for synchronous standbys when there are any.
 * Allowed to any user, at any `wal_level`; nothing reads the message (no table, no bloat).
 */
export const BARRIER = "pg_logical_emit_message(true, 'actorfold', 'flush barrier')";

/**
 * Makes every transaction committed before this call durable (flushed, and replicated when the
 * server waits for synchronous standbys): `BARRIER` in a transaction of its own.
 */
export async function flushBarrier(db: Queryable): Promise<void> {
  await db.query(`SELECT ${BARRIER}`);
}

/**
 * A select-list expression that is true when the WAL is flushed up to where it is evaluated, so
 * every commit visible to the statement it is part of is durable. With synchronous standbys
 * configured a local flush is not enough (durable means replicated there), so it is false and
 * readers always run the barrier, which waits for the standbys as any synchronous commit does.
 */
export const FLUSHED =
  "(pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn() AND current_setting('synchronous_standby_names') = '')";

/**
 * The newest committed position, trusted: every position up to it is visible to any statement
 * that runs afterwards, and durable (a flush barrier runs first when the WAL was not flushed yet).
 */
export async function durableLogHead(ctx: StoreContext): Promise<number> {
  const { rows } = await ctx.pool.query<{ position: string; flushed: boolean }>(
    `SELECT position, ${FLUSHED} AS flushed FROM ${ctx.names.logHead}`,
  );
  const row = rows[0];
  if (row === undefined) return 0;
  const position = Number(row.position);
  await makeDurable(ctx, position, row.flushed);
  return position;
}

/**
 * Makes sure that every position up to `position`, which the caller just saw, is durable before
 * the caller acts on it: nothing to do when the statement that saw it found the WAL flushed, or
 * when this store already knows that prefix durable (the usual case for a read of events older
 * than this node's last append); otherwise a flush barrier.
 */
export async function makeDurable(ctx: StoreContext, position: number, flushed: boolean): Promise<void> {
  if (!flushed && position > ctx.durable) await flushBarrier(ctx.pool);
  ctx.markDurable(position);
}

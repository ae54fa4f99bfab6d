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
 * The price: appends of the whole cluster commit one at a time, each holding the lock through
 * its commit (and its WAL flush). Each node therefore groups the appends that queue up while a
 * batch is in flight into one call of the append function (append.ts), so one lock hold and
 * one flush carry many commands. docs/scale-out.md has the measured cost and the alternatives
 * considered (Marten's high-water mark, Emmett's transaction-id ordering).
 *
 * The same function checks each append's expectedVersion under that lock, so version checks are
 * exact; the unique `(stream_id, version)` constraint stays as the final guard.
 */
import type { Queryable, SqlNames } from './schema.js';

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
 * The append function. Takes a batch of appends as parallel arrays (per append: stream, expected
 * version, event count; per event, flattened in append order: type, data JSON, metadata JSON,
 * schema version, timestamp) and returns one row per append, in order: whether its expected
 * version matched, the stream's head after it, and its first position (null when it wrote
 * nothing). Appends whose check fails write nothing; the others are written. Called as a
 * single statement (an implicit transaction), so the lock is released by the commit.
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
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'actorfold appends need READ COMMITTED isolation, the session uses %',
      current_setting('transaction_isolation') USING ERRCODE = '0A000';
  END IF;
  -- The global order lock: held until commit, so positions become visible in order.
  SELECT h.position INTO v_start FROM ${n.logHead} h WHERE h.singleton FOR UPDATE;
  v_last := v_start;
  FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
    v_n := p_counts[i];
    v_head := NULL;
    SELECT e.version INTO v_head FROM ${n.events} e
      WHERE e.stream_id = p_streams[i] ORDER BY e.version DESC LIMIT 1;
    v_head := coalesce(v_head, 0);
    matched := v_head = p_expected[i];
    first_position := NULL;
    IF matched AND v_n > 0 THEN
      INSERT INTO ${n.events}
        (position, stream_id, version, type, data, metadata, schema_version, event_timestamp)
      SELECT v_last + k, p_streams[i], v_head + k, p_types[v_at + k], p_data[v_at + k],
             p_metadata[v_at + k], p_schema_versions[v_at + k], p_timestamps[v_at + k]
      FROM generate_series(1, v_n) AS k;
      first_position := v_last + 1;
      v_last := v_last + v_n;
      v_head := v_head + v_n;
    END IF;
    head := v_head;
    v_at := v_at + v_n;
    RETURN NEXT;
  END LOOP;
  IF v_last > v_start THEN
    UPDATE ${n.logHead} SET position = v_last WHERE singleton;
    -- Delivered to every listening session when (and only if) this transaction commits.
    PERFORM pg_notify('${n.channel}', v_last::text);
  END IF;
END
$fn$;`;
}

/**
 * The newest committed position (0 for an empty log). Every position up to it is visible to
 * any statement that runs afterwards: this is the high-water mark readers may trust.
 */
export async function readLogHead(db: Queryable, n: SqlNames): Promise<number> {
  const { rows } = await db.query<{ position: string }>(`SELECT position FROM ${n.logHead}`);
  return rows[0] === undefined ? 0 : Number(rows[0].position);
}

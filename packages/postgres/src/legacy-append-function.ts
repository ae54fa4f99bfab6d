/**
 * The append function of schema versions 1 and 2, `<schema>.append_events`, kept exactly as they
 * created it: it holds the global order lock through its commit, WAL flush included, and notifies
 * inside the transaction. Schema version 3 adds `append_events_v3` and the procedures around it
 * (global-order.ts) beside it and leaves this one in place, so that nodes still running the
 * previous package keep appending durably while a cluster is upgraded node by node. Both take the
 * same lock, so old and new nodes keep one gap-free order between them.
 */
import type { SqlNames } from './schema.js';

/** The check every append function (schema versions 1 to 3) starts with. */
export const READ_COMMITTED_CHECK = `  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'actorfold appends need READ COMMITTED isolation, the session uses %',
      current_setting('transaction_isolation') USING ERRCODE = '0A000';
  END IF;`;

/**
 * The per-append loop of every append function (schema versions 1 to 3), run under the order
 * lock: for appends 1 to `count` (an SQL expression), read the stream head, compare it with the
 * expected version, insert the events at the next versions and positions, return one row. Uses
 * the variables `v_last` (the log head so far), `v_head`, `v_at` and `v_n`.
 */
export function perAppendLoop(n: SqlNames, count: string): string {
  return `  FOR i IN 1 .. ${count} LOOP
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
  END LOOP;`;
}

/**
 * The append function. Takes a batch of appends as parallel arrays (per append: stream, expected
 * version, event count; per event, flattened in append order: type, data JSON, metadata JSON,
 * schema version, timestamp) and returns one row per append, in order: whether its expected
 * version matched, the stream's head after it, and its first position (null when it wrote
 * nothing). Appends whose check fails write nothing; the others are written. Called as a
 * single statement (an implicit transaction), so the lock is released by the commit.
 */
export function appendFunctionV1Ddl(n: SqlNames): string {
  return `
CREATE OR REPLACE FUNCTION ${n.appendFunctionV1}(
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
${READ_COMMITTED_CHECK}
  -- The global order lock: held until commit, so positions become visible in order.
  SELECT h.position INTO v_start FROM ${n.logHead} h WHERE h.singleton FOR UPDATE;
  v_last := v_start;
${perAppendLoop(n, 'coalesce(array_length(p_streams, 1), 0)')}
  IF v_last > v_start THEN
    UPDATE ${n.logHead} SET position = v_last WHERE singleton;
    -- Delivered to every listening session when (and only if) this transaction commits.
    PERFORM pg_notify('${n.channel}', v_last::text);
  END IF;
END
$fn$;`;
}

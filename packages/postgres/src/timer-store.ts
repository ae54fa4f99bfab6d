/**
 * Durable timers on PostgreSQL: one row per pending timer in `<schema>.timers`, keyed by
 * (stream_id, name), indexed by due time. An append batch that carries timer changes runs the
 * append function and one more statement for the changes in one explicit transaction (a batch
 * without timers keeps its single-statement path): no timer without its event, and a rejected
 * append (VersionConflict) changes no timer. Several runtimes sharing the database claim due
 * timers with `FOR UPDATE SKIP LOCKED` and a lease (`claimed_by`, `claimed_until`), so each due
 * timer fires on one node and a node that died mid-fire leaves it to another once its lease ran
 * out. `reschedule` (durable effects record attempts and results with it) rewrites `due_at` and
 * `command` of the row still at the given version and drops its claim, in one UPDATE. Stream ids
 * and names are compared with the "C" collation: due order is code point order
 * on every database, as on the other stores.
 */
import {
  assertDueArgs,
  assertRescheduleArgs,
  assertStorableId,
  assertTimerKey,
  assertTimerQuery,
  compareTimers,
  type EncodedTimerChange,
  InvalidArgument,
  type MissedTimerPolicy,
  type TimerRecord,
  type TimerStore,
} from '@actorfold/core';
import type { PoolClient } from 'pg';
import type { SqlNames } from './schema.js';
import type { StoreContext } from './store-context.js';

/** The migration that adds the timers table. */
export function timersDdl(n: SqlNames): string {
  return `
CREATE TABLE ${n.timers} (
  stream_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  due_at bigint NOT NULL,
  version bigint NOT NULL,
  command jsonb NOT NULL,
  missed text NOT NULL,
  metadata jsonb,
  claimed_by text,
  claimed_until bigint,
  PRIMARY KEY (stream_id, name)
);
CREATE INDEX timers_due ON ${n.timers} (due_at, stream_id, name);`;
}

/**
 * The migration that keeps each timer's command and metadata as the JSON text written, beside
 * the jsonb columns: jsonb orders object keys its own way (shorter keys first), so a command read
 * back from it reached decide with its keys reordered. Reads take the text and fall back to the
 * jsonb for rows without it. The jsonb columns are still written, for nodes of the previous
 * package during a rolling upgrade; when such a node rewrites a command (its reschedule or
 * upsert sets only the jsonb), the trigger drops the text, which would be stale. It fires only
 * for updates that set `command` or `metadata`, never for the claims.
 */
export function timersJsonTextDdl(n: SqlNames): string {
  return `
ALTER TABLE ${n.timers} ADD COLUMN command_json text, ADD COLUMN metadata_json text;
CREATE FUNCTION ${n.schema}.timers_forget_stale_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.command IS DISTINCT FROM OLD.command AND NEW.command_json IS NOT DISTINCT FROM OLD.command_json THEN
    NEW.command_json := NULL;
  END IF;
  IF NEW.metadata IS DISTINCT FROM OLD.metadata AND NEW.metadata_json IS NOT DISTINCT FROM OLD.metadata_json THEN
    NEW.metadata_json := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER timers_forget_stale_json BEFORE UPDATE OF command, metadata ON ${n.timers}
  FOR EACH ROW EXECUTE FUNCTION ${n.schema}.timers_forget_stale_json();`;
}

/** One append of a batch, as far as its timers go. */
export interface TimerAppend {
  readonly streamId: string;
  readonly timers?: readonly EncodedTimerChange[];
}

/** True when some append of the batch changes timers: only such a batch needs a transaction. */
export function changesTimers(batch: readonly TimerAppend[]): boolean {
  for (const p of batch) if (p.timers !== undefined) return true;
  return false;
}

/**
 * Runs `append` (the append function's statement) and then the timer changes of the appends it
 * accepted, in one transaction on a client of the pool. `accepted(rows)` says which appends were
 * written. Returns the append statement's rows.
 */
export async function appendWithTimers<R>(
  ctx: StoreContext,
  batch: readonly TimerAppend[],
  append: (client: PoolClient) => Promise<R[]>,
  accepted: (row: R) => boolean,
): Promise<R[]> {
  const client = await ctx.pool.connect();
  let failed: unknown;
  try {
    await client.query('BEGIN');
    const rows = await append(client);
    await applyChanges(
      client,
      ctx.names,
      batch.filter((_, i) => accepted(rows[i] as R)),
    );
    await client.query('COMMIT');
    return rows;
  } catch (e) {
    failed = e;
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release(failed instanceof Error ? failed : undefined);
  }
}

/**
 * Applies the accepted appends' changes in order with one statement: each timer's last change
 * decides whether it ends up scheduled (upserted, any old claim dropped: it is a new timer) or
 * gone (deleted). The two key sets are disjoint.
 */
async function applyChanges(
  client: PoolClient,
  n: SqlNames,
  accepted: readonly TimerAppend[],
): Promise<void> {
  const last = new Map<string, { streamId: string; change: EncodedTimerChange }>();
  for (const p of accepted) {
    if (p.timers === undefined) continue;
    for (const c of p.timers) {
      const name = c.op === 'cancel' ? c.name : c.timer.name;
      const key = `${p.streamId}\u0000${name}`;
      // Re-inserted so that iteration order is the order of each timer's last change.
      last.delete(key);
      last.set(key, { streamId: p.streamId, change: c });
    }
  }
  if (last.size === 0) return;
  const del = { streams: [] as string[], names: [] as string[] };
  const put = {
    streams: [] as string[],
    names: [] as string[],
    due: [] as number[],
    versions: [] as number[],
    commands: [] as string[],
    missed: [] as string[],
    metadata: [] as Array<string | null>,
  };
  for (const { streamId, change: c } of last.values()) {
    if (c.op === 'cancel') {
      del.streams.push(streamId);
      del.names.push(c.name);
      continue;
    }
    const t = c.timer;
    put.streams.push(streamId);
    put.names.push(t.name);
    put.due.push(t.dueAt);
    put.versions.push(t.version);
    put.commands.push(t.command);
    put.missed.push(t.missed);
    put.metadata.push(t.metadata ?? null);
  }
  await client.query(
    `WITH gone AS (
  DELETE FROM ${n.timers} t USING unnest($1::text[], $2::text[]) AS d(stream_id, name)
  WHERE t.stream_id = d.stream_id AND t.name = d.name
)
INSERT INTO ${n.timers} (stream_id, name, due_at, version, command, missed, metadata, command_json, metadata_json)
SELECT stream_id, name, due_at, version, command_json::jsonb, missed, metadata_json::jsonb, command_json, metadata_json
FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[])
  AS u(stream_id, name, due_at, version, command_json, missed, metadata_json)
ON CONFLICT (stream_id, name) DO UPDATE SET
  due_at = EXCLUDED.due_at, version = EXCLUDED.version, command = EXCLUDED.command,
  missed = EXCLUDED.missed, metadata = EXCLUDED.metadata, command_json = EXCLUDED.command_json,
  metadata_json = EXCLUDED.metadata_json, claimed_by = NULL, claimed_until = NULL`,
    [
      del.streams,
      del.names,
      put.streams,
      put.names,
      put.due,
      put.versions,
      put.commands,
      put.missed,
      put.metadata,
    ],
  );
}

/** A timers row as read: command and metadata as JSON text (see {@link timersJsonTextDdl}). */
interface TimerRow {
  stream_id: string;
  name: string;
  due_at: string;
  version: string;
  command: string;
  missed: MissedTimerPolicy;
  metadata: string | null;
}

/** The columns of a read, `t` being the timers table: the text as written, else the jsonb's. */
const columns = (t: string): string =>
  `${t}.stream_id, ${t}.name, ${t}.due_at, ${t}.version, coalesce(${t}.command_json, ${t}.command::text) AS command, ` +
  `${t}.missed, coalesce(${t}.metadata_json, ${t}.metadata::text) AS metadata`;
const COLUMNS = columns('timers');
const ORDER = 'due_at, stream_id, name';

function toRecord(r: TimerRow): TimerRecord {
  const record: { -readonly [K in keyof TimerRecord]: TimerRecord[K] } = {
    streamId: r.stream_id,
    name: r.name,
    dueAt: Number(r.due_at),
    command: JSON.parse(r.command) as TimerRecord['command'],
    version: Number(r.version),
    missed: r.missed,
  };
  if (r.metadata !== null && r.metadata !== undefined)
    record.metadata = JSON.parse(r.metadata) as NonNullable<TimerRecord['metadata']>;
  return record;
}

/** A due bound as a bigint parameter (the infinities clamped to the safe integers). */
function bound(until: number): number {
  if (until >= Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  return until <= -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : Math.floor(until);
}

/** Rows per page of `list()`. */
const PAGE = 500;

/** The TimerStore of a PostgreSQL store. */
export function postgresTimers(
  ctx: StoreContext,
): TimerStore & Required<Pick<TimerStore, 'claim' | 'reschedule'>> {
  const n = ctx.names;
  return {
    async due(until, limit) {
      ctx.ensureOpen();
      assertDueArgs(until, limit);
      if (limit === 0) return [];
      return ctx.io('reading due timers', async () => {
        const { rows } = await ctx.pool.query<TimerRow>(
          `SELECT ${COLUMNS} FROM ${n.timers} WHERE due_at <= $1 ORDER BY ${ORDER} LIMIT $2`,
          [bound(until), limit],
        );
        return rows.map(toRecord);
      });
    },

    async *list(query) {
      ctx.ensureOpen();
      const { streamId, dueBefore, limit } = assertTimerQuery(query);
      let left = limit;
      // Keyset paging: a large listing never holds more than a page.
      let after: [number, string, string] = [Number.MIN_SAFE_INTEGER, '', ''];
      while (left > 0) {
        const page = Math.min(PAGE, left);
        const { rows } = await ctx.io('listing timers', () =>
          ctx.pool.query<TimerRow>(
            `SELECT ${COLUMNS} FROM ${n.timers}
WHERE due_at <= $1 AND ($2::text IS NULL OR stream_id = $2) AND (due_at, stream_id, name) > ($3, $4, $5)
ORDER BY ${ORDER} LIMIT $6`,
            [bound(dueBefore), streamId ?? null, ...after, page],
          ),
        );
        for (const r of rows) yield toRecord(r);
        left -= rows.length;
        const lastRow = rows.at(-1);
        if (rows.length < page || lastRow === undefined) return;
        after = [Number(lastRow.due_at), lastRow.stream_id, lastRow.name];
      }
    },

    async get(streamId, name) {
      ctx.ensureOpen();
      assertTimerKey(streamId, name);
      return ctx.io('reading a timer', async () => {
        const { rows } = await ctx.pool.query<TimerRow>(
          `SELECT ${COLUMNS} FROM ${n.timers} WHERE stream_id = $1 AND name = $2`,
          [streamId, name],
        );
        return rows[0] === undefined ? undefined : toRecord(rows[0]);
      });
    },

    async remove(streamId, name, version) {
      ctx.ensureOpen();
      assertTimerKey(streamId, name, version);
      return ctx.io('removing a timer', async () => {
        const { rowCount } = await ctx.pool.query(
          `DELETE FROM ${n.timers} WHERE stream_id = $1 AND name = $2 AND version = $3`,
          [streamId, name, version],
        );
        return (rowCount ?? 0) > 0;
      });
    },

    async count() {
      ctx.ensureOpen();
      return ctx.io('counting timers', async () => {
        const { rows } = await ctx.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${n.timers}`);
        return Number(rows[0]?.n ?? 0);
      });
    },

    async claim(until, limit, owner, leaseMs, now = until) {
      ctx.ensureOpen();
      assertDueArgs(until, limit);
      assertStorableId('timers.claim: owner', owner);
      if (!Number.isSafeInteger(leaseMs) || leaseMs < 1)
        throw new InvalidArgument('timers.claim: leaseMs must be a positive integer');
      if (typeof now !== 'number' || Number.isNaN(now) || now > until)
        throw new InvalidArgument('timers.claim: now must be a number (epoch ms) <= until');
      if (limit === 0) return [];
      // The lease runs on the claimer's clock (`now`), like the due times; `until` may look ahead.
      // A node's own claims are given back to it and renewed: each claim returns every due timer it holds.
      return ctx.io('claiming due timers', async () => {
        const { rows } = await ctx.pool.query<TimerRow>(
          `UPDATE ${n.timers} t SET claimed_by = $3, claimed_until = $5::bigint + $4::bigint
FROM (
  SELECT stream_id, name FROM ${n.timers}
  WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $5 OR claimed_by = $3)
  ORDER BY ${ORDER} LIMIT $2
  FOR UPDATE SKIP LOCKED
) c
WHERE t.stream_id = c.stream_id AND t.name = c.name
RETURNING ${columns('t')}`,
          [bound(until), limit, owner, leaseMs, bound(now)],
        );
        // UPDATE … RETURNING keeps no order: sorted as `due` is (code point order, like the "C" collation).
        return rows.map(toRecord).sort(compareTimers);
      });
    },

    async reschedule(streamId, name, version, dueAt, command, ifDueAt) {
      ctx.ensureOpen();
      // Core's checks, as every store's: also refuses a command jsonb cannot hold.
      const json = assertRescheduleArgs(streamId, name, version, dueAt, command, ifDueAt);
      // One statement: the version check and the change are atomic. The claim is dropped, so the
      // next attempt or the result is taken by whichever node claims it once it is due.
      return ctx.io('rescheduling a timer', async () => {
        const { rowCount } = await ctx.pool.query(
          `UPDATE ${n.timers} SET due_at = $4, command = $5::text::jsonb, command_json = $5::text, claimed_by = NULL, claimed_until = NULL
WHERE stream_id = $1 AND name = $2 AND version = $3 AND ($6::bigint IS NULL OR due_at = $6)`,
          [streamId, name, version, dueAt, json, ifDueAt ?? null],
        );
        return (rowCount ?? 0) > 0;
      });
    },
  };
}

/**
 * readStream and readAll: keyset pages over the events table, each page one short statement
 * (no cursor holds a connection while a slow consumer thinks); readStream's first pages
 * requested together share one statement (stream-reads.ts). The first page also reads the
 * head (stream head or log head) in the same snapshot; later pages stop there, so a read sees
 * what existed when it started, like memoryStore and levelStore, and ends even while other
 * nodes append. The first page also tells whether the WAL was flushed when it ran; if not, and
 * the read reaches past the positions this store already knows durable, a flush barrier makes
 * what it saw durable before the first event is yielded (appends commit asynchronously,
 * global-order.ts), so no reader acts on an event a server crash could undo.
 * Versions and positions are contiguous by construction (global-order.ts): a hole is damage
 * and raises CorruptData; so does a row that does not decode.
 */
import { CorruptData, type EventEnvelope, parseStreamId } from '@actorfold/core';
import { FLUSHED, makeDurable } from './global-order.js';
import type { StoreContext } from './store-context.js';
import { EVENT_COLUMNS as COLUMNS, type EventRow as StoredRow, type StreamReads } from './stream-reads.js';

/** Rows fetched per statement. */
const PAGE_SIZE = 1000;

/**
 * An events row as `rowMode: 'array'` returns it (bigints as text), plus, on readAll's first
 * page, the head and whether the WAL was flushed when the page was read.
 */
type EventRow = [...StoredRow, head?: string | null, flushed?: boolean];

/** Yields the stream's events from `fromVersion` (>= 1), at most `limit`. */
export async function* readStreamPages(
  ctx: StoreContext,
  reads: StreamReads,
  streamId: string,
  fromVersion: number,
  limit: number,
): AsyncGenerator<EventEnvelope> {
  const { events } = ctx.names;
  let next = fromVersion;
  let remaining = limit;
  let head: number | undefined;
  while (remaining > 0) {
    const size = Math.min(PAGE_SIZE, remaining);
    const firstPage = head === undefined;
    const rows: EventRow[] = await ctx.io(`reading stream ${streamId}`, async () => {
      if (!firstPage) {
        const { rows } = await ctx.pool.query<EventRow>({
          text: `SELECT ${COLUMNS} FROM ${events}
                 WHERE stream_id = $1 AND version >= $2 AND version <= $3 ORDER BY version LIMIT $4`,
          values: [streamId, next, head, size],
          rowMode: 'array',
        });
        return rows;
      }
      // The first page comes with the head, made durable up to it, in a statement shared with
      // the other streams' first pages requested at the same time (stream-reads.ts).
      const page = await reads.firstPage(streamId, next, size);
      if (page.rows.length > 0) head = page.head;
      return page.rows;
    });
    const first = rows[0];
    if (first === undefined) return;
    if (head === undefined) return; // unreachable: a first page with events sets the head
    // Before any event is yielded: whoever folds them never gets ahead of a remembered head.
    if (firstPage) ctx.sawHead(streamId, head);
    for (const row of rows) {
      const e = decodeRow(row);
      if (e.version !== next) {
        throw new CorruptData(streamId, next, `version ${next} is missing (the next stored is ${e.version})`);
      }
      ctx.ensureOpen();
      yield e;
      next++;
      remaining--;
    }
    if (next > head) return;
    if (rows.length < size) {
      throw new CorruptData(streamId, next, `version ${next} is missing (the stream's head is ${head})`);
    }
  }
}

/** Yields the global log from `fromPosition` (>= 1), at most `limit` events. */
export async function* readAllPages(
  ctx: StoreContext,
  fromPosition: number,
  limit: number,
): AsyncGenerator<EventEnvelope> {
  const { events, logHead } = ctx.names;
  let next = fromPosition;
  let remaining = limit;
  let head: number | undefined;
  while (remaining > 0) {
    const size = Math.min(PAGE_SIZE, remaining);
    const rows = await ctx.io('reading the global log', async () => {
      const { rows } =
        head === undefined
          ? await ctx.pool.query<EventRow>({
              text: `SELECT ${COLUMNS}, (SELECT position FROM ${logHead}) AS head,
                       ${FLUSHED} AS flushed
                     FROM ${events} WHERE position >= $1 ORDER BY position LIMIT $2`,
              values: [next, size],
              rowMode: 'array',
            })
          : await ctx.pool.query<EventRow>({
              text: `SELECT ${COLUMNS} FROM ${events}
                     WHERE position >= $1 AND position <= $2 ORDER BY position LIMIT $3`,
              values: [next, head, size],
              rowMode: 'array',
            });
      // Events visible but not yet durable are made durable before anything is yielded: up to
      // the log head, since later pages read up to the head this page saw.
      const first = rows[0];
      if (head === undefined && first !== undefined)
        await makeDurable(ctx, Number(first[8]), first[9] === true);
      return rows;
    });
    const first = rows[0];
    if (first === undefined) return;
    head ??= Number(first[8]);
    for (const row of rows) {
      const e = decodeRow(row);
      if (e.position !== next) {
        throw new CorruptData(
          e.streamId,
          e.version,
          `position ${next} is missing before position ${e.position}`,
        );
      }
      ctx.ensureOpen();
      yield e;
      next++;
      remaining--;
    }
    if (next > head) return;
    if (rows.length < size) {
      throw new CorruptData('$all', next, `position ${next} is missing (the log head is ${head})`);
    }
  }
}

/**
 * An envelope from a row: data and metadata parsed anew (JSON.parse keeps a `__proto__` key as
 * plain data). A row that does not decode raises CorruptData naming its stream and version.
 */
function decodeRow(row: EventRow): EventEnvelope {
  const [position, streamId, version, type, data, metadata, schemaVersion, timestamp] = row;
  const v = Number(version);
  let parsedData: unknown;
  let parsedMetadata: unknown;
  try {
    parsedData = JSON.parse(data);
    parsedMetadata = JSON.parse(metadata);
  } catch (e) {
    throw new CorruptData(streamId, v, `the stored event is not valid JSON: ${String(e)}`, { cause: e });
  }
  if (!isPlainObject(parsedData) || (parsedData as { type?: unknown }).type !== type) {
    throw new CorruptData(streamId, v, `the stored data is not an object of type ${JSON.stringify(type)}`);
  }
  if (!isPlainObject(parsedMetadata))
    throw new CorruptData(streamId, v, 'the stored metadata is not an object');
  const { aggregateType, aggregateId } = parseStreamId(streamId);
  return {
    streamId,
    aggregateType,
    aggregateId,
    version: v,
    position: Number(position),
    type,
    data: parsedData as EventEnvelope['data'],
    schemaVersion,
    metadata: parsedMetadata as EventEnvelope['metadata'],
    timestamp,
  };
}

function isPlainObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

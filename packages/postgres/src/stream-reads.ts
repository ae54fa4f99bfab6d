/**
 * Coalesced first pages of `readStream`. In optimistic mode every command's refresh is a read of
 * its stream (recovery.ts, catch-up), and a busy node issues dozens of them at once: the replies
 * of one append batch wake that many callers, whose next commands all refresh. Sent one by one,
 * each read costs a round trip, a pooled connection and the server's parse, plan and wake-up,
 * which on a busy server is ten times the statement's own execution (docs/scale-out.md). So the
 * reads requested in one turn of the event loop go out as ONE statement, one row set per stream,
 * the way appends are grouped (append.ts).
 *
 * Freshness: a read joins only a statement that has not been sent yet, so the statement's snapshot
 * is taken after every read it answers was requested: each sees everything committed before it
 * was asked for, as its own statement would. A read requested while a statement is in flight
 * waits for the next one.
 *
 * One statement reads, per stream, the head (newest version and its position) and the events
 * from the requested version, all in one snapshot; whether the WAL was flushed is evaluated in
 * the same statement, and one flush barrier, when needed, covers every stream of the batch.
 */
import { FLUSHED, makeDurable } from './global-order.js';
import type { StoreContext } from './store-context.js';

/** Streams per statement at most; more pending reads go out in further statements. */
const MAX_STREAMS = 100;
/** Statements in flight at once per store; reads requested meanwhile gather for the next one. */
const MAX_IN_FLIGHT = 2;

export const EVENT_COLUMNS =
  'position, stream_id, version, type, data, metadata, schema_version, event_timestamp';

/** An events row as `rowMode: 'array'` returns it (bigints as text). */
export type EventRow = [
  position: string,
  streamId: string,
  version: string,
  type: string,
  data: string,
  metadata: string,
  schemaVersion: number,
  timestamp: string,
];

/** A stream's first page: its events from the requested version, and its head when read. */
export interface FirstPage {
  readonly rows: EventRow[];
  /** The stream's newest version (0 when it has no event). */
  readonly head: number;
}

interface PendingRead {
  readonly streamId: string;
  readonly fromVersion: number;
  readonly limit: number;
  resolve(page: FirstPage): void;
  reject(error: unknown): void;
}

/** A row of the coalesced statement: the read's index, its stream's head, then the event (if any). */
type BatchRow = [
  k: number,
  head: string | null,
  headPosition: string | null,
  flushed: boolean,
  ...event: EventRow | [null, null, null, null, null, null, null, null],
];

export class StreamReads {
  readonly #ctx: StoreContext;
  #pending: PendingRead[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Statements sent and the first pages they carried, for `stats()`. */
  readonly counts = { statements: 0, streams: 0 };

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** The first page of `streamId` from `fromVersion`, at most `limit` events, with the head. */
  firstPage(streamId: string, fromVersion: number, limit: number): Promise<FirstPage> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ streamId, fromVersion, limit, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Sends what is pending at the end of this turn of the event loop (every read its microtasks
   * request joins), unless MAX_IN_FLIGHT statements are out: then when one of them returns.
   */
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= MAX_IN_FLIGHT) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#pending.length > 0 && this.#inFlight < MAX_IN_FLIGHT) {
        const batch = this.#pending.splice(0, MAX_STREAMS);
        this.#inFlight++;
        void this.#send(batch).finally(() => {
          this.#inFlight--;
          if (this.#pending.length > 0) this.#schedule();
        });
      }
    });
  }

  async #send(batch: readonly PendingRead[]): Promise<void> {
    const ctx = this.#ctx;
    const { events } = ctx.names;
    let rows: BatchRow[];
    try {
      ctx.ensureOpen();
      this.counts.statements++;
      this.counts.streams += batch.length;
      // Per read (k): the stream's newest event (head and its position), then its events from the
      // requested version; a read whose stream has none yields one row of nulls for the head.
      ({ rows } = await ctx.pool.query<BatchRow>({
        text: `SELECT r.k, h.version AS head, h.position AS head_position, f.flushed, ${E_COLUMNS}
               FROM unnest($1::text[], $2::bigint[], $3::integer[]) WITH ORDINALITY AS r(stream_id, from_version, lim, k)
               CROSS JOIN (SELECT ${FLUSHED} AS flushed) f
               LEFT JOIN LATERAL (SELECT version, position FROM ${events}
                                  WHERE stream_id = r.stream_id ORDER BY version DESC LIMIT 1) h ON true
               LEFT JOIN LATERAL (SELECT ${EVENT_COLUMNS} FROM ${events}
                                  WHERE stream_id = r.stream_id AND version >= r.from_version
                                  ORDER BY version LIMIT r.lim) e ON true
               ORDER BY r.k, e.version`,
        values: [batch.map((p) => p.streamId), batch.map((p) => p.fromVersion), batch.map((p) => p.limit)],
        rowMode: 'array',
      }));
      // Events visible but not yet durable are made durable before any read resolves: up to the
      // newest head position of the batch, since each read's later pages stop at its head.
      let reach = 0;
      let flushed = true;
      for (const r of rows) {
        if (r[4] !== null) reach = Math.max(reach, Number(r[2]));
        flushed = r[3] === true;
      }
      if (reach > 0) await makeDurable(ctx, reach, flushed);
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    const pages: Array<{ rows: EventRow[]; head: number }> = batch.map(() => ({ rows: [], head: 0 }));
    for (const r of rows) {
      const page = pages[Number(r[0]) - 1];
      if (page === undefined) continue;
      page.head = r[1] === null ? 0 : Number(r[1]);
      if (r[4] !== null) page.rows.push(r.slice(4) as EventRow);
    }
    for (const [i, p] of batch.entries()) p.resolve(pages[i] as FirstPage);
  }
}

/** The event columns of the lateral join `e`, built once. */
const E_COLUMNS = EVENT_COLUMNS.split(', ')
  .map((c) => `e.${c}`)
  .join(', ');

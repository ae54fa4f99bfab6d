/**
 * Appends, grouped, made durable outside the global order lock. Every append of the cluster takes
 * the global order lock (global-order.ts) only while its transaction inserts and commits, not
 * through the WAL flush; a flush barrier, shared by concurrent appenders of all nodes, makes the
 * batch durable before any of its appends resolves. A node sends the appends that arrive
 * together as one call of the append procedure: one round trip, one lock hold, one barrier for
 * all of them. When the writer is idle the first append schedules a flush at the end of this turn of
 * the event loop (`setImmediate`), so every append issued in that turn joins it: with a microtask
 * the batch closed after the shortest chain of promise steps, and actors that had folded another
 * node's events first (a few steps more) missed it and formed a second batch that then stayed
 * apart, halving batch sizes (docs/scale-out.md); appends arriving while a batch is in flight all
 * go into the next one. One batch is in flight per store at a time.
 *
 * Each append of a batch is checked on its own, under the lock, in arrival order: a wrong
 * expectedVersion fails that append alone with VersionConflict, its neighbours are written. A
 * batch that fails as a whole (connection lost, server down) fails each of its appends with
 * StoreError; if the failure came at commit time or in the barrier the batch may in fact be
 * stored, which is why callers retry with the same commandId (the runtime then finds it and
 * deduplicates). */
import {
  type DomainEvent,
  type EncodedNewEvent,
  type EncodedTimerChange,
  type EventEnvelope,
  type EventMetadata,
  parseStreamId,
  storedEventData,
  storedEventMetadata,
  VersionConflict,
} from '@actorfold/core';
import type { StoreContext } from './store-context.js';
import { isUniqueViolation, toStoreError } from './store-errors.js';
import { appendWithTimers, changesTimers } from './timer-store.js';

/**
 * A new event, JSON-encoded by core's `encodeNewEvents`, with `type` taken from that JSON (see
 * {@link prepareEvents}), and its data and metadata as the reads will parse them.
 */
export interface EncodedEvent extends EncodedNewEvent {
  /** `JSON.parse(data)`: the envelope's data once the append is placed (nobody else holds it). */
  readonly parsedData: DomainEvent;
  /** `JSON.parse(metadata)`. */
  readonly parsedMetadata: EventMetadata;
}

interface PendingAppend {
  readonly streamId: string;
  readonly expected: number;
  readonly events: readonly EncodedEvent[];
  /** Timer changes, written in the same transaction when the append is accepted. */
  readonly timers?: readonly EncodedTimerChange[];
  resolve(envelopes: EventEnvelope[]): void;
  reject(error: unknown): void;
}

/** What the append procedure returns: one element per append, in order. */
interface AppendCallResult {
  o_matched: boolean[];
  o_head: string[];
  o_first_position: Array<string | null>;
}

interface AppendResultRow {
  matched: boolean;
  head: string;
  first_position: string | null;
}

/** Appends per batch at most; a longer queue is written in several batches. */
const MAX_BATCH_APPENDS = 500;
/** Events per batch at most (each is several array elements in the statement's parameters). */
const MAX_BATCH_EVENTS = 5000;
/**
 * Characters of event JSON (data and metadata) per batch at most: the driver writes each array
 * parameter as one string, and V8 refuses strings over about 512 MiB, which would fail every
 * append of the batch. An append larger than this still goes, alone.
 */
export const MAX_BATCH_CHARS = 64 * 1024 * 1024;

/**
 * How many appends from the head of `queue` the next batch takes: at least one, then as many as
 * stay within the batch limits (appends, events, and `maxChars` of event JSON).
 */
export function batchLength(
  queue: ReadonlyArray<{ readonly events: readonly Pick<EncodedEvent, 'data' | 'metadata'>[] }>,
  maxChars: number,
): number {
  let events = 0;
  let chars = 0;
  let count = 0;
  for (const p of queue) {
    if (count >= MAX_BATCH_APPENDS) break;
    let size = 0;
    for (const e of p.events) size += e.data.length + e.metadata.length;
    if (count > 0 && (events + p.events.length > MAX_BATCH_EVENTS || chars + size > maxChars)) break;
    events += p.events.length;
    chars += size;
    count++;
  }
  return count;
}

export class AppendQueue {
  readonly #ctx: StoreContext;
  readonly #committed: (lastPosition: number) => void;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | undefined;
  /** Counts since open, for `stats()`. */
  readonly written = { batches: 0, appends: 0, events: 0, conflicts: 0 };

  /** `committed` hears the newest position after each batch that wrote events, before its appends resolve. */
  constructor(ctx: StoreContext, committed: (lastPosition: number) => void) {
    this.#ctx = ctx;
    this.#committed = committed;
  }

  /** Queues an append; resolves with its envelopes once committed. */
  append(
    streamId: string,
    expected: number,
    events: readonly EncodedEvent[],
    timers?: readonly EncodedTimerChange[],
  ): Promise<EventEnvelope[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({
        streamId,
        expected,
        events,
        ...(timers === undefined ? {} : { timers }),
        resolve,
        reject,
      });
      if (this.#flushing === undefined) {
        this.#flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.#flush());
      }
    });
  }

  /** Resolves once every queued append has been written or failed. */
  async drain(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        await this.#write(batch, true);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Takes the next batch off the queue, in arrival order, within the batch limits. */
  #take(): PendingAppend[] {
    return this.#queue.splice(0, batchLength(this.#queue, MAX_BATCH_CHARS));
  }

  /**
   * Writes one batch and settles its appends. A unique violation can only come from a writer
   * that bypassed the append function; then each append is retried alone, so that only the
   * offending one fails (with VersionConflict).
   */
  async #write(batch: readonly PendingAppend[], grouped: boolean): Promise<void> {
    let rows: AppendResultRow[];
    try {
      rows = await this.#call(batch);
    } catch (e) {
      if (isUniqueViolation(e) && !this.#ctx.closed) {
        if (grouped && batch.length > 1) {
          for (const p of batch) await this.#write([p], false);
          return;
        }
        await this.#conflictFromConstraint(batch[0] as PendingAppend);
        return;
      }
      const ctx = this.#ctx;
      const error = toStoreError(e, ctx.names.schema, `appending to ${batch.length} stream(s)`, ctx.closed);
      for (const p of batch) p.reject(error);
      return;
    }
    this.written.batches++;
    let last = 0;
    const settle: Array<() => void> = [];
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as PendingAppend;
      const row = rows[i] as AppendResultRow;
      const head = Number(row.head);
      if (!row.matched) {
        this.written.conflicts++;
        settle.push(() => p.reject(new VersionConflict(p.streamId, p.expected, head)));
        continue;
      }
      this.written.appends++;
      if (row.first_position === null) {
        settle.push(() => p.resolve([]));
        continue;
      }
      const first = Number(row.first_position);
      const envelopes = toEnvelopes(p, first);
      this.written.events += envelopes.length;
      last = first + envelopes.length - 1;
      settle.push(() => p.resolve(envelopes));
    }
    // The batch's flush barrier returned: every position up to its last is durable (a prefix).
    if (last > 0) this.#ctx.markDurable(last);
    // Listeners hear the new head before any append resolves: a subscriber woken by it reads the events.
    if (last > 0) this.#committed(last);
    for (const s of settle) s();
  }

  async #call(batch: readonly PendingAppend[]): Promise<AppendResultRow[]> {
    this.#ctx.ensureOpen();
    const streams: string[] = [];
    const expected: number[] = [];
    const counts: number[] = [];
    const types: string[] = [];
    const data: string[] = [];
    const metadata: string[] = [];
    const schemaVersions: number[] = [];
    const timestamps: string[] = [];
    for (const p of batch) {
      streams.push(p.streamId);
      expected.push(p.expected);
      counts.push(p.events.length);
      for (const e of p.events) {
        types.push(e.type);
        data.push(e.data);
        metadata.push(e.metadata);
        schemaVersions.push(e.schemaVersion);
        timestamps.push(e.timestamp);
      }
    }
    const params = [streams, expected, counts, types, data, metadata, schemaVersions, timestamps];
    const names = this.#ctx.names;
    // Timer changes join the append in one transaction (committed asynchronously by the append
    // function), then the barrier and the notification follow; a batch without them is one call.
    if (changesTimers(batch)) {
      const rows = await appendWithTimers(
        this.#ctx,
        batch,
        async (client) =>
          (
            await client.query<AppendResultRow>(
              `SELECT matched, head, first_position FROM ${names.appendFunction}($1, $2, $3, $4, $5, $6, $7, $8)`,
              params,
            )
          ).rows,
        (row) => row.matched && row.first_position !== null,
      );
      await this.#ctx.pool.query(`CALL ${names.settleProcedure}($1)`, [lastPosition(batch, rows)]);
      return rows;
    }
    const { rows } = await this.#ctx.pool.query<AppendCallResult>(
      `CALL ${names.appendProcedure}($1, $2, $3, $4, $5, $6, $7, $8)`,
      params,
    );
    const out = rows[0];
    if (out === undefined) throw new Error(`${names.appendProcedure} returned no row`);
    return batch.map((_, i) => ({
      matched: out.o_matched[i] === true,
      head: out.o_head[i] ?? '0',
      first_position: out.o_first_position[i] ?? null,
    }));
  }

  /** The constraint refused the append: report the stream's actual head. */
  async #conflictFromConstraint(p: PendingAppend): Promise<void> {
    this.written.conflicts++;
    try {
      const actual = await this.#ctx.io(`reading the head of ${p.streamId}`, async () => {
        const { rows } = await this.#ctx.pool.query<{ head: string | null }>(
          `SELECT max(version) AS head FROM ${this.#ctx.names.events} WHERE stream_id = $1`,
          [p.streamId],
        );
        return Number(rows[0]?.head ?? 0);
      });
      p.reject(new VersionConflict(p.streamId, p.expected, actual));
    } catch (e) {
      p.reject(e);
    }
  }
}

/** The last position a written batch took, or null when it wrote nothing. */
function lastPosition(batch: readonly PendingAppend[], rows: readonly AppendResultRow[]): number | null {
  let last: number | null = null;
  batch.forEach((p, i) => {
    const first = rows[i]?.first_position;
    if (rows[i]?.matched && first !== null && first !== undefined)
      last = Math.max(last ?? 0, Number(first) + p.events.length - 1);
  });
  return last;
}

/** The envelopes of a written append: data and metadata parsed from the very text stored. */
function toEnvelopes(p: PendingAppend, firstPosition: number): EventEnvelope[] {
  const { aggregateType, aggregateId } = parseStreamId(p.streamId);
  return p.events.map((e, i) => ({
    streamId: p.streamId,
    aggregateType,
    aggregateId,
    version: p.expected + i + 1,
    position: firstPosition + i,
    type: e.type,
    data: e.parsedData,
    schemaVersion: e.schemaVersion,
    metadata: e.parsedMetadata,
    timestamp: e.timestamp,
  }));
}

/**
 * Checks what the store would write for each encoded event before it is queued, so that an
 * append is acknowledged only when every read will give it back: the event's `type` is taken
 * from its stored JSON (as a read takes it, and as levelStore does), not from the object, which
 * a `toJSON` or a getter may have answered differently; data whose JSON is not an object with a
 * non-empty string `type`, or metadata whose JSON is not an object, is refused (a read would
 * raise CorruptData on it for good). Core's checks (`assertNewEvents`, `storedEventData`) refuse
 * what the columns cannot hold (U+0000 or a lone surrogate in text, a schema version above the
 * integer column's), as every store does. Refusing here, never in the statement, keeps one
 * append's bad value from failing the other appends of its batch. Throws InvalidArgument.
 */
export function prepareEvents(streamId: string, encoded: readonly EncodedNewEvent[]): EncodedEvent[] {
  const out: EncodedEvent[] = new Array(encoded.length);
  for (let i = 0; i < encoded.length; i++) {
    const e = encoded[i] as EncodedNewEvent;
    const data = storedEventData(streamId, i, e.data);
    const metadata = storedEventMetadata(streamId, i, e.metadata);
    const type = data.type;
    out[i] = {
      type,
      data: e.data,
      schemaVersion: e.schemaVersion,
      metadata: e.metadata,
      timestamp: e.timestamp,
      parsedData: data,
      parsedMetadata: metadata,
    };
  }
  return out;
}

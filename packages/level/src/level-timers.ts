/**
 * Durable timers in the LevelDB folder. Each pending timer is two keys holding the same record:
 * `r<streamId>\0<name>` (find, replace, cancel by name) and `d<dueAt><streamId>\0<name>` (the due
 * index: `due()` reads only the timers that are due). Timer changes are written by the group
 * commit in the same batch as their append's events, so a timer never exists without its event
 * or the other way round; `remove()` and `reschedule()` (durable effects record leases and
 * outcomes with it: both keys rewritten in one batch) join the same batches (timer-ops.ts). The pending count is one key
 * (`mtimers`) rewritten in every batch that changes timers, so `count()` costs nothing and the
 * open reads one key.
 */
import {
  assertDueArgs,
  assertRescheduleArgs,
  assertTimerKey,
  assertTimerQuery,
  CorruptData,
  compareTimers,
  type EncodedTimer,
  type EncodedTimerChange,
  type TimerRecord,
  type TimerStore,
} from '@actorfold/core';
import type { ChainedBatch, ClassicLevel } from 'classic-level';
import { DUE_START, dueKey, dueUntil, TIMER_COUNT_KEY, timerEnd, timerKey, timerStart } from './keys.js';
import type { LevelHandle } from './level-handle.js';
import type { PendingTimerOp } from './timer-ops.js';

export type Batch = ChainedBatch<ClassicLevel<string, string>, string, string>;

/** A timer as the batch builder tracks it: its due time (to find its due key) and stored value. */
interface Stored {
  readonly dueAt: number;
  readonly value: string;
}

/** The value both keys of a timer hold: the record as JSON, its command and metadata as given. */
export function timerValue(t: EncodedTimer): string {
  const metadata = t.metadata === undefined ? '' : `,"metadata":${t.metadata}`;
  return `{"streamId":${JSON.stringify(t.streamId)},"name":${JSON.stringify(t.name)},"dueAt":${t.dueAt},"command":${t.command},"version":${t.version},"missed":"${t.missed}"${metadata}}`;
}

/** Parses a stored timer value; CorruptData when it is not one. */
function decode(key: string, value: string): TimerRecord {
  let r: Partial<Record<keyof TimerRecord, unknown>> | undefined;
  try {
    r = JSON.parse(value) as typeof r;
  } catch {
    r = undefined;
  }
  if (
    typeof r?.streamId !== 'string' ||
    typeof r.name !== 'string' ||
    typeof r.dueAt !== 'number' ||
    typeof r.version !== 'number' ||
    // A command is what the runtime sends its aggregate: an object with a string type.
    typeof r.command !== 'object' ||
    r.command === null ||
    typeof (r.command as { type?: unknown }).type !== 'string'
  ) {
    throw new CorruptData(
      `timer:${key.slice(1)}`,
      0,
      `the stored timer ${JSON.stringify(value.slice(0, 80))} is damaged`,
    );
  }
  return r as unknown as TimerRecord;
}

/**
 * The timer part of one group-commit batch: loads the records its changes touch, applies the
 * changes of each accepted append in order onto the batch, and keeps the pending count.
 */
export class TimerBatch {
  readonly #overlay = new Map<string, Stored | undefined>();
  /** Records named only by timer operations that failed to decode: those operations fail. */
  readonly #damaged = new Map<string, unknown>();
  #count: number;

  private constructor(count: number) {
    this.#count = count;
  }

  /**
   * Reads the current record of every timer the appends' changes and the timer operations name
   * (one multi-get). A damaged record named only by operations fails those operations alone.
   */
  static async load(
    db: ClassicLevel<string, string>,
    count: number,
    appends: ReadonlyArray<{
      readonly streamId: string;
      readonly timers?: readonly EncodedTimerChange[] | undefined;
    }>,
    ops: readonly PendingTimerOp[] = [],
  ): Promise<TimerBatch> {
    const b = new TimerBatch(count);
    const keys = new Set<string>();
    for (const a of appends) {
      if (a.timers === undefined) continue;
      for (const c of a.timers) keys.add(timerKey(a.streamId, c.op === 'cancel' ? c.name : c.timer.name));
    }
    const strict = keys.size;
    for (const op of ops) keys.add(timerKey(op.streamId, op.name));
    const list = [...keys];
    const values = await db.getMany(list);
    for (let i = 0; i < list.length; i++) {
      const key = list[i] as string;
      const value = values[i];
      if (value === undefined) {
        b.#overlay.set(key, undefined);
        continue;
      }
      try {
        b.#overlay.set(key, { dueAt: decode(key, value).dueAt, value });
      } catch (e) {
        if (i < strict) throw e;
        b.#damaged.set(key, e);
      }
    }
    return b;
  }

  /**
   * The stored record of a timer as the batch leaves it so far (undefined when there is none);
   * throws CorruptData when it is damaged. Only for keys given to `load`.
   */
  current(key: string): TimerRecord | undefined {
    const damaged = this.#damaged.get(key);
    if (damaged !== undefined) throw damaged;
    const stored = this.#overlay.get(key);
    return stored === undefined ? undefined : decode(key, stored.value);
  }

  /** Removes a timer the batch has (`current` returned it): both keys, and one less pending. */
  remove(batch: Batch, t: TimerRecord): void {
    const key = timerKey(t.streamId, t.name);
    batch.del(key);
    batch.del(dueKey(t.dueAt, t.streamId, t.name));
    this.#count--;
    this.#overlay.set(key, undefined);
  }

  /**
   * Rewrites a timer the batch has (`current` returned it) with a new due time and value: both
   * keys in the same batch, so the due index never holds the old due time without the record.
   */
  rewrite(batch: Batch, t: TimerRecord, dueAt: number, value: string): void {
    const key = timerKey(t.streamId, t.name);
    batch.del(dueKey(t.dueAt, t.streamId, t.name));
    batch.put(key, value);
    batch.put(dueKey(dueAt, t.streamId, t.name), value);
    this.#overlay.set(key, { dueAt, value });
  }

  /** The pending count once the batch is written. */
  get count(): number {
    return this.#count;
  }

  /** Puts the changes of one accepted append onto the batch, in order. */
  apply(batch: Batch, streamId: string, changes: readonly EncodedTimerChange[]): void {
    for (const c of changes) {
      const name = c.op === 'cancel' ? c.name : c.timer.name;
      const key = timerKey(streamId, name);
      const old = this.#overlay.get(key);
      if (old !== undefined) batch.del(dueKey(old.dueAt, streamId, name));
      if (c.op === 'cancel') {
        if (old === undefined) continue;
        batch.del(key);
        this.#count--;
        this.#overlay.set(key, undefined);
        continue;
      }
      const value = timerValue(c.timer);
      batch.put(key, value);
      batch.put(dueKey(c.timer.dueAt, streamId, name), value);
      if (old === undefined) this.#count++;
      this.#overlay.set(key, { dueAt: c.timer.dueAt, value });
    }
  }

  /** Records the new pending count in the batch. */
  finish(batch: Batch): void {
    batch.put(TIMER_COUNT_KEY, String(this.#count));
  }
}

/** Reads the pending count at open (0 in a folder that never had a timer). */
export async function readTimerCount(db: ClassicLevel<string, string>): Promise<number> {
  const text = await db.get(TIMER_COUNT_KEY);
  if (text === undefined) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : countTimerKeys(db);
}

/** Counts the timer records by a key scan: after a repair, or when the count key is damaged. */
export async function countTimerKeys(db: ClassicLevel<string, string>): Promise<number> {
  let n = 0;
  for await (const _ of db.keys({ gte: 'r', lt: 's' })) n++;
  return n;
}

/** What the timer store needs from the store it belongs to. */
export interface LevelTimersDeps {
  readonly h: LevelHandle;
  /** The pending count after the last committed batch. */
  count(): number;
  /** Queues a remove or reschedule for the next group-commit batch. */
  enqueue(op: PendingTimerOp): void;
}

/** The TimerStore of a level store. */
export function levelTimers(d: LevelTimersDeps): TimerStore & Required<Pick<TimerStore, 'reschedule'>> {
  const { h } = d;
  const db = h.db;

  async function* scan(gte: string, lt: string, limit: number): AsyncGenerator<TimerRecord> {
    h.ensureOpen();
    if (limit <= 0) return;
    const it = db.iterator({ gte, lt, ...(Number.isFinite(limit) ? { limit } : {}) });
    try {
      for (;;) {
        const entries = await h.io('reading timers', () => it.nextv(256));
        if (entries.length === 0) return;
        for (const [key, value] of entries) yield decode(key, value);
      }
    } finally {
      await it.close();
    }
  }

  return {
    async due(until, limit) {
      h.ensureOpen();
      assertDueArgs(until, limit);
      const out: TimerRecord[] = [];
      for await (const t of scan(DUE_START, dueUntil(until), limit)) out.push(t);
      return out;
    },

    async *list(query) {
      h.ensureOpen();
      const { streamId, dueBefore, limit } = assertTimerQuery(query);
      if (streamId === undefined) {
        yield* scan(DUE_START, dueUntil(dueBefore), limit);
        return;
      }
      // One stream's timers are few (one per name): read them all, then order by due time.
      const mine: TimerRecord[] = [];
      for await (const t of scan(timerStart(streamId), timerEnd(streamId), Number.POSITIVE_INFINITY)) {
        if (t.dueAt <= dueBefore) mine.push(t);
      }
      // The order of `due` (the keys' byte order): compareTimers, code point order.
      mine.sort(compareTimers);
      yield* mine.slice(0, Math.min(mine.length, limit));
    },

    async get(streamId, name) {
      h.ensureOpen();
      assertTimerKey(streamId, name);
      const key = timerKey(streamId, name);
      const value = await h.io('reading a timer', () => db.get(key));
      return value === undefined ? undefined : decode(key, value);
    },

    remove(streamId, name, version) {
      return new Promise<boolean>((resolve, reject) => {
        h.ensureOpen();
        assertTimerKey(streamId, name, version);
        // Written with the next group-commit batch (timer-ops.ts): one fsync for many.
        d.enqueue({ op: 'remove', streamId, name, version, after: 0, resolve, reject });
      });
    },

    async count() {
      h.ensureOpen();
      return d.count();
    },

    reschedule(streamId, name, version, dueAt, command, ifDueAt) {
      return new Promise<boolean>((resolve, reject) => {
        h.ensureOpen();
        const json = assertRescheduleArgs(streamId, name, version, dueAt, command, ifDueAt);
        // Both keys in the same batch as other operations and appends; the pending count does not change.
        d.enqueue({
          op: 'reschedule',
          streamId,
          name,
          version,
          dueAt,
          command: json,
          ifDueAt,
          after: 0,
          resolve,
          reject,
        });
      });
    },
  };
}

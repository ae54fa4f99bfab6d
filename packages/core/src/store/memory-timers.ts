import type { TimerRecord, TimerStore } from '../timers/timer.js';
import type { EncodedTimerChange } from '../timers/timer-input.js';
import { compareTimers } from '../timers/timer-order.js';
import {
  assertDueArgs,
  assertRescheduleArgs,
  assertTimerKey,
  assertTimerQuery,
  toJson,
} from './store-input.js';

/** A pending timer as the memory store keeps it: the sort key, and the record as JSON text. */
interface StoredTimer {
  readonly streamId: string;
  readonly name: string;
  readonly dueAt: number;
  readonly version: number;
  readonly json: string;
}

/** The memory store's timers: the TimerStore it exposes, and what its append and close call. */
export interface MemoryTimers {
  readonly store: TimerStore;
  /** Checks nothing (the append's encodeTimerChanges did): the record's JSON text from the encoded parts. */
  prepare(changes: readonly EncodedTimerChange[]): PreparedChange[];
  /** Applies prepared changes in order; synchronous, so it is atomic with the append's events. */
  apply(streamId: string, changes: readonly PreparedChange[]): void;
  clear(): void;
}

/** A change with its record already encoded. */
export type PreparedChange = { op: 'schedule'; stored: StoredTimer } | { op: 'cancel'; name: string };

/**
 * Pending timers in memory: a map by (stream, name) and an array sorted by (dueAt, streamId,
 * name), kept sorted by binary-search inserts, so `due` reads the earliest without sorting.
 * Meant for tests and short-lived processes (an insert moves O(n) entries).
 */
export function memoryTimers(ensureOpen: () => void): MemoryTimers {
  const byKey = new Map<string, StoredTimer>();
  const sorted: StoredTimer[] = [];

  function remove(s: StoredTimer): void {
    byKey.delete(keyOf(s.streamId, s.name));
    const i = indexOf(sorted, s);
    if (sorted[i] === s) sorted.splice(i, 1);
  }

  function insert(s: StoredTimer): void {
    const old = byKey.get(keyOf(s.streamId, s.name));
    if (old !== undefined) remove(old);
    byKey.set(keyOf(s.streamId, s.name), s);
    sorted.splice(indexOf(sorted, s), 0, s);
  }

  const store: TimerStore = {
    async due(until, limit) {
      ensureOpen();
      assertDueArgs(until, limit);
      const out: TimerRecord[] = [];
      for (const s of sorted) {
        if (out.length >= limit || s.dueAt > until) break;
        out.push(JSON.parse(s.json) as TimerRecord);
      }
      return out;
    },
    list(query) {
      ensureOpen();
      const { streamId, dueBefore, limit } = assertTimerQuery(query);
      // A copy of what matched now: timers changed while the caller iterates are not seen.
      const matched: StoredTimer[] = [];
      for (const s of sorted) {
        if (matched.length >= limit || s.dueAt > dueBefore) break;
        if (streamId === undefined || s.streamId === streamId) matched.push(s);
      }
      return (async function* () {
        for (const s of matched) {
          ensureOpen();
          yield JSON.parse(s.json) as TimerRecord;
        }
      })();
    },
    async get(streamId, name) {
      ensureOpen();
      assertTimerKey(streamId, name);
      const s = byKey.get(keyOf(streamId, name));
      return s === undefined ? undefined : (JSON.parse(s.json) as TimerRecord);
    },
    async remove(streamId, name, version) {
      ensureOpen();
      assertTimerKey(streamId, name, version);
      const s = byKey.get(keyOf(streamId, name));
      if (s === undefined || s.version !== version) return false;
      remove(s);
      return true;
    },
    async count() {
      ensureOpen();
      return byKey.size;
    },
    async reschedule(streamId, name, version, dueAt, command, ifDueAt) {
      ensureOpen();
      assertRescheduleArgs(streamId, name, version, dueAt, command, ifDueAt);
      const s = byKey.get(keyOf(streamId, name));
      if (s === undefined || s.version !== version) return false;
      if (ifDueAt !== undefined && s.dueAt !== ifDueAt) return false;
      const record = { ...(JSON.parse(s.json) as TimerRecord), dueAt, command };
      // Encoded before the old entry goes: a command JSON cannot hold leaves the timer as it was.
      const json = toJson(record, `${streamId}: timer '${name}'`);
      insert({ streamId, name, dueAt, version, json });
      return true;
    },
  };

  return {
    store,
    prepare(changes) {
      return changes.map((c): PreparedChange => {
        if (c.op === 'cancel') return { op: 'cancel', name: c.name };
        const t = c.timer;
        // The record's own fields, command and metadata as the JSON text the durable stores write.
        const json = `{"streamId":${JSON.stringify(t.streamId)},"name":${JSON.stringify(t.name)},"dueAt":${t.dueAt},"version":${t.version},"missed":${JSON.stringify(t.missed)},"command":${t.command}${t.metadata === undefined ? '' : `,"metadata":${t.metadata}`}}`;
        return {
          op: 'schedule',
          stored: { streamId: t.streamId, name: t.name, dueAt: t.dueAt, version: t.version, json },
        };
      });
    },
    apply(streamId, changes) {
      for (const c of changes) {
        if (c.op === 'schedule') insert(c.stored);
        else {
          const s = byKey.get(keyOf(streamId, c.name));
          if (s !== undefined) remove(s);
        }
      }
    },
    clear() {
      byKey.clear();
      sorted.length = 0;
    },
  };
}

/** Stream ids and names never contain U+0000, so this key is unambiguous. */
function keyOf(streamId: string, name: string): string {
  return `${streamId}\u0000${name}`;
}

/** Where `s` is or would go in `sorted` (first index not before it). */
function indexOf(sorted: readonly StoredTimer[], s: StoredTimer): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTimers(sorted[mid] as StoredTimer, s) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

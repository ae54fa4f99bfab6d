/**
 * Argument checks and encoding of `AppendOptions.timers` and of the timer store's queries, shared
 * by every store so that they refuse the same timer changes with the same InvalidArgument. An
 * append without timers pays one `=== undefined` test.
 */
import { InvalidArgument } from '../errors.js';
import { assertStorableId, toJson } from '../store/store-input.js';
import type { MissedTimerPolicy, TimerQuery, TimerRecord } from './timer.js';

/** A checked timer change as a store writes it: command and metadata as JSON text. */
export type EncodedTimerChange =
  | { readonly op: 'schedule'; readonly timer: EncodedTimer }
  | { readonly op: 'cancel'; readonly name: string };

/** A checked timer record with its JSON parts encoded. */
export interface EncodedTimer {
  readonly streamId: string;
  readonly name: string;
  readonly dueAt: number;
  readonly version: number;
  readonly missed: MissedTimerPolicy;
  /** JSON text of the command. */
  readonly command: string;
  /** JSON text of the metadata, or undefined when the timer has none. */
  readonly metadata: string | undefined;
}

/**
 * Checks the timer changes of an append to `streamId` with `eventCount` events and encodes them;
 * undefined when there are none. `supported` false (a store without `timers`) refuses any.
 * Each scheduled timer must belong to `streamId`, have a storable name, an integer `dueAt`
 * (epoch ms), an integer `version` >= 1, `missed` 'fire' or 'drop', and a JSON command with a
 * non-empty string `type`. A decision that changes timers records why in an event: changes
 * without events are refused.
 */
export function encodeTimerChanges(
  streamId: string,
  changes: unknown,
  eventCount: number,
  supported: boolean,
): EncodedTimerChange[] | undefined {
  if (changes === undefined) return undefined;
  if (!Array.isArray(changes))
    throw new InvalidArgument(`${streamId}: timers must be an array of timer changes`);
  if (changes.length === 0) return undefined;
  if (!supported) {
    throw new InvalidArgument(
      `${streamId}: this store keeps no durable timers; use a store with timers (memoryStore, levelStore, postgresStore)`,
    );
  }
  if (eventCount === 0)
    throw new InvalidArgument(`${streamId}: timer changes need at least one event recording why`);
  const out: EncodedTimerChange[] = new Array(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const change: unknown = changes[i];
    const what = `${streamId}: timers[${i}]`;
    if (!isObject(change)) throw new InvalidArgument(`${what} must be an object`);
    const c = change as { op?: unknown; name?: unknown; timer?: unknown };
    if (c.op === 'cancel') {
      assertStorableId(`${what}.name`, c.name);
      out[i] = { op: 'cancel', name: c.name };
    } else if (c.op === 'schedule') {
      out[i] = { op: 'schedule', timer: encodeTimer(streamId, c.timer, what) };
    } else {
      throw new InvalidArgument(`${what}.op must be 'schedule' or 'cancel'`);
    }
  }
  return out;
}

function encodeTimer(streamId: string, timer: unknown, what: string): EncodedTimer {
  if (!isObject(timer)) throw new InvalidArgument(`${what}.timer must be an object`);
  const t = timer as Partial<Record<keyof TimerRecord, unknown>>;
  if (t.streamId !== streamId)
    throw new InvalidArgument(
      `${what}.timer.streamId must be the append's stream ${JSON.stringify(streamId)}`,
    );
  assertStorableId(`${what}.timer.name`, t.name);
  if (!isInt(t.dueAt, Number.MIN_SAFE_INTEGER))
    throw new InvalidArgument(`${what}.timer.dueAt must be an integer (epoch ms)`);
  if (!isInt(t.version, 1)) throw new InvalidArgument(`${what}.timer.version must be an integer >= 1`);
  const missed = t.missed ?? 'fire';
  if (missed !== 'fire' && missed !== 'drop')
    throw new InvalidArgument(`${what}.timer.missed must be 'fire' or 'drop'`);
  const command = t.command;
  if (!isObject(command)) throw new InvalidArgument(`${what}.timer.command must be an object`);
  const type: unknown = (command as { type?: unknown }).type;
  if (typeof type !== 'string' || type.length === 0)
    throw new InvalidArgument(`${what}.timer.command.type must be a non-empty string`);
  if (t.metadata !== undefined && !isObject(t.metadata))
    throw new InvalidArgument(`${what}.timer.metadata must be an object when present`);
  return {
    streamId,
    name: t.name,
    dueAt: t.dueAt,
    version: t.version,
    missed,
    command: toJson(command, `${what}.timer.command`),
    metadata: t.metadata === undefined ? undefined : toJson(t.metadata, `${what}.timer.metadata`),
  };
}

/** The record an encoded timer stands for (JSON parts parsed afresh: callers get their own copy). */
export function decodeTimer(t: EncodedTimer): TimerRecord {
  const record: {
    -readonly [K in keyof TimerRecord]: TimerRecord[K];
  } = {
    streamId: t.streamId,
    name: t.name,
    dueAt: t.dueAt,
    command: JSON.parse(t.command),
    version: t.version,
    missed: t.missed,
  };
  if (t.metadata !== undefined) record.metadata = JSON.parse(t.metadata);
  return record;
}

/** Throws InvalidArgument unless `until` is a number and `limit` an integer >= 0 (due and claim). */
export function assertDueArgs(method: string, until: unknown, limit: unknown): void {
  if (typeof until !== 'number' || Number.isNaN(until))
    throw new InvalidArgument(`timers.${method}: until must be a number (epoch ms)`);
  if (!isInt(limit, 0)) throw new InvalidArgument(`timers.${method}: limit must be an integer >= 0`);
}

/** Checks a `TimerQuery`; returns it with `limit` defaulting to Infinity and `dueBefore` to +Infinity. */
export function assertTimerQuery(query: unknown): {
  streamId: string | undefined;
  dueBefore: number;
  limit: number;
} {
  if (query === undefined)
    return { streamId: undefined, dueBefore: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY };
  if (!isObject(query)) throw new InvalidArgument('timers.list: query must be an object');
  const { streamId, dueBefore, limit } = query as TimerQuery;
  if (streamId !== undefined) assertStorableId('timers.list: streamId', streamId);
  if (dueBefore !== undefined && (typeof dueBefore !== 'number' || Number.isNaN(dueBefore)))
    throw new InvalidArgument('timers.list: dueBefore must be a number (epoch ms)');
  if (limit !== undefined && !isInt(limit, 0))
    throw new InvalidArgument('timers.list: limit must be an integer >= 0');
  return {
    streamId,
    dueBefore: dueBefore ?? Number.POSITIVE_INFINITY,
    limit: limit ?? Number.POSITIVE_INFINITY,
  };
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

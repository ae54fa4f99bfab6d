/**
 * Argument checks every EventStore implementation runs before touching its data, so that
 * memoryStore, levelStore and postgresStore reject the same inputs with the same InvalidArgument
 * messages. One rule for all: a value that one of them could not keep exactly (PostgreSQL text
 * holds no U+0000, UTF-8 no lone surrogate, jsonb neither escaped, an integer column 2^31 - 1,
 * an index key 2,704 bytes) is refused by every store, so what one acknowledges every one would,
 * and gives back unchanged. Each check is a cheap typeof/integer/string test: they sit on the
 * append and read hot paths.
 */
import { InvalidArgument } from '../errors.js';
import type { TimerChange, TimerQuery, TimerRecord } from '../timers/timer.js';
import { isIsoTimestamp, isoTimestamp } from './iso-timestamp.js';
import type {
  AppendOptions,
  DomainEvent,
  EventMetadata,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  Snapshot,
  SnapshotSaveOptions,
} from './store.js';

/** Throws InvalidArgument unless `streamId` is a string every store can keep (see `assertStorableId`). */
export function assertStreamId(streamId: unknown): asserts streamId is string {
  assertStorableId('streamId', streamId);
}

/** The largest event `schemaVersion` every store keeps: PostgreSQL's is an integer column. */
export const MAX_SCHEMA_VERSION = 2_147_483_647;

/**
 * The most UTF-8 bytes of a stream id, checkpoint name or timer name a store writes. PostgreSQL
 * keys its btree indexes by them, and caps an index entry at 2,704 bytes (8 kB pages) after
 * compression; the timers' keys hold a stream id and a name together, so each gets about half.
 * Every store refuses a longer one when writing it; a read of one finds nothing.
 */
export const MAX_KEY_BYTES = 1024;

/** `String.prototype.isWellFormed` (Node 20+, ES2024; typed here as the ES2023 lib has no declaration). */
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Whether every store keeps `s` exactly as text: no U+0000 (PostgreSQL text cannot hold it) and
 * no lone surrogate (UTF-8 cannot encode one; it would come back as U+FFFD). One native scan each.
 */
function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && isWellFormed(s);
}

/**
 * Throws InvalidArgument (naming `what`) unless `id` passes {@link assertStorableId} and has at
 * most {@link MAX_KEY_BYTES} UTF-8 bytes: the check of an id a store is about to write as a key.
 */
export function assertStorableKey(what: string, id: unknown): asserts id is string {
  assertStorableId(what, id);
  assertKeyLength(what, id);
}

/** The length half of {@link assertStorableKey}, for an id that already passed `assertStorableId`. */
function assertKeyLength(what: string, id: string): void {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: most ids skip the count.
  if (id.length * 3 > MAX_KEY_BYTES && utf8Length(id) > MAX_KEY_BYTES) {
    throw new InvalidArgument(
      `${what} must be at most ${MAX_KEY_BYTES} UTF-8 bytes (PostgreSQL keys its index by it), got ${utf8Length(id)}`,
    );
  }
}

/** UTF-8 length of a well-formed string (a surrogate pair is 4 bytes, 2 per unit). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

/**
 * Throws InvalidArgument (naming `what`) unless `id` is a non-empty string without U+0000 and
 * without a lone surrogate: what every store can keep and give back exactly (a C string ends at
 * U+0000; UTF-8 cannot encode a lone surrogate). `runtime.get()` checks aggregate types and ids
 * with it, and every store checks stream ids with it, so all stores refuse the same ids.
 */
export function assertStorableId(what: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidArgument(`${what} must be a non-empty string, got ${show(id)}`);
  }
  if (id.includes('\u0000')) throw new InvalidArgument(`${what} must not contain U+0000, got ${show(id)}`);
  // Native and allocation-free: this runs on every append of every store.
  if (!isWellFormed(id)) {
    throw new InvalidArgument(
      `${what} must not contain a lone surrogate (not valid Unicode), got ${show(id)}`,
    );
  }
}

/**
 * Throws InvalidArgument unless `streamId`, which passed `assertStreamId` (every store checks it
 * first), is short enough to write ({@link assertStorableKey}) and `events`
 * is an array of NewEvent: each `data` an object (not an array) with a non-empty string `type`,
 * `schemaVersion` an integer from 1 to {@link MAX_SCHEMA_VERSION}, `metadata` an object and
 * `timestamp` a canonical ISO-8601 UTC string (see `isIsoTimestamp`) when present. Runs before
 * any write, so a bad event anywhere in a batch appends nothing.
 */
export function assertNewEvents(streamId: string, events: unknown): asserts events is readonly NewEvent[] {
  assertKeyLength('streamId', streamId);
  if (!Array.isArray(events))
    throw new InvalidArgument(`${streamId}: events must be an array, got ${show(events)}`);
  for (let i = 0; i < events.length; i++) {
    const event: unknown = events[i];
    if (!isObject(event))
      throw new InvalidArgument(`${streamId}: events[${i}] must be an object, got ${show(event)}`);
    const { data, schemaVersion, metadata, timestamp } = event as Partial<Record<keyof NewEvent, unknown>>;
    if (!isObject(data)) {
      throw new InvalidArgument(`${streamId}: events[${i}].data must be an object, got ${show(data)}`);
    }
    const type: unknown = (data as { type?: unknown }).type;
    if (typeof type !== 'string' || type.length === 0) {
      throw new InvalidArgument(
        `${streamId}: events[${i}].data.type must be a non-empty string, got ${show(type)}`,
      );
    }
    if (schemaVersion !== undefined && !(isInt(schemaVersion, 1) && schemaVersion <= MAX_SCHEMA_VERSION)) {
      throw new InvalidArgument(
        `${streamId}: events[${i}].schemaVersion must be an integer from 1 to ${MAX_SCHEMA_VERSION} (PostgreSQL keeps it in an integer column), got ${show(schemaVersion)}`,
      );
    }
    if (metadata !== undefined && !isObject(metadata)) {
      throw new InvalidArgument(
        `${streamId}: events[${i}].metadata must be an object, got ${show(metadata)}`,
      );
    }
    if (timestamp !== undefined && !isIsoTimestamp(timestamp)) {
      throw new InvalidArgument(
        `${streamId}: events[${i}].timestamp must be an ISO-8601 UTC string as toISOString() writes it (2026-01-02T03:04:05.678Z), got ${show(timestamp)}`,
      );
    }
  }
}

/**
 * Throws InvalidArgument unless `changes` (an append's `timers`) is an array of TimerChanges for
 * this stream: `{ op: 'schedule', timer }` with a well-formed TimerRecord of `streamId` whose
 * version is one of the append's new versions (`expectedVersion` + 1 .. + `eventCount`), or
 * `{ op: 'cancel', name }`. A non-empty list needs at least one event: timers change only with
 * the events that record why. Runs before any write, so a bad change appends nothing.
 */
export function assertTimerChanges(
  streamId: string,
  changes: unknown,
  expectedVersion: number,
  eventCount: number,
): asserts changes is readonly TimerChange[] {
  if (!Array.isArray(changes)) {
    throw new InvalidArgument(`${streamId}: timers must be an array of timer changes, got ${show(changes)}`);
  }
  if (changes.length > 0 && eventCount === 0) {
    throw new InvalidArgument(
      `${streamId}: timer changes need at least one event in the same append (the event records why)`,
    );
  }
  for (let i = 0; i < changes.length; i++) {
    const change: unknown = changes[i];
    const at = `${streamId}: timers[${i}]`;
    if (!isObject(change)) throw new InvalidArgument(`${at} must be an object, got ${show(change)}`);
    const { op } = change as { op?: unknown };
    if (op === 'cancel') {
      assertTimerPart(at, 'name', (change as { name?: unknown }).name);
      continue;
    }
    if (op !== 'schedule') {
      throw new InvalidArgument(`${at}.op must be 'schedule' or 'cancel', got ${show(op)}`);
    }
    const timer: unknown = (change as { timer?: unknown }).timer;
    assertTimerRecord(`${at}.timer`, timer);
    assertStorableKey(`${at}.timer.name`, timer.name);
    if (timer.streamId !== streamId) {
      throw new InvalidArgument(
        `${at}.timer.streamId must be the append's stream, got ${show(timer.streamId)}`,
      );
    }
    if (timer.version <= expectedVersion || timer.version > expectedVersion + eventCount) {
      throw new InvalidArgument(
        `${at}.timer.version must be the version of one of the append's events (${expectedVersion + 1}..${expectedVersion + eventCount}), got ${timer.version}`,
      );
    }
  }
}

/**
 * Throws InvalidArgument (prefixed with `at`) unless `timer` is a well-formed TimerRecord: storable
 * stream id and name, integer `dueAt` and `version` >= 1, a command object with a non-empty
 * string type, `missed` 'fire' or 'drop', metadata an object when present.
 */
export function assertTimerRecord(at: string, timer: unknown): asserts timer is TimerRecord {
  if (!isObject(timer)) throw new InvalidArgument(`${at} must be an object, got ${show(timer)}`);
  const t = timer as Partial<Record<keyof TimerRecord, unknown>>;
  assertTimerPart(at, 'streamId', t.streamId);
  assertTimerPart(at, 'name', t.name);
  if (!isInt(t.dueAt, Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgument(`${at}.dueAt must be an integer (epoch ms), got ${show(t.dueAt)}`);
  }
  if (!isInt(t.version, 1))
    throw new InvalidArgument(`${at}.version must be an integer >= 1, got ${show(t.version)}`);
  const type = isObject(t.command) ? (t.command as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidArgument(`${at}.command must be an object with a non-empty string type`);
  }
  if (t.missed !== 'fire' && t.missed !== 'drop') {
    throw new InvalidArgument(`${at}.missed must be 'fire' or 'drop', got ${show(t.missed)}`);
  }
  if (t.metadata !== undefined && !isObject(t.metadata)) {
    throw new InvalidArgument(`${at}.metadata must be an object when present, got ${show(t.metadata)}`);
  }
}

/** Throws InvalidArgument unless the arguments of `timers.remove` are a storable stream id and name and an integer version >= 1. */
export function assertTimerKey(streamId: unknown, name: unknown, version?: unknown): void {
  assertStreamId(streamId);
  assertTimerPart('timer', 'name', name);
  if (version !== undefined && !isInt(version, 1)) {
    throw new InvalidArgument(`timer version must be an integer >= 1, got ${show(version)}`);
  }
}

/**
 * Throws InvalidArgument unless the arguments of `timers.reschedule` are well-formed: the key of
 * `remove`, an integer `dueAt` (epoch ms) and a command object with a non-empty string type.
 * Every store calls it first, so all refuse the same calls the same way. Returns the command as
 * JSON text (InvalidArgument when it is not JSON), ready to store.
 */
export function assertRescheduleArgs(
  streamId: unknown,
  name: unknown,
  version: unknown,
  dueAt: unknown,
  command: unknown,
  ifDueAt?: unknown,
): string {
  assertTimerKey(streamId, name, version);
  if (version === undefined) throw new InvalidArgument('timers.reschedule: version is required');
  if (!isInt(dueAt, Number.MIN_SAFE_INTEGER))
    throw new InvalidArgument(`timers.reschedule: dueAt must be an integer (epoch ms), got ${show(dueAt)}`);
  const type = isObject(command) ? (command as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || type.length === 0)
    throw new InvalidArgument('timers.reschedule: command must be an object with a non-empty string type');
  if (ifDueAt !== undefined && !isInt(ifDueAt, Number.MIN_SAFE_INTEGER))
    throw new InvalidArgument(
      `timers.reschedule: ifDueAt must be an integer (epoch ms) or undefined, got ${show(ifDueAt)}`,
    );
  return timerJson(command, 'timers.reschedule: command');
}

/** Throws InvalidArgument unless `until` is a number and `limit` an integer >= 0 (`timers.due` and `timers.claim`). */
export function assertDueArgs(until: unknown, limit: unknown): void {
  if (typeof until !== 'number' || Number.isNaN(until)) {
    throw new InvalidArgument(`timers: until must be a number (epoch ms), got ${show(until)}`);
  }
  if (!isInt(limit, 0))
    throw new InvalidArgument(`timers: limit must be an integer >= 0, got ${show(limit)}`);
}

/** Throws InvalidArgument unless `query` is undefined or a TimerQuery; returns it with defaults (no filter, no limit). */
export function assertTimerQuery(query: unknown): { streamId?: string; dueBefore: number; limit: number } {
  const q = readOptions(query, 'timers.list') as TimerQuery;
  if (q.streamId !== undefined) assertStreamId(q.streamId);
  const dueBefore = q.dueBefore ?? Number.POSITIVE_INFINITY;
  if (typeof dueBefore !== 'number' || Number.isNaN(dueBefore)) {
    throw new InvalidArgument(`timers.list: dueBefore must be a number (epoch ms), got ${show(dueBefore)}`);
  }
  const limit = readLimit(q.limit, 'timers.list');
  return q.streamId === undefined ? { dueBefore, limit } : { streamId: q.streamId, dueBefore, limit };
}

function assertTimerPart(at: string, what: 'streamId' | 'name', v: unknown): void {
  if (typeof v !== 'string' || v.length === 0 || v.includes('\u0000') || !isWellFormed(v)) {
    throw new InvalidArgument(
      `${at}.${what} must be a non-empty string without U+0000 or lone surrogates, got ${show(v)}`,
    );
  }
}

/** Throws InvalidArgument unless `opts.expectedVersion` is an integer >= 0; returns it. */
export function assertExpectedVersion(streamId: string, opts: unknown): number {
  const expected: unknown = isObject(opts) ? (opts as Partial<AppendOptions>).expectedVersion : undefined;
  if (!isInt(expected, 0)) {
    throw new InvalidArgument(`${streamId}: expectedVersion must be an integer >= 0, got ${show(expected)}`);
  }
  return expected;
}

/**
 * Throws InvalidArgument unless the options are undefined or carry integer `fromVersion` >= 0
 * and `limit` >= 0. Returns them with defaults applied (fromVersion 0 reads from the start,
 * like 1; limit defaults to Infinity).
 */
export function assertReadStreamOptions(opts: unknown): { fromVersion: number; limit: number } {
  const o = readOptions(opts, 'readStream');
  const { fromVersion = 1, limit } = o as ReadStreamOptions;
  if (!isInt(fromVersion, 0)) throw new InvalidArgument(`readStream: fromVersion must be an integer >= 0`);
  return { fromVersion: Math.max(1, fromVersion), limit: readLimit(limit, 'readStream') };
}

/** Like {@link assertReadStreamOptions} for `readAll`'s `fromPosition` and `limit`. */
export function assertReadAllOptions(opts: unknown): { fromPosition: number; limit: number } {
  const o = readOptions(opts, 'readAll');
  const { fromPosition = 1, limit } = o as ReadAllOptions;
  if (!isInt(fromPosition, 0)) throw new InvalidArgument(`readAll: fromPosition must be an integer >= 0`);
  return { fromPosition: Math.max(1, fromPosition), limit: readLimit(limit, 'readAll') };
}

/**
 * Throws InvalidArgument unless `snapshot` has a streamId a store can write ({@link assertStorableKey}), an integer version >= 1, an
 * integer schemaVersion, a string timestamp and, when present, an object `runtime`.
 */
export function assertSnapshot(snapshot: unknown): asserts snapshot is Snapshot {
  if (!isObject(snapshot)) throw new InvalidArgument(`snapshot must be an object, got ${show(snapshot)}`);
  const s = snapshot as Partial<Record<keyof Snapshot, unknown>>;
  assertStorableKey('streamId', s.streamId);
  if (!isInt(s.version, 1))
    throw new InvalidArgument(`${s.streamId}: snapshot version must be an integer >= 1`);
  if (!isInt(s.schemaVersion, Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgument(`${s.streamId}: snapshot schemaVersion must be an integer`);
  }
  if (typeof s.timestamp !== 'string')
    throw new InvalidArgument(`${s.streamId}: snapshot timestamp must be a string`);
  if (s.runtime !== undefined && !isObject(s.runtime)) {
    throw new InvalidArgument(`${s.streamId}: snapshot runtime must be an object when present`);
  }
}

/** Throws InvalidArgument unless `opts.keep` is absent or a positive integer; returns keep (default 2). */
export function assertSnapshotSaveOptions(opts: unknown): number {
  if (opts === undefined) return 2;
  if (!isObject(opts))
    throw new InvalidArgument(`snapshots.save: options must be an object, got ${show(opts)}`);
  const { keep = 2 } = opts as SnapshotSaveOptions;
  if (!isInt(keep, 1))
    throw new InvalidArgument(`snapshots.save: keep must be a positive integer, got ${show(keep)}`);
  return keep;
}

/** Throws InvalidArgument unless the checkpoint `name` is a non-empty string. */
export function assertCheckpointName(name: unknown): asserts name is string {
  // The stores key checkpoints by name: every store refuses the names one of them cannot keep.
  assertStorableId('checkpoint name', name);
}

/** Throws InvalidArgument unless `name` can be written ({@link assertStorableKey}) and `position` is an integer >= 0. */
export function assertCheckpoint(name: unknown, position: unknown): asserts position is number {
  assertStorableKey('checkpoint name', name);
  if (!isInt(position, 0)) {
    throw new InvalidArgument(
      `checkpoint '${name}': position must be an integer >= 0, got ${show(position)}`,
    );
  }
}

/** A new event as a store keeps it: data and metadata as JSON text, defaults applied. */
export interface EncodedNewEvent {
  readonly type: string;
  /** JSON text of `data`. */
  readonly data: string;
  readonly schemaVersion: number;
  /** JSON text of `metadata` (`{}` when absent). */
  readonly metadata: string;
  /** ISO-8601: the event's own, or the append's default. */
  readonly timestamp: string;
}

/**
 * Encodes events that passed {@link assertNewEvents}: JSON text for data and metadata, schema
 * version 1 and the time of `now()` as defaults. One clock read per append: its events share
 * their default timestamp. Throws InvalidArgument for a value JSON cannot hold, before anything
 * is stored.
 */
export function encodeNewEvents(
  streamId: string,
  events: readonly NewEvent[],
  now: () => number,
): EncodedNewEvent[] {
  const encoded: EncodedNewEvent[] = new Array(events.length);
  let defaultTimestamp: string | undefined;
  // The events of one command share one metadata object (the runtime builds one per command):
  // it is encoded once per run of events that carry that same object.
  let lastMetadata: object | undefined;
  let lastMetadataJson = '{}';
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as NewEvent;
    if (e.timestamp === undefined) defaultTimestamp ??= isoTimestamp(now());
    const data = eventJson(e.data, streamId, i, 'data');
    const metadata = e.metadata;
    if (metadata !== undefined && metadata !== lastMetadata) {
      lastMetadataJson = eventJson(metadata, streamId, i, 'metadata');
      lastMetadata = metadata;
    }
    encoded[i] = {
      type: e.data.type,
      data,
      schemaVersion: e.schemaVersion ?? 1,
      metadata: metadata === undefined ? '{}' : lastMetadataJson,
      timestamp: e.timestamp ?? (defaultTimestamp as string),
    };
  }
  return encoded;
}

/**
 * An appended event's data as every read gives it back: parsed from the JSON text the store keeps
 * (`EncodedNewEvent.data`), its `type` that data's own. Stores build what an append resolves with
 * from it, so the acknowledgement is what a replay reads whatever toJSON methods or getters did
 * while encoding. Throws InvalidArgument, before anything is written, when that text would not
 * read back as an event: not an object, or without a non-empty string `type`; or when that type
 * holds U+0000 or a lone surrogate (PostgreSQL keeps the type as text, which cannot hold them;
 * inside the JSON text they are escapes, which every store keeps).
 */
export function storedEventData(streamId: string, i: number, json: string): DomainEvent {
  const data: unknown = JSON.parse(json);
  const type: unknown = isObject(data) ? (data as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidArgument(
      `${streamId}: events[${i}].data is stored as its JSON (what toJSON returns), which must be an object with a non-empty string type`,
    );
  }
  if (!isStorableText(type)) {
    throw new InvalidArgument(
      `${streamId}: events[${i}].data.type must not contain U+0000 or a lone surrogate, got ${show(type)}`,
    );
  }
  return data as DomainEvent;
}

/** {@link storedEventData} for an event's metadata: a fresh object, which must be an object. */
export function storedEventMetadata(streamId: string, i: number, json: string): EventMetadata {
  if (json === '{}') return {};
  const metadata: unknown = JSON.parse(json);
  if (!isObject(metadata)) {
    throw new InvalidArgument(
      `${streamId}: events[${i}].metadata is stored as its JSON (what toJSON returns), which must be an object`,
    );
  }
  return metadata as EventMetadata;
}

/**
 * JSON.stringify, with the TypeError it throws for a BigInt or a cycle turned into
 * InvalidArgument: durable stores keep JSON, so a value JSON cannot hold is a caller error.
 */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw notJson(what, e);
  }
  // A toJSON returning undefined (or a function) makes stringify return undefined: nothing to store.
  if (json === undefined) throw notJson(what);
  return json;
}

/**
 * JSON.stringify's escape of U+0000 or of a lone surrogate, preceded by an even run of backslashes
 * (`\\u0000` is an escaped backslash before plain text, which passes).
 */
const UNPORTABLE_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/**
 * {@link toJson} for a timer's command or metadata (or a whole timer record): also throws
 * InvalidArgument when a string in it holds U+0000 or a lone surrogate. PostgreSQL writes timers
 * as jsonb too (for nodes of the previous package), which refuses both escapes, so every store
 * refuses them. Event data and metadata are kept as JSON text by every store and may hold them.
 */
export function timerJson(value: unknown, what: string): string {
  const json = toJson(value, what);
  assertPortableJson(json, what);
  return json;
}

/**
 * Throws InvalidArgument when JSON text holds U+0000 or a lone surrogate in a string (escaped, as
 * JSON.stringify writes them): PostgreSQL's jsonb keeps neither, so no store keeps them in a timer.
 */
export function assertPortableJson(json: string, what: string): void {
  // JSON.stringify writes `\u` only for these and control characters: most texts skip the regex.
  if (json.includes('\\u') && UNPORTABLE_ESCAPE.test(json)) {
    throw new InvalidArgument(`${what} must not contain U+0000 or a lone surrogate in any string`);
  }
}

/** {@link toJson} on the append path: the name of the part is built only when it fails. */
function eventJson(value: unknown, streamId: string, i: number, part: 'data' | 'metadata'): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw notJson(`${streamId}: events[${i}].${part}`, e);
  }
  if (json === undefined) throw notJson(`${streamId}: events[${i}].${part}`);
  return json;
}

/** InvalidArgument for a value JSON cannot hold; `thrown` is what stringify threw, if it threw. */
function notJson(what: string, ...thrown: [unknown?]): InvalidArgument {
  if (thrown.length === 0) return new InvalidArgument(`${what} is not JSON-serializable`);
  const e = thrown[0];
  return new InvalidArgument(
    `${what} is not JSON-serializable: ${e instanceof Error ? e.message : String(e)}`,
  );
}

function readOptions(opts: unknown, method: string): object {
  if (opts === undefined) return {};
  if (!isObject(opts)) throw new InvalidArgument(`${method}: options must be an object, got ${show(opts)}`);
  return opts;
}

function readLimit(limit: unknown, method: string): number {
  if (limit === undefined) return Number.POSITIVE_INFINITY;
  if (!isInt(limit, 0))
    throw new InvalidArgument(`${method}: limit must be an integer >= 0, got ${show(limit)}`);
  return limit;
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

/** A short, quoted rendering of a bad value for an error message (`""`, `null`, `an object`). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

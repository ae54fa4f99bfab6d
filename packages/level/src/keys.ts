/**
 * The key layout: every hot path is one range scan over keys that sort the way it reads.
 * Keys are UTF-8 strings; numbers are fixed-width lowercase hex so that byte order is numeric
 * order. See docs/store-internals.md.
 *
 *   s<streamId>\0<version>   → event record        (replay a stream from a version: one scan)
 *   l<first><last>           → log index entry     (one per write batch: the streams and versions at
 *                                                 positions first..last; read the log from a position:
 *                                                 one reverse seek, then one scan and the records by key)
 *   n<streamId>\0<version>   → snapshot JSON       (newest first: one reverse scan)
 *   c<name>                  → checkpoint position
 *   m<name>                  → store metadata (format version, pending timer count)
 *   r<streamId>\0<name>      → timer record        (a stream's timer by name: one get; its timers: one scan)
 *   d<dueAt><streamId>\0<name> → timer record      (due timers, earliest first: one scan up to `until`;
 *                                                 dueAt: '0' or '1' for its sign, then 14 hex digits)
 */

/** 14 hex digits hold every safe integer (2^53 < 16^14). */
const WIDTH = 14;
const SEP = '\u0000';
/** The character after SEP: `<prefix><id>\u0001` bounds every key of one stream from above. */
const SEP_END = '\u0001';

export const FORMAT_KEY = 'mformat';
/** Written with sync before the tail mark records a position of an 'os' durability store: its write flushes the log. */
export const TAIL_SYNC_KEY = 'msync';
/**
 * The on-disk format this code writes and reads. Format 1 (each event also stored under a log key
 * `l<position>`) is migrated on open (format-migration.ts); any other format is refused.
 */
export const FORMAT_VERSION = '2';
/** The format of folders written before the log index: migrated on open. */
export const FORMAT_1 = '1';
/**
 * The format marker while a format 1 folder is being migrated: a version that knows only format 1
 * refuses it (it would misread the index entries), and this version finishes the migration.
 */
export const FORMAT_MIGRATING = '1-to-2';

/** Fixed-width hex of a non-negative safe integer. */
export function hex(n: number): string {
  return n.toString(16).padStart(WIDTH, '0');
}

/** Parses the fixed-width hex number that ends a key; NaN when it is not one. */
export function hexAtEnd(key: string): number {
  const digits = key.slice(-WIDTH);
  return /^[0-9a-f]{14}$/.test(digits) ? Number.parseInt(digits, 16) : Number.NaN;
}

/**
 * The key encoding is injective over the ids core's `assertStorableId` accepts (every store calls
 * it through `assertStreamId`, and this store also for checkpoint names): U+0000 separates an id
 * from its version, so an id holding it could fall inside another's key range; a lone surrogate
 * has no UTF-8 form (the encoder writes U+FFFD, so `x\uD800`, `x\uDC00` and `x\uFFFD` would share
 * every key). Every other string encodes to distinct UTF-8 bytes. test/key-safety.test.ts proves it.
 */
export { assertStorableId } from '@actorfold/core';

export const streamKey = (streamId: string, version: number): string => `s${streamId}${SEP}${hex(version)}`;
/** The exclusive upper bound of every event key of a stream. */
export const streamEnd = (streamId: string): string => `s${streamId}${SEP_END}`;

/** The log index entry of the batch that holds positions first..last (both fixed-width: byte order is position order). */
export const logIndexKey = (first: number, last: number): string => `l${hex(first)}${hex(last)}`;
/** Length of a format 2 index key; a format 1 log key (`l<position>`) is `LEGACY_LOG_KEY_LENGTH` long. */
export const LOG_INDEX_KEY_LENGTH = 1 + 2 * WIDTH;
export const LEGACY_LOG_KEY_LENGTH = 1 + WIDTH;
/** The first position an index key covers (NaN when the key is not one). */
export function firstOfIndexKey(key: string): number {
  const digits = key.slice(1, 1 + WIDTH);
  return key.length === LOG_INDEX_KEY_LENGTH && /^[0-9a-f]{14}$/.test(digits)
    ? Number.parseInt(digits, 16)
    : Number.NaN;
}
/**
 * The exclusive upper bound of the index keys of batches starting at or before `position`: a
 * reverse seek from it, limit 1, finds the batch that covers `position` (when any does).
 */
export const logIndexAfter = (position: number): string => `l${hex(position + 1)}`;
/** Format 1's log key of one event (only the migration reads them). */
export const legacyLogKey = (position: number): string => `l${hex(position)}`;
/** Bounds of the whole log key space ('l' + hex digits; 'g' sorts after every hex digit). */
export const LOG_START = 'l';
export const LOG_END = 'lg';

export const snapshotKey = (streamId: string, version: number): string => `n${streamId}${SEP}${hex(version)}`;
export const snapshotStart = (streamId: string): string => `n${streamId}${SEP}`;
export const snapshotEnd = (streamId: string): string => `n${streamId}${SEP_END}`;

export const checkpointKey = (name: string): string => `c${name}`;

/** Bounds of the whole stream key space, and the stream id inside a stream key (for offline tools). */
export const STREAMS_START = 's';
export const STREAMS_END = 't';
export function streamIdOfKey(key: string): string {
  return key.slice(1, key.length - WIDTH - 1);
}

/** The number of pending timers, kept in every batch that changes them (decimal). */
export const TIMER_COUNT_KEY = 'mtimers';

/**
 * A timer by stream and name. Neither holds U+0000 (both pass `assertStorableId`), so the pair
 * is injective and one stream's timers are the range [`timerStart`, `timerEnd`).
 */
export const timerKey = (streamId: string, name: string): string => `r${streamId}${SEP}${name}`;
export const timerStart = (streamId: string): string => `r${streamId}${SEP}`;
export const timerEnd = (streamId: string): string => `r${streamId}${SEP_END}`;

/**
 * A timer in the due index: fixed-width due time first, so byte order is due order; ties by
 * stream id, then name (U+0000 sorts below every other character, so `<id>\0<name>` orders as the
 * pair does, in code point order).
 */
export const dueKey = (dueAt: number, streamId: string, name: string): string =>
  `d${dueTime(dueAt)}${streamId}${SEP}${name}`;
export const DUE_START = 'd';
/** Above every due key ('d' followed by '0' or '1'). */
export const DUE_END = 'd2';

/**
 * A due time (any safe integer) as 15 characters whose byte order is numeric order: '0' and the
 * hex of `t + MAX_SAFE_INTEGER` for a time before the epoch, '1' and the hex of `t` otherwise.
 */
function dueTime(t: number): string {
  return t < 0 ? `0${hex(t + Number.MAX_SAFE_INTEGER)}` : `1${hex(t)}`;
}

/** The exclusive upper bound of the due keys of timers due at or before `until`. */
export function dueUntil(until: number): string {
  if (until >= Number.MAX_SAFE_INTEGER) return DUE_END;
  if (until < -Number.MAX_SAFE_INTEGER) return DUE_START;
  return `d${dueTime(Math.floor(until) + 1)}`;
}

/**
 * Migrates a format 1 folder to format 2 on open. Format 1 stored every event twice, under its
 * stream key and under a log key `l<position>`; format 2 keeps the stream record only and one log
 * index entry per run of positions (log-index.ts). The stream records are not touched: the
 * migration replaces the log keys, about 1,000 at a time, each chunk in one LevelDB batch that
 * puts the index entries for its positions and deletes their log keys.
 *
 * Crash-safe at every point: LevelDB batches are all-or-nothing, so each position is always
 * either still a format 1 log key or covered by an index entry, never both and never neither, and
 * the migration goes on from the first log key left when the folder is opened again. The format
 * marker says `1-to-2` from the first chunk to the last, so a version that knows only format 1
 * refuses the half-migrated folder instead of misreading it; it says `2` once no log key is left.
 */
import { CorruptData } from '@actorfold/core';
import {
  FORMAT_1,
  FORMAT_KEY,
  FORMAT_MIGRATING,
  FORMAT_VERSION,
  hexAtEnd,
  LEGACY_LOG_KEY_LENGTH,
  LOG_END,
  LOG_START,
  logIndexKey,
} from './keys.js';
import type { LevelHandle } from './level-handle.js';
import { encodeLogIndex, type LogRange } from './log-index.js';
import { decodeRecord } from './record.js';

/** How far the migration of a folder has come (`onMigrationProgress`). */
export interface FormatMigrationProgress {
  /** The folder being migrated. */
  readonly path: string;
  /** Events whose log key was replaced by the index, in this open. */
  readonly migrated: number;
  /** Events whose log key was left to replace when this open started. */
  readonly total: number;
  /** True on the last call, once the folder is in format 2. */
  readonly done: boolean;
}

/** Log keys read and replaced per LevelDB batch. */
const CHUNK = 1000;
/** How often the progress callback hears of a migration under way (events). */
const REPORT_EVERY = 100_000;

/** Whether `found` (the folder's format marker) is one this migration takes to format 2. */
export function needsMigration(found: string): boolean {
  return found === FORMAT_1 || found === FORMAT_MIGRATING;
}

/** Migrates the open folder from format 1, or finishes an interrupted migration. */
export async function migrateFormat(
  h: LevelHandle,
  onProgress: ((p: FormatMigrationProgress) => void) | undefined,
): Promise<void> {
  const { db, path } = h;
  await db.put(FORMAT_KEY, FORMAT_MIGRATING, { sync: true });
  const total = await countLeft(h);
  const report = onProgress ?? (total >= REPORT_EVERY ? logToStderr : undefined);
  let migrated = 0;
  let reported = 0;
  report?.({ path, migrated, total, done: false });
  const it = db.iterator<string, string>({ gt: LOG_START, lt: LOG_END });
  try {
    for (;;) {
      const chunk = await it.nextv(CHUNK);
      if (chunk.length === 0) break;
      // Index entries (the positions migrated before an interruption) are passed over.
      const entries = chunk.filter(([key]) => key.length === LEGACY_LOG_KEY_LENGTH);
      if (entries.length === 0) continue;
      const batch = db.batch();
      for (const run of runsOf(entries)) {
        batch.put(logIndexKey(run.first, run.last), encodeLogIndex(run.ranges));
        for (const key of run.keys) batch.del(key);
      }
      await batch.write();
      migrated += entries.length;
      if (migrated - reported >= REPORT_EVERY) {
        reported = migrated;
        report?.({ path, migrated, total, done: false });
      }
    }
  } finally {
    await it.close();
  }
  // Synced: it also puts every chunk before it on the disk.
  await db.put(FORMAT_KEY, FORMAT_VERSION, { sync: true });
  report?.({ path, migrated, total, done: true });
}

/** The log keys left to replace: from the first one left to the last. */
async function countLeft(h: LevelHandle): Promise<number> {
  const [last] = await h.db.keys({ gt: LOG_START, lt: LOG_END, reverse: true, limit: 1 }).all();
  if (last === undefined || last.length !== LEGACY_LOG_KEY_LENGTH) return 0;
  // Index entries come first (they cover the positions already migrated): the first log key left
  // is the first key after the last index entry that is one.
  const keys = h.db.keys({ gt: LOG_START, lt: LOG_END });
  try {
    for (;;) {
      const chunk = await keys.nextv(CHUNK);
      if (chunk.length === 0) return 0;
      const first = chunk.find((k) => k.length === LEGACY_LOG_KEY_LENGTH);
      if (first !== undefined) return hexAtEnd(last) - hexAtEnd(first) + 1;
    }
  } finally {
    await keys.close();
  }
}

interface Run {
  first: number;
  last: number;
  ranges: LogRange[];
  /** The format 1 log keys the run replaces. */
  keys: string[];
}

/**
 * The index entries of a chunk of format 1 log records: one per run of consecutive positions. A
 * record whose stream cannot be told is left under its log key (it ends the run): readers report
 * it as CorruptData at its position, as they did in format 1, and `actorfold verify` lists it.
 */
function runsOf(entries: Array<[string, string]>): Run[] {
  const runs: Run[] = [];
  let run: Run | undefined;
  for (const [key, text] of entries) {
    const position = hexAtEnd(key);
    const owner = Number.isSafeInteger(position) && position >= 1 ? whoseRecord(text, position) : undefined;
    if (owner === undefined) {
      run = undefined;
      continue;
    }
    const { streamId, version } = owner;
    if (run === undefined || position !== run.last + 1) {
      run = { first: position, last: position, ranges: [], keys: [] };
      runs.push(run);
    } else {
      run.last = position;
    }
    run.keys.push(key);
    const prev = run.ranges.at(-1);
    if (prev !== undefined && prev.streamId === streamId && prev.firstVersion + prev.count === version) {
      run.ranges[run.ranges.length - 1] = { ...prev, count: prev.count + 1 };
    } else {
      run.ranges.push({ streamId, firstVersion: version, count: 1 });
    }
  }
  return runs;
}

/**
 * The stream and version of a format 1 log record. A record too damaged to decode still usually
 * names them (its first two fields): the index then points at its twin under the stream key,
 * which readers check as always. Undefined when not even those can be read.
 */
function whoseRecord(text: string, position: number): { streamId: string; version: number } | undefined {
  try {
    return decodeRecord(text, { position });
  } catch (e) {
    if (e instanceof CorruptData && e.streamId !== '<unknown stream>' && e.version >= 1)
      return { streamId: e.streamId, version: e.version };
    return undefined;
  }
}

function logToStderr(p: FormatMigrationProgress): void {
  process.stderr.write(
    p.done
      ? `actorfold: ${p.path} migrated to store format ${FORMAT_VERSION} (${p.migrated} events)\n`
      : `actorfold: migrating ${p.path} to store format ${FORMAT_VERSION}: ${p.migrated} of ${p.total} events\n`,
  );
}

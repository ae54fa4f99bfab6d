/**
 * The tail mark: a small file beside the database recording a global position known to be
 * durable. LevelDB cannot tell a log cut short by a disk fault from one cut short by a crash
 * mid-write: either way it opens what is left, silently. A position recorded outside the log lets
 * the store notice when acknowledged events below it are gone.
 *
 * Written off the append path (at most once per interval after a commit, and on close), each time
 * to a temporary file that is fsync'd and renamed over the old one, so the mark itself is never
 * torn. What it can and cannot detect: docs/store-internals.md.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '@actorfold/core';

export const TAIL_MARK_FILE = 'actorfold-tail.json';

/** Positions acknowledged earlier and missing now. */
export interface LostTail {
  /** The first missing position (the newest position found, plus one). */
  readonly from: number;
  /** The newest position the tail mark recorded as durable. */
  readonly to: number;
}

/** The recorded position, or undefined when the folder has no mark (new, or written before marks existed). */
export async function readTailMark(folder: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(folder, TAIL_MARK_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let position: unknown;
  try {
    position = (JSON.parse(text) as { lastPosition?: unknown } | null)?.lastPosition;
  } catch {
    position = undefined;
  }
  if (!Number.isSafeInteger(position) || (position as number) < 0) {
    throw new StoreError(
      'DAMAGED',
      `${join(folder, TAIL_MARK_FILE)} does not hold a position: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return position as number;
}

/** Replaces the mark atomically and durably (temporary file, fsync, rename, fsync of the folder). */
export async function writeTailMark(folder: string, lastPosition: number): Promise<void> {
  const target = join(folder, TAIL_MARK_FILE);
  const temporary = `${target}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(`${JSON.stringify({ lastPosition })}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, target);
  const dir = await open(folder, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Keeps the mark up to date: `committed()` after each acknowledged batch arms one timer, which
 * records the newest durable position; `close()` records the final one.
 */
export class TailMarker {
  readonly #folder: string;
  readonly #intervalMs: number;
  /** Makes everything acknowledged so far durable before it is recorded ('os' durability). */
  readonly #syncFirst: (() => Promise<void>) | undefined;
  readonly #position: () => number;
  #recorded: number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(o: {
    folder: string;
    intervalMs: number;
    recorded: number;
    position: () => number;
    syncFirst?: () => Promise<void>;
  }) {
    this.#folder = o.folder;
    this.#intervalMs = o.intervalMs;
    this.#recorded = o.recorded;
    this.#position = o.position;
    this.#syncFirst = o.syncFirst;
  }

  /** A batch was acknowledged: record its position within the interval. */
  committed(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writing = this.#writing.then(() => this.#record());
    }, this.#intervalMs);
    // A pending mark never keeps the process alive; close() writes the last one.
    this.#timer.unref();
  }

  /** Records the final position; call after the last batch has been written. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    await this.#record();
  }

  async #record(): Promise<void> {
    const position = this.#position();
    if (position <= this.#recorded) return;
    try {
      await this.#syncFirst?.();
      await writeTailMark(this.#folder, position);
      this.#recorded = position;
    } catch {
      // The older mark stays: loss detection covers less until the next write succeeds, and no
      // append fails for it (the events themselves are in LevelDB's log).
    }
  }
}

/**
 * repairLevelStore: LevelDB's own repair (RepairDB) on a store folder that refuses to open as
 * damaged, always with a copy kept: either a backup of the folder is taken before it is repaired
 * in place, or a copy is repaired and the folder left untouched. RepairDB rebuilds the manifest
 * from every table and log file it finds, keeping each key's newest value; what it cannot read is
 * lost, and it says so only in LevelDB's info log. The tail mark (kept out of the database) tells
 * which acknowledged positions did not come back; the repair then accepts that loss, so the store
 * opens again.
 */
import { cp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StoreError } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { lockFolder } from './folder-lock.js';
import { TIMER_COUNT_KEY } from './keys.js';
import { levelStore } from './level-store.js';
import { countTimerKeys } from './level-timers.js';
import { describe, isLockedError } from './store-errors.js';
import { inspectFolder } from './store-folder.js';
import { type LostTail, readTailMark, TAIL_MARK_FILE, writeTailMark } from './tail-mark.js';

export interface RepairOptions {
  /** The damaged store folder. */
  path: string;
  /** Repair in place after copying the folder here (must not exist). */
  backup?: string;
  /** Or: copy the folder here (must not exist) and repair the copy; `path` is left as it is. */
  into?: string;
}

export interface RepairResult {
  /** The folder that was repaired (`path`, or `into`). */
  repaired: string;
  /** The untouched copy of the folder as it was: the backup, or `path` itself with `into`. */
  original: string;
  /** The newest position the tail mark recorded as acknowledged before the repair (undefined: no mark). */
  recordedLastPosition: number | undefined;
  /** The newest position the repaired store holds. */
  lastPosition: number;
  /** Acknowledged positions the repair could not bring back (undefined: none known to be lost). */
  lostTail: LostTail | undefined;
}

/**
 * Repairs a store folder no process has open. Fails with StoreError LOCKED when one has, NOT_FOUND
 * when the folder holds no LevelDB files, IO when the copy or the repair fails.
 */
export async function repairLevelStore(opts: RepairOptions): Promise<RepairResult> {
  const path = resolve(opts.path);
  if ((opts.backup === undefined) === (opts.into === undefined))
    throw new StoreError('IO', 'repairLevelStore: give exactly one of backup and into');
  const state = await inspectFolder(path);
  if (state.kind !== 'store' && state.kind !== 'damaged')
    throw new StoreError(
      'NOT_FOUND',
      `${path} holds no LevelDB store to repair (it is ${state.kind.replace(/-/g, ' ')})`,
    );

  const lock = await lockFolder(path);
  try {
    await assertNoOtherProcess(path);
    let recorded: number | undefined;
    let markUnreadable = false;
    try {
      recorded = await readTailMark(path);
    } catch {
      markUnreadable = true; // no evidence either way; the copy keeps it for whoever investigates
    }
    const copy = resolve((opts.backup ?? opts.into) as string);
    try {
      // errorOnExist + force false: never write into an existing backup.
      await cp(path, copy, {
        recursive: true,
        errorOnExist: true,
        force: false,
        filter: (f) => !f.endsWith('/LOCK'),
      });
    } catch (e) {
      throw new StoreError('IO', `copying ${path} to ${copy} failed: ${describe(e)}`, { cause: e });
    }
    const repaired = opts.into === undefined ? path : copy;
    try {
      await ClassicLevel.repair(repaired);
    } catch (e) {
      throw new StoreError('IO', `LevelDB's repair of ${repaired} failed: ${describe(e)}`, { cause: e });
    }
    if (markUnreadable) await rm(join(repaired, TAIL_MARK_FILE), { force: true });
    // RepairDB keeps each key's newest value it could read: count the timers it kept afresh.
    await recountTimers(repaired);
    // levelStore takes the folder itself.
    lock.release();
    const store = await levelStore({ path: repaired, tailLoss: 'open' });
    const lastPosition = await store.lastPosition();
    const lostTail = store.lostTail;
    await store.close();
    // Accept the loss the repair could not undo: the store opens again, with the backup as evidence.
    if (lostTail !== undefined) await writeTailMark(repaired, lastPosition);
    return {
      repaired,
      original: opts.into === undefined ? copy : path,
      recordedLastPosition: recorded,
      lastPosition,
      lostTail,
    };
  } finally {
    lock.release();
  }
}

/** Rewrites the pending-timer count from the timer records a repaired folder holds. */
async function recountTimers(path: string): Promise<void> {
  const db = new ClassicLevel<string, string>(path, { createIfMissing: false });
  try {
    await db.open();
    await db.put(TIMER_COUNT_KEY, String(await countTimerKeys(db)), { sync: true });
  } catch (e) {
    throw new StoreError('IO', `recounting the timers of ${path} after its repair failed: ${describe(e)}`, {
      cause: e,
    });
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** Throws LOCKED when another process holds LevelDB's lock on the folder (RepairDB takes none). */
async function assertNoOtherProcess(path: string): Promise<void> {
  // Opening without createIfMissing takes the lock first and creates nothing; a damaged folder
  // then fails for its damage, which is fine here: only the lock matters.
  const db = new ClassicLevel(path, { createIfMissing: false });
  try {
    await db.open();
  } catch (e) {
    if (isLockedError(e))
      throw new StoreError(
        'LOCKED',
        `the store folder ${path} is in use by another process: stop it before repairing`,
        { cause: e },
      );
    return;
  }
  await db.close();
}

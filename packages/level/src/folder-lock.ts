/**
 * One writer per folder per process, whatever spelling reaches the folder. LevelDB's own lock is
 * an fcntl lock (per process, so it cannot refuse this process) plus a table of path strings: a
 * symlink, `..` or a bind mount opens the same folder twice and two writers overwrite each other's
 * versions. This table keys on the folder's identity instead: device and inode number (which also
 * unify bind mounts), with the real path for messages. It lives on globalThis so that two installed
 * copies of this package share it.
 */
import { realpath, stat } from 'node:fs/promises';
import { StoreError } from '@actorfold/core';

const TABLE = Symbol.for('actorfold.level.openFolders');
type Table = Map<string, string>;
const shared = globalThis as { [TABLE]?: Table };
shared[TABLE] ??= new Map();
const table: Table = shared[TABLE];

/** A held folder; `release()` is idempotent. */
export interface FolderLock {
  /** The folder's real path (symlinks and `..` resolved). */
  readonly realPath: string;
  release(): void;
}

/**
 * Takes the folder (which must exist) for this process, or throws StoreError LOCKED naming both
 * spellings when a store in this process already has it open.
 */
export async function lockFolder(path: string): Promise<FolderLock> {
  const realPath = await realpath(path);
  const { dev, ino } = await stat(realPath);
  const key = `${dev}:${ino}`;
  const holder = table.get(key);
  if (holder !== undefined) {
    const also = holder === path ? '' : ` (opened as ${holder})`;
    throw new StoreError(
      'LOCKED',
      `the store folder ${path} is in use by another store in this process${also}`,
    );
  }
  table.set(key, path);
  let held = true;
  return {
    realPath,
    release() {
      if (held) table.delete(key);
      held = false;
    },
  };
}

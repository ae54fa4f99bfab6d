/**
 * What a store folder holds before LevelDB touches it. LevelDB opened with `createIfMissing` on a
 * folder that lost its `CURRENT` file starts a new, empty database there and deletes the table
 * files it does not know: acknowledged events gone. So a store is created only in a folder that
 * is missing or empty, and a folder with LevelDB files but no intact `CURRENT` → MANIFEST chain is
 * refused as damaged.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TAIL_MARK_FILE } from './tail-mark.js';

export type FolderState =
  /** No folder, or a folder holding nothing of a database: a store may be created in it. */
  | { kind: 'missing' }
  | { kind: 'empty' }
  /** `CURRENT` names a MANIFEST that exists: LevelDB can open it. */
  | { kind: 'store' }
  /** LevelDB files without an intact `CURRENT` → MANIFEST chain. */
  | { kind: 'damaged'; why: string }
  /** Files, none of them LevelDB's: not a store folder, and not one to create a store in. */
  | { kind: 'foreign'; files: readonly string[] }
  /** The path exists but is not a folder. */
  | { kind: 'not-a-folder' };

/** Files LevelDB writes before its database exists (a crash mid-create can leave them alone). */
const HARMLESS = new Set(['LOCK', 'LOG', 'LOG.old', TAIL_MARK_FILE, `${TAIL_MARK_FILE}.tmp`]);
/** Files that belong to a LevelDB database: tables, logs, manifests, CURRENT and its temp file. */
const LEVELDB_FILE = /^(?:\d+\.(?:log|ldb|sst|dbtmp)|MANIFEST-\d+|CURRENT)$/;

/** Looks at the folder without changing it. */
export async function inspectFolder(path: string): Promise<FolderState> {
  let names: string[];
  try {
    if (!(await stat(path)).isDirectory()) return { kind: 'not-a-folder' };
    names = await readdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
  const files = names.filter((n) => !HARMLESS.has(n));
  if (files.length === 0) return { kind: 'empty' };
  const leveldb = files.filter((n) => LEVELDB_FILE.test(n));
  if (leveldb.length === 0) return { kind: 'foreign', files: files.slice(0, 5) };
  const tables = leveldb.filter((n) => /\.(?:ldb|sst)$/.test(n)).length;
  const logs = leveldb.filter((n) => n.endsWith('.log')).length;
  const holds = `${tables} table file${tables === 1 ? '' : 's'} and ${logs} log file${logs === 1 ? '' : 's'}`;
  if (!names.includes('CURRENT')) return { kind: 'damaged', why: `it holds ${holds} but no CURRENT file` };
  const current = (await readFile(join(path, 'CURRENT'), 'utf8')).trim();
  if (!/^MANIFEST-\d+$/.test(current))
    return { kind: 'damaged', why: `its CURRENT file does not name a manifest (${JSON.stringify(current)})` };
  if (!names.includes(current))
    return { kind: 'damaged', why: `its CURRENT file names ${current}, which is missing (${holds})` };
  return { kind: 'store' };
}

/**
 * How a command reaches the data: offline, by opening a store folder (`--data`), or live,
 * through a running daemon's admin socket (`--socket`). Offline never writes events, snapshots
 * or checkpoints; it fails plainly when a daemon holds the folder's lock.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AdminClient, adminClient } from '@actorfold/admin/client';
import { isActorfoldError } from '@actorfold/core/errors';
import type { LevelStore } from '@actorfold/level';
import { CliError, EXIT } from './cli-error.js';

export interface WhereOptions {
  data?: string;
  socket?: string;
}

export type Where = { mode: 'offline'; data: string } | { mode: 'live'; socket: string };

/** Picks the mode from the options: exactly one of `--data` and `--socket` (those the command has). */
export function where(
  command: string,
  opts: WhereOptions,
  modes: { offline: boolean; live: boolean },
): Where {
  const { data, socket } = opts;
  if (data !== undefined && socket !== undefined) {
    throw new CliError(EXIT.USAGE, 'give either --data <dir> or --socket <path>, not both');
  }
  if (data !== undefined) return { mode: 'offline', data: resolve(data) };
  if (socket !== undefined) return { mode: 'live', socket: resolve(socket) };
  const forms = [
    modes.offline ? '--data <dir> (a store folder)' : '',
    modes.live ? '--socket <path> (a running daemon)' : '',
  ]
    .filter((f) => f.length > 0)
    .join(' or ');
  throw new CliError(EXIT.USAGE, `say where to look: ${forms}`, `see actorfold ${command} --help`);
}

/**
 * Opens a store folder for reading. `liveForm` is the command line to suggest when a daemon
 * holds the lock (for example `actorfold streams --socket <path>`). `tailLoss: 'open'` opens a
 * store whose newest acknowledged events are gone (verify reports them) instead of refusing it.
 */
export async function openOffline(
  dir: string,
  liveForm: string,
  opts: { tailLoss?: 'refuse' | 'open' } = {},
): Promise<LevelStore> {
  const path = resolve(dir);
  try {
    // Imported here, not above: live commands load this module too, and never the LevelDB store.
    const { levelStore } = await import('@actorfold/level');
    // create: false: an offline tool never creates a store (nor a folder).
    return await levelStore({ path, create: false, tailLoss: opts.tailLoss ?? 'refuse' });
  } catch (e) {
    throw offlineOpenError(e, path, liveForm);
  }
}

/** What a failed offline open means to an operator, and what to do about it. */
export function offlineOpenError(e: unknown, path: string, liveForm: string): unknown {
  if (!isActorfoldError(e) || e.code !== 'STORE_ERROR') return e;
  const reason = (e as { reason?: string }).reason;
  if (reason === 'LOCKED') {
    return new CliError(
      EXIT.LOCKED,
      `the store folder ${path} is locked: a running daemon (or another process) has it open`,
      `ask the running daemon through its admin socket instead: ${liveForm}\n(the example daemon's socket is data/admin.sock), or stop the daemon and run this again`,
      { cause: e },
    );
  }
  if (reason === 'NOT_FOUND') {
    return new CliError(
      EXIT.NOT_FOUND,
      `${path} is not a store folder (${e.message})`,
      'give the folder the daemon was started with (--data), for the example daemon data/store',
      { cause: e },
    );
  }
  if (reason === 'DAMAGED') {
    return new CliError(
      EXIT.PROBLEMS,
      `damaged store, run actorfold repair: ${e.message}`,
      `actorfold repair --data ${path} keeps a backup of the folder, runs LevelDB's repair and verifies the result (see docs/operations.md)`,
      { cause: e },
    );
  }
  return e;
}

/** Runs `use` on an open store and closes it afterwards, whatever happens. */
export async function withStore<T>(
  dir: string,
  liveForm: string,
  use: (store: LevelStore) => Promise<T>,
  opts: { tailLoss?: 'refuse' | 'open' } = {},
): Promise<T> {
  const store = await openOffline(dir, liveForm, opts);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

let foreignSocketAllowed = process.env.ACTORFOLD_ALLOW_FOREIGN_SOCKET === '1';

/** `--allow-foreign-socket`: talk to an admin socket another user owns. */
export function allowForeignSocket(): void {
  foreignSocketAllowed = true;
}

/**
 * The admin client for a socket path. Refuses a socket owned by another user (root aside) unless
 * allowed: whoever owns the socket answers for the daemon, so a socket someone else put there
 * (a shared /tmp, a mistyped path) would receive this user's commands and feed back what it likes.
 */
export function live(socket: string): AdminClient {
  const path = resolve(socket);
  const uid = process.getuid?.();
  if (!foreignSocketAllowed && uid !== undefined) {
    let owner: number | undefined;
    try {
      owner = statSync(path).uid;
    } catch {
      owner = undefined; // missing: the client says it plainly
    }
    if (owner !== undefined && owner !== uid && owner !== 0) {
      throw new CliError(
        EXIT.UNREACHABLE,
        `the admin socket ${path} belongs to another user (uid ${owner}, you are uid ${uid}): refusing to talk to it`,
        'if that user runs the daemon and you trust it, add --allow-foreign-socket (or set ACTORFOLD_ALLOW_FOREIGN_SOCKET=1)',
      );
    }
  }
  return adminClient(path);
}

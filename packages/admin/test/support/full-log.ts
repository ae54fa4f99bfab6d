/**
 * A real LevelDB write failure inside the test process, without root or a C compiler: the log
 * file LevelDB creates next in the folder is made a symlink to /dev/full, then events are appended
 * until LevelDB switches to that log (its memtable is full at about 4 MB). The batch written first
 * into it fails with ENOSPC from the kernel, as on a full disk, and the store refuses writes from
 * then on (packages/level/src/group-commit.ts).
 */
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '@actorfold/core';

/** Whether the kernel offers /dev/full (Linux). */
export const hasDevFull = process.platform === 'linux' && existsSync('/dev/full');

/**
 * Makes the next write LevelDB logs in `folder` (the open store's folder) fail, by filling its
 * memtable with appends to `stream`: resolves with how many appends were acknowledged and the
 * error of the one that failed. The symlink stays in the folder: remove the folder (or the link)
 * before opening it again.
 */
export async function failALogWrite(
  store: EventStore,
  folder: string,
  stream = 'filler/1',
): Promise<{ acked: number; error: unknown }> {
  const logs = readdirSync(folder)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number.parseInt(f, 10));
  // The open store writes to its newest log; a full memtable makes LevelDB create the next number.
  const next = Math.max(...logs) + 1;
  symlinkSync('/dev/full', join(folder, `${String(next).padStart(6, '0')}.log`));
  const blob = 'x'.repeat(64 * 1024);
  let version = await store.streamVersion(stream);
  // 64 KiB a batch: LevelDB's 4 MiB write buffer fills after about 64 of them.
  for (let acked = 0; acked < 1000; acked++) {
    try {
      await store.append(stream, [{ data: { type: 'Filled', blob } }], { expectedVersion: version });
      version++;
    } catch (error) {
      return { acked, error };
    }
  }
  throw new Error(`no write failed in ${folder}: LevelDB never switched to log ${next}`);
}

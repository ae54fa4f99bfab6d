/**
 * repairLevelStore brings a damaged folder back with LevelDB's own repair, always keeping a copy
 * of the folder as it was, and says which acknowledged positions did not come back.
 */
import { existsSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TimerChange } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore, repairLevelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';

async function seeded(count: number): Promise<string> {
  const path = freshFolder();
  const store = await levelStore({ path });
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        store.append(`r/s${i + j}`, [{ data: { type: 'written', n: i + j } }], {
          expectedVersion: 0,
          // Every fifth stream has a pending timer, kept in the same batches as the events.
          ...(j % 5 === 0 ? { timers: [timer(`r/s${i + j}`, i + j)] } : {}),
        }),
      ),
    );
  }
  await store.close();
  return path;
}

function timer(streamId: string, n: number): TimerChange {
  return {
    op: 'schedule',
    timer: { streamId, name: 'due', dueAt: n, version: 1, missed: 'fire', command: { type: 'Fire' } },
  };
}

describe('repairing a store folder', () => {
  it('recovers every event of a folder whose CURRENT is gone, after taking a backup', async () => {
    const path = await seeded(5_000);
    rmSync(join(path, 'CURRENT'));
    await expect(levelStore({ path })).rejects.toMatchObject({ reason: 'DAMAGED' });
    const backup = `${path}.backup`;
    const result = await repairLevelStore({ path, backup });
    expect(result).toMatchObject({
      repaired: path,
      original: backup,
      recordedLastPosition: 5_000,
      lastPosition: 5_000,
      lostTail: undefined,
    });
    // The backup is the folder as it was: still without CURRENT.
    expect(existsSync(join(backup, 'CURRENT'))).toBe(false);
    const store = await levelStore({ path });
    let n = 0;
    for await (const _ of store.readAll()) n++;
    expect(n).toBe(5_000);
    // The timers came back with their count, which the repair recounted from the records.
    expect(await store.timers.count()).toBe(1_000);
    expect(await store.timers.due(Number.MAX_SAFE_INTEGER, 2_000)).toHaveLength(1_000);
    await store.close();
  });

  it('repairs a copy and leaves the folder as it was with into', async () => {
    const path = await seeded(500);
    rmSync(join(path, 'CURRENT'));
    // LevelDB's own lock and info log aside (checking the lock rotates the info log).
    const data = () =>
      readdirSync(path)
        .filter((n) => !['LOCK', 'LOG', 'LOG.old'].includes(n))
        .map((n) => `${n}:${statSync(join(path, n)).size}`)
        .sort();
    const before = data();
    const into = freshFolder('copy');
    const result = await repairLevelStore({ path, into });
    expect(result).toMatchObject({ repaired: into, original: path, lastPosition: 500 });
    expect(data()).toEqual(before);
    await (await levelStore({ path: into })).close();
  });

  it('names the positions a truncated log lost, and then lets the store open again', async () => {
    const path = await seeded(300);
    const log = readdirSync(path)
      .filter((n) => n.endsWith('.log'))
      .sort()
      .at(-1) as string;
    truncateSync(join(path, log), Math.floor(statSync(join(path, log)).size / 2));
    const result = await repairLevelStore({ path, backup: `${path}.backup` });
    expect(result.lastPosition).toBeLessThan(300);
    expect(result.lostTail).toEqual({ from: result.lastPosition + 1, to: 300 });
    const store = await levelStore({ path });
    expect(await store.lastPosition()).toBe(result.lastPosition);
    await store.close();
    // The backup still shows the loss.
    await expect(levelStore({ path: `${path}.backup` })).rejects.toMatchObject({ reason: 'DAMAGED' });
  });

  it('repairs a folder whose tail mark does not hold a position (refused at open as DAMAGED)', async () => {
    const path = await seeded(100);
    writeFileSync(join(path, 'actorfold-tail.json'), '{"lastPos');
    await expect(levelStore({ path })).rejects.toMatchObject({ reason: 'DAMAGED' });
    writeFileSync(join(path, 'actorfold-tail.json'), '{"lastPosition":"x"}');
    await expect(levelStore({ path })).rejects.toMatchObject({ reason: 'DAMAGED' });
    const result = await repairLevelStore({ path, backup: `${path}.backup` });
    expect(result).toMatchObject({ recordedLastPosition: undefined, lastPosition: 100, lostTail: undefined });
    const store = await levelStore({ path });
    expect(await store.lastPosition()).toBe(100);
    await store.close();
  });

  it('refuses a folder another process holds (LOCKED) or one that holds no store (NOT_FOUND), copying nothing', async () => {
    const path = await seeded(50);
    const holder = startChild('lock-holder', [path]);
    await holder.waitFor('READY');
    await expect(repairLevelStore({ path, backup: `${path}.backup` })).rejects.toMatchObject({
      reason: 'LOCKED',
    });
    holder.process.kill('SIGKILL');
    await holder.exited;
    expect(existsSync(`${path}.backup`)).toBe(false);

    const nothing = freshFolder();
    await expect(repairLevelStore({ path: nothing, backup: `${nothing}.backup` })).rejects.toMatchObject({
      reason: 'NOT_FOUND',
    });
    expect(existsSync(`${nothing}.backup`)).toBe(false);
  });
});

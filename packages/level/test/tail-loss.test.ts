/**
 * Acknowledged events that vanish with the newest LevelDB log (a disk fault cut it short) are
 * noticed: LevelDB opens such a log silently, but the tail mark recorded beside it names the
 * positions that are gone, and the store refuses to reuse them.
 */
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';

/** Cuts the newest .log of the folder to `keep` of its size; returns the bytes it had. */
function truncateNewestLog(path: string, keep: number): number {
  const logs = readdirSync(path)
    .filter((n) => /^\d+\.log$/.test(n))
    .sort();
  const newest = join(path, logs.at(-1) as string);
  const size = statSync(newest).size;
  truncateSync(newest, Math.floor(size * keep));
  return size;
}

async function seeded(count: number, durability: 'fsync' | 'os' = 'fsync'): Promise<string> {
  const path = freshFolder();
  const store = await levelStore({ path, durability });
  for (let i = 0; i < count; i++) {
    await store.append(`tail/s${i % 5}`, [{ data: { type: 'written', n: i } }], {
      expectedVersion: Math.floor(i / 5),
    });
  }
  await store.close();
  return path;
}

describe('a lost tail of the newest log', () => {
  it('is refused at open with DAMAGED naming the missing positions, after a clean close', async () => {
    const path = await seeded(300);
    expect(truncateNewestLog(path, 0.5)).toBeGreaterThan(0);
    const error = await levelStore({ path }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'DAMAGED' });
    const message = (error as Error).message;
    expect(message).toMatch(/positions \d+\.\.300 are missing/);
    expect(message).toContain(`actorfold repair --data ${path}`);

    // Inspection tools open it anyway and see the same loss; the mark stays as it was.
    const store = await levelStore({ path, tailLoss: 'open' });
    const last = await store.lastPosition();
    expect(last).toBeLessThan(300);
    expect(store.lostTail).toEqual({ from: last + 1, to: 300 });
    await store.close();
    await expect(levelStore({ path })).rejects.toMatchObject({ reason: 'DAMAGED' });
  });

  it('is refused after a SIGKILL, for every position the mark had recorded', async () => {
    const path = freshFolder();
    const child = startChild('tail-writer', [path, '400']);
    const written = Number((await child.waitFor('WRITTEN')).split(' ')[1]);
    expect(written).toBe(400);
    child.process.kill('SIGKILL');
    await child.exited;
    truncateNewestLog(path, 0.3);
    const store = await levelStore({ path, tailLoss: 'open' });
    expect(store.lostTail?.to).toBe(400);
    expect(store.lostTail?.from).toBe((await store.lastPosition()) + 1);
    await store.close();
  });

  it("is noticed with durability 'os' too (the log is synced before the mark records a position)", async () => {
    const path = await seeded(300, 'os');
    truncateNewestLog(path, 0.5);
    await expect(levelStore({ path })).rejects.toMatchObject({ reason: 'DAMAGED' });
  });

  it('leaves an intact store alone: reopened after close and after appends, no loss reported', async () => {
    const path = await seeded(50);
    const store = await levelStore({ path });
    expect(store.lostTail).toBeUndefined();
    expect(await store.lastPosition()).toBe(50);
    await store.close();
  });
});

/**
 * A store folder damaged or edited from outside (a stray tool, a half-restored backup), opened
 * through the public API: hostile format markers, a junk key inside a stream's range or at the
 * end of the log, a migration marker left on a format 2 folder. Each is either refused with a
 * StoreError or CorruptData naming the problem, or read back exactly; never a NaN version, a
 * silent skip or a bare TypeError. (The store's own layout is written here only to damage it.)
 */
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

async function seeded(): Promise<string> {
  const path = freshFolder('hostile');
  const store = await levelStore({ path, durability: 'os' });
  for (let i = 0; i < 3; i++) {
    await store.append('acct/a', [{ data: { type: 'Added', i } }], { expectedVersion: i });
  }
  await store.append('acct/b', [{ data: { type: 'Added', i: 9 } }], { expectedVersion: 0 });
  await store.close();
  return path;
}

async function tamper(path: string, damage: (db: ClassicLevel<string, string>) => Promise<void>) {
  const db = new ClassicLevel<string, string>(path);
  await db.open();
  await damage(db);
  await db.close();
}

/** What opening and reading gives: the versions and log positions, or the error's code and reason. */
async function outcome(path: string): Promise<unknown> {
  let store: Awaited<ReturnType<typeof levelStore>> | undefined;
  try {
    store = await levelStore({ path, durability: 'os' });
    const a = await store.streamVersion('acct/a');
    const log: number[] = [];
    for await (const e of store.readAll()) log.push(e.position);
    const appended = await store.append('acct/a', [{ data: { type: 'Added', i: 4 } }], {
      expectedVersion: a,
    });
    return { a, log, next: appended[0]?.position };
  } catch (e) {
    const err = e as { code?: string; reason?: string; message?: string };
    return err.code === undefined ? `bare ${String(e)}` : `${err.code}${err.reason ? `/${err.reason}` : ''}`;
  } finally {
    await store?.close();
  }
}

describe('a folder edited from outside', () => {
  it('reads back exactly when nothing was touched', async () => {
    expect(await outcome(await seeded())).toEqual({ a: 3, log: [1, 2, 3, 4], next: 5 });
  });

  it.each(['3', '', '2 ', '02', '1-to-3', '2\u0000'])(
    'refuses format marker %j with STORE_ERROR',
    async (marker) => {
      const path = await seeded();
      await tamper(path, (db) => db.put('mformat', marker));
      expect(await outcome(path)).toBe('STORE_ERROR/IO');
    },
  );

  it('a migration marker left on a format 2 folder: the open finishes it and everything reads back', async () => {
    const path = await seeded();
    await tamper(path, (db) => db.put('mformat', '1-to-2'));
    expect(await outcome(path)).toEqual({ a: 3, log: [1, 2, 3, 4], next: 5 });
  });

  it('a junk key at the end of a stream range: streamVersion is CORRUPT_DATA, never NaN; other streams append on', async () => {
    const path = await seeded();
    await tamper(path, (db) => db.put('sacct/a\u0000zzzzzzzzzzzzzz', '[]'));
    expect(await outcome(path)).toBe('CORRUPT_DATA');
    const store = await levelStore({ path, durability: 'os' });
    try {
      // In one group commit with an append to the damaged stream, the other stream's append lands.
      const [damaged, fine] = await Promise.allSettled([
        store.append('acct/a', [{ data: { type: 'Added', i: 5 } }], { expectedVersion: 3 }),
        store.append('acct/b', [{ data: { type: 'Added', i: 6 } }], { expectedVersion: 1 }),
      ]);
      expect(damaged.status).toBe('rejected');
      expect(fine.status).toBe('fulfilled');
      await expect(store.streamVersion('acct/a')).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        streamId: 'acct/a',
      });
    } finally {
      await store.close();
    }
  });

  it('a junk key at the end of the log: the open is refused, naming the key', async () => {
    const path = await seeded();
    await tamper(path, (db) => db.put('lfz', '[]'));
    expect(await outcome(path)).toBe('STORE_ERROR/IO');
  });

  it('a log index entry deleted in the middle: CORRUPT_DATA at that position, nothing skipped', async () => {
    const path = await seeded();
    await tamper(path, async (db) => {
      const keys = await db.keys({ gt: 'l', lt: 'lg' }).all();
      await db.del(keys[1] as string);
    });
    expect(await outcome(path)).toBe('CORRUPT_DATA');
  });
});

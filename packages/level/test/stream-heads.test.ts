import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

describe('the stream head cache', () => {
  it('stays within streamHeadCacheSize however many streams are touched, and every head stays exact', async () => {
    const store = await levelStore({ path: freshFolder(), streamHeadCacheSize: 10 });
    for (let i = 0; i < 100; i++) {
      await store.append(
        `s/${i}`,
        Array.from({ length: 1 + (i % 3) }, () => ({ data: { type: 'E' } })),
        {
          expectedVersion: 0,
        },
      );
    }
    expect(store.stats().cachedHeads).toBe(10);
    for (let i = 0; i < 100; i++) {
      const known = store.knownStreamVersion?.(`s/${i}`);
      // Known only for the most recently written streams; never wrong.
      if (known !== undefined) expect(known).toBe(1 + (i % 3));
      expect(await store.streamVersion(`s/${i}`)).toBe(1 + (i % 3));
      // An append after the head was dropped reads it back from disk and checks against it.
      await expect(
        store.append(`s/${i}`, [{ data: { type: 'E' } }], { expectedVersion: 0 }),
      ).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
        actual: 1 + (i % 3),
      });
    }
    expect(store.stats().cachedHeads).toBe(10);
    expect(store.knownStreamVersion?.('s/0')).toBeUndefined();
    await store.close();
  });

  it('checks every append of a batch against its exact head when reading the others evicts cached ones', async () => {
    const store = await levelStore({ path: freshFolder(), streamHeadCacheSize: 1 });
    for (let i = 0; i < 6; i++)
      await store.append(`s/${i}`, [{ data: { type: 'E' } }], { expectedVersion: 0 });
    // One batch: s/5's head is cached, the others are read, and each read evicts another head.
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        store.append(`s/${i}`, [{ data: { type: 'F' } }], { expectedVersion: 1 }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
    for (let i = 0; i < 6; i++) expect(await store.streamVersion(`s/${i}`)).toBe(2);
    await store.close();
  });
});

describe('listStreams', () => {
  it('lists every stream once with its head version, in id order, with prefix, after and limit', async () => {
    const store = await levelStore({ path: freshFolder() });
    const ids = ['account/a', 'account/b', 'account/b/x', 'order/1', 'order/10', 'order/2'];
    for (const [i, id] of ids.entries()) {
      await store.append(
        id,
        Array.from({ length: i + 1 }, () => ({ data: { type: 'E' } })),
        { expectedVersion: 0 },
      );
    }
    const list = async (opts?: Parameters<typeof store.listStreams>[0]) => {
      const out: string[] = [];
      for await (const s of store.listStreams(opts)) out.push(`${s.streamId}@${s.version}`);
      return out;
    };
    expect(await list()).toEqual([
      'account/a@1',
      'account/b@2',
      'account/b/x@3',
      'order/1@4',
      'order/10@5',
      'order/2@6',
    ]);
    expect(await list({ prefix: 'order/' })).toEqual(['order/1@4', 'order/10@5', 'order/2@6']);
    expect(await list({ after: 'account/b', limit: 2 })).toEqual(['account/b/x@3', 'order/1@4']);
    expect(await list({ prefix: 'account/', after: 'account/b/x' })).toEqual([]);
    await store.close();
  });
});

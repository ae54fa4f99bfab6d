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
});

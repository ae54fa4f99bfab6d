import type { EventStore } from '@actorfold/core';
import { describeEventStore } from '@actorfold/testing';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

// The model-based property tests run in full (50 runs each) on the default durability; the
// variants below share its code paths but for one setting, so they take 10 runs by default and
// the full 50 with ACTORFOLD_SOAK=1.
const variantRuns = process.env.ACTORFOLD_SOAK ? 50 : 10;

for (const durability of ['fsync', 'os'] as const) {
  describeEventStore(
    `levelStore (durability '${durability}')`,
    () => levelStore({ path: freshFolder(), durability }),
    {
      reopen: async (store: EventStore) => {
        const { path } = store as LevelStore;
        await store.close();
        return levelStore({ path, durability });
      },
      propertyRuns: durability === 'fsync' ? 50 : variantRuns,
    },
  );
}

// A one-entry head cache: every other stream's head is read from disk again, so that path keeps the contract too.
describeEventStore(
  'levelStore (head cache of 1)',
  () => levelStore({ path: freshFolder(), streamHeadCacheSize: 1 }),
  { propertyRuns: variantRuns },
);

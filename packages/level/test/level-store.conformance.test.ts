import type { EventStore } from '@actorfold/core';
import { describeEventStore } from '@actorfold/testing';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

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
    },
  );
}

// A one-entry head cache: every other stream's head is read from disk again, so that path keeps the contract too.
describeEventStore('levelStore (head cache of 1)', () =>
  levelStore({ path: freshFolder(), streamHeadCacheSize: 1 }),
);

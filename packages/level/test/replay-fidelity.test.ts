import type { EventStore } from '@actorfold/core';
import { describeReplayFidelity } from '@actorfold/testing';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

describeReplayFidelity('levelStore', () => levelStore({ path: freshFolder() }), {
  reopen: async (store: EventStore) => {
    const { path } = store as LevelStore;
    await store.close();
    return levelStore({ path });
  },
  runs: process.env.ACTORFOLD_SOAK ? 200 : 25,
});

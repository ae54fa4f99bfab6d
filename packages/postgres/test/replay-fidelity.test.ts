import type { EventStore } from '@actorfold/core';
import { describeReplayFidelity } from '@actorfold/testing';
import { describe } from 'vitest';
import { type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

const url = skipReason === undefined ? await freshDatabase('fidelity') : '';

describe.skipIf(skipReason !== undefined)(`postgresStore ${skipReason ?? ''}`, () => {
  describeReplayFidelity(
    'postgresStore',
    () => postgresStore({ connectionString: url, schema: freshSchema(), migrate: true, maxConnections: 4 }),
    {
      reopen: async (store: EventStore) => {
        const { schema } = store as PostgresStore;
        await store.close();
        return postgresStore({ connectionString: url, schema, maxConnections: 4 });
      },
      runs: process.env.ACTORFOLD_SOAK ? 100 : 15,
    },
  );
});

import type { EventStore } from '@actorfold/core';
import { describeEventStore } from '@actorfold/testing';
import { describe } from 'vitest';
import { type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

const url = skipReason === undefined ? await freshDatabase('conformance') : '';

describe.skipIf(skipReason !== undefined)(`postgresStore ${skipReason ?? ''}`, () => {
  for (const notifications of ['listen', 'poll'] as const) {
    describeEventStore(
      `postgresStore (notifications '${notifications}')`,
      () =>
        postgresStore({
          connectionString: url,
          schema: freshSchema(),
          migrate: true,
          notifications,
          maxConnections: 4,
        }),
      {
        reopen: async (store: EventStore) => {
          const { schema } = store as PostgresStore;
          await store.close();
          return postgresStore({ connectionString: url, schema, notifications, maxConnections: 4 });
        },
        propertyRuns: notifications === 'listen' ? 50 : 10,
      },
    );
  }
});

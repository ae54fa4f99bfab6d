/**
 * The order of timers due at the same time on PostgreSQL: `due`, `list` and `claim` give them in
 * code point order (the "C" collation), as compareTimers and the other stores: a name above
 * U+FFFF comes after U+FFFF. `claim` sorts what its UPDATE returned, which keeps no order.
 */
import { compareTimers } from '@actorfold/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

let store: PostgresStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe.skipIf(skipReason !== undefined)(
  `timers due at the same time on postgresStore ${skipReason ?? ''}`,
  () => {
    let url: string;
    beforeAll(async () => {
      url = await freshDatabase('timer_order');
    });

    it('are given in code point order by due(), list() and claim() alike', async () => {
      const schema = freshSchema('o');
      await migrate({ connectionString: url, schema });
      store = await postgresStore({ connectionString: url, schema, maxConnections: 2 });
      const streamId = 's/1';
      const names = ['\u{10000}', '\uffff', '\ue000', 'a', '\ud7ff'];
      await store.append(streamId, [{ data: { type: 'Set' } }], {
        expectedVersion: 0,
        timers: names.map((name) => ({
          op: 'schedule' as const,
          timer: { streamId, name, dueAt: 5, command: { type: 'ring' }, version: 1, missed: 'fire' as const },
        })),
      });
      const inCodePointOrder = ['a', '\ud7ff', '\ue000', '\uffff', '\u{10000}'];
      const due = await store.timers.due(10, 10);
      expect(due.map((t) => t.name)).toEqual(inCodePointOrder);
      expect([...due].sort(compareTimers)).toEqual(due);
      const listed: string[] = [];
      for await (const t of store.timers.list({ streamId })) listed.push(t.name);
      expect(listed).toEqual(inCodePointOrder);
      expect((await store.timers.claim(10, 10, 'node-a', 1000, 10)).map((t) => t.name)).toEqual(
        inCodePointOrder,
      );
    });
  },
);

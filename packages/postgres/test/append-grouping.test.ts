/**
 * Appends issued in one turn of the event loop share one append batch, however many promise
 * steps each took to get there (append.ts): actors that folded another node's events take a few
 * steps more before they append than those that did not, and must not be split off into a
 * second batch.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

/** Resolves after `n` promise steps (microtasks), still in the same turn of the event loop. */
async function steps(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe.skipIf(skipReason !== undefined)(`append grouping ${skipReason ?? ''}`, () => {
  let url: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    url = await freshDatabase('grouping');
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('appends issued in one turn after 0 to 40 promise steps go out as one batch', async () => {
    const schema = freshSchema('g');
    await migrate({ connectionString: url, schema });
    const store: PostgresStore = await postgresStore({ connectionString: url, schema });
    cleanup.push(() => store.close());
    const before = store.stats().batches;
    const written = await Promise.all(
      [0, 1, 5, 20, 40].map(async (n) => {
        await steps(n);
        return store.append(`counter/${n}`, [{ data: { type: 'Added' } }], { expectedVersion: 0 });
      }),
    );
    expect(written.map((w) => w.length)).toEqual([1, 1, 1, 1, 1]);
    expect(store.stats().batches - before).toBe(1);
  });
});

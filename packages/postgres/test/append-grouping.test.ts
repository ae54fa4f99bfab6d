/**
 * Appends issued in one turn of the event loop share one append batch, however many promise
 * steps each took to get there (append.ts): actors that folded another node's events take a few
 * steps more before they append than those that did not, and must not be split off into a
 * second batch.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batchLength, MAX_BATCH_CHARS } from '../src/append.js';
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

  // About 100 MiB through PostgreSQL: under ACTORFOLD_SOAK only; `batchLength` below is the rule.
  it.runIf(process.env.ACTORFOLD_SOAK !== undefined)(
    'splits the appends of one turn into batches of bounded size, each append whole: large events cannot fail their neighbours',
    async () => {
      const schema = freshSchema('g');
      await migrate({ connectionString: url, schema });
      const store: PostgresStore = await postgresStore({ connectionString: url, schema });
      cleanup.push(() => store.close());
      // Four appends of three eighths of the bound each: two fit in a batch, a third does not.
      const note = 'x'.repeat((MAX_BATCH_CHARS * 3) / 8);
      const before = store.stats().batches;
      const written = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          store.append(`big/${i}`, [{ data: { type: 'Noted', i, note } }], { expectedVersion: 0 }),
        ),
      );
      expect(written.map((w) => w[0]?.version)).toEqual([1, 1, 1, 1]);
      expect(store.stats().batches - before).toBe(2);
      for (let i = 0; i < 4; i++) {
        const read = [];
        for await (const e of store.readStream(`big/${i}`)) read.push(e);
        expect(read).toHaveLength(1);
        expect((read[0]?.data as { note?: string } | undefined)?.note?.length).toBe(note.length);
      }
    },
  );
});

describe('batchLength: the size of the next append batch', () => {
  const append = (...sizes: number[]) => ({
    events: sizes.map((n) => ({ data: 'x'.repeat(n), metadata: '{}' })),
  });

  it('takes appends while their event JSON stays within the bound, each append whole', () => {
    expect(batchLength([append(30), append(30), append(30)], 100)).toBe(3);
    expect(batchLength([append(40), append(40), append(40)], 100)).toBe(2);
    expect(batchLength([append(20, 20), append(20, 20), append(20)], 100)).toBe(2);
  });

  it('takes an append larger than the bound alone, and never takes none', () => {
    expect(batchLength([append(500), append(1)], 100)).toBe(1);
    expect(batchLength([append(1), append(500)], 100)).toBe(1);
    expect(batchLength([], 100)).toBe(0);
  });

  it('keeps to 500 appends and 5,000 events per batch', () => {
    expect(
      batchLength(
        Array.from({ length: 600 }, () => append(1)),
        1e9,
      ),
    ).toBe(500);
    const tens = Array.from({ length: 10 }, () => append(...Array.from({ length: 600 }, () => 1)));
    expect(batchLength(tens, 1e9)).toBe(8);
  });
});

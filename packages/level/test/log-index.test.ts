/**
 * The global log read through its index (store format 2): for any mix of write batches (many
 * appends per group commit, several events per append, version conflicts in between) and any
 * start position and limit, `readAll` returns exactly the slice of the log a model kept in
 * position order, and the index holds one key per committed batch.
 */
import type { EventEnvelope } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

interface Append {
  stream: number;
  events: number;
  /** Appends with a stale expected version fail alone and take no position. */
  stale: boolean;
}

const appendArb = fc.record({
  stream: fc.nat({ max: 5 }),
  events: fc.integer({ min: 1, max: 4 }),
  stale: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});
/** Each inner list is issued in one synchronous run: group commit writes it as one batch. */
const batchesArb = fc.array(fc.array(appendArb, { minLength: 1, maxLength: 12 }), {
  minLength: 1,
  maxLength: 25,
});
const readsArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 60 })), {
  minLength: 1,
  maxLength: 15,
});

async function all(events: AsyncIterable<EventEnvelope>): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('the global log through its index', () => {
  it('readAll(from, limit) returns the model slice for any batches and any start', async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb, readsArb, async (batches, reads) => {
        const path = freshFolder('log-index');
        const store = await levelStore({ path, durability: 'os' });
        const heads = new Map<number, number>();
        const model: Array<[string, number]> = [];
        let batchesWritten = 0;
        try {
          for (const batch of batches) {
            const planned = new Map(heads);
            const pending = batch.map((a: Append) => {
              const head = planned.get(a.stream) ?? 0;
              const expectedVersion = a.stale ? head + 7 : head;
              if (!a.stale) planned.set(a.stream, head + a.events);
              const events = Array.from({ length: a.events }, (_, i) => ({ data: { type: 'E', i } }));
              return store.append(`s/${a.stream}`, events, { expectedVersion }).then(
                (written) => written,
                () => undefined,
              );
            });
            const results = await Promise.all(pending);
            let wrote = false;
            for (const [i, written] of results.entries()) {
              const a = batch[i] as Append;
              expect(written === undefined).toBe(a.stale);
              for (const e of written ?? []) {
                model.push([e.streamId, e.version]);
                expect(e.position).toBe(model.length);
                wrote = true;
              }
            }
            if (wrote) batchesWritten++;
            heads.clear();
            for (const [k, v] of planned) heads.set(k, v);
          }
          for (const [from, limit] of [...reads, [1, 1_000_000] as [number, number]]) {
            const read = await all(store.readAll({ fromPosition: from, limit }));
            const want = model.slice(from - 1, from - 1 + limit);
            expect(read.map((e) => [e.streamId, e.version])).toEqual(want);
            expect(read.map((e) => e.position)).toEqual(want.map((_, i) => from + i));
          }
          expect(await store.lastPosition()).toBe(model.length);
        } finally {
          await store.close();
        }
        // One index key per batch that wrote events, nothing else in the log range.
        const db = new ClassicLevel<string, string>(path);
        await db.open();
        const keys = await db.keys({ gt: 'l', lt: 'lg' }).all();
        await db.close();
        expect(keys.length).toBe(batchesWritten);
        expect(keys.every((k) => k.length === 29)).toBe(true);
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});

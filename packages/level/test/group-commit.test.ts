import { type EventEnvelope, isVersionConflict } from '@actorfold/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

const ev = (n: number) => ({ data: { type: 'E', n } });

describe('group commit', () => {
  let store: LevelStore;
  beforeAll(async () => {
    store = await levelStore({ path: freshFolder() });
  });
  afterAll(async () => {
    await store.close();
  });

  it('writes appends to 100 streams issued in one tick as one LevelDB batch', async () => {
    const before = store.stats();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        store.append(`one-tick/${i}`, [ev(i), ev(i)], { expectedVersion: 0 }),
      ),
    );
    expect(results.every((r) => r.length === 2)).toBe(true);
    const after = store.stats();
    expect(after.batches - before.batches).toBe(1);
    expect(after.appends - before.appends).toBe(100);
    expect(after.events - before.events).toBe(200);
    // One batch, 200 consecutive positions.
    const positions = results.flat().map((e) => e.position);
    expect(new Set(positions).size).toBe(200);
    expect(Math.max(...positions) - Math.min(...positions)).toBe(199);
  });

  it('merges appends that arrive during a write into the next batch', async () => {
    const before = store.stats().batches;
    const first = store.append('in-flight/a', [ev(0)], { expectedVersion: 0 });
    await new Promise((resolve) => setImmediate(resolve)); // the first batch is now being written
    const later = Array.from({ length: 50 }, (_, i) =>
      store.append(`in-flight/b${i}`, [ev(i)], { expectedVersion: 0 }),
    );
    await Promise.all([first, ...later]);
    expect(store.stats().batches - before).toBe(2);
  });

  it('fails a conflicting append alone: its batch neighbours, on the same stream and others, are written', async () => {
    await store.append('alone/x', [ev(0)], { expectedVersion: 0 });
    const before = store.stats().batches;
    const settled = await Promise.allSettled([
      store.append('alone/x', [ev(1)], { expectedVersion: 1 }), // ok → head 2
      store.append('alone/x', [ev(2)], { expectedVersion: 1 }), // conflicts with the one before it
      store.append('alone/x', [ev(3), ev(4)], { expectedVersion: 2 }), // builds on the first: ok → head 4
      store.append('alone/y', [ev(5)], { expectedVersion: 0 }), // another stream: ok
      store.append('alone/y', [ev(6)], { expectedVersion: 5 }), // wrong: fails alone
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
    const conflict = (settled[1] as PromiseRejectedResult).reason;
    expect(isVersionConflict(conflict)).toBe(true);
    expect(conflict).toMatchObject({ expected: 1, actual: 2 });
    expect(store.stats().batches - before).toBe(1);
    expect(await versions(store, 'alone/x')).toEqual([1, 2, 3, 4]);
    expect(await store.streamVersion('alone/y')).toBe(1);
  });

  it('matches a sequential model over random bursts of concurrent appends, also after a reopen', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.record({
              stream: fc.integer({ min: 0, max: 3 }),
              skew: fc.integer({ min: -1, max: 1 }),
              n: fc.integer({ min: 0, max: 3 }),
            }),
            {
              minLength: 1,
              maxLength: 12,
            },
          ),
          { minLength: 1, maxLength: 6 },
        ),
        async (bursts) => {
          run++;
          const model = new Map<string, number[]>();
          for (const burst of bursts) {
            // The model decides each append in arrival order against the heads so far.
            const expected = burst.map((op) => {
              const id = `model${run}/${op.stream}`;
              const head = model.get(id)?.length ?? 0;
              const guess = Math.max(0, head + op.skew);
              const ok = guess === head;
              if (ok) model.set(id, [...(model.get(id) ?? []), ...Array.from({ length: op.n }, (_, k) => k)]);
              return { id, guess, ok };
            });
            const settled = await Promise.allSettled(
              burst.map((op, i) =>
                store.append(
                  expected[i]?.id as string,
                  Array.from({ length: op.n }, (_, k) => ev(k)),
                  {
                    expectedVersion: expected[i]?.guess as number,
                  },
                ),
              ),
            );
            expect(settled.map((s) => s.status === 'fulfilled')).toEqual(expected.map((e) => e.ok));
          }
          for (const [id, events] of model) {
            expect((await collect(store.readStream(id))).map((e) => e.data)).toEqual(
              events.map((n) => ({ type: 'E', n })),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
    // The log is gap-free and strictly increasing, and survives a reopen unchanged.
    const log = (await collect(store.readAll())).map((e) => `${e.position}:${e.streamId}@${e.version}`);
    const { path } = store;
    await store.close();
    store = await levelStore({ path });
    expect((await collect(store.readAll())).map((e) => `${e.position}:${e.streamId}@${e.version}`)).toEqual(
      log,
    );
    expect(log.map((l) => Number(l.split(':')[0]))).toEqual(log.map((_, i) => i + 1));
  });
});

async function collect(events: AsyncIterable<EventEnvelope>): Promise<EventEnvelope[]> {
  const all: EventEnvelope[] = [];
  for await (const e of events) all.push(e);
  return all;
}

async function versions(store: LevelStore, streamId: string): Promise<number[]> {
  return (await collect(store.readStream(streamId))).map((e) => e.version);
}

/**
 * The catch-up/live switch-over under random timings: a subscriber started at a random position
 * while commands keep landing (alone and in bursts, after random sync, microtask and macrotask
 * delays), pulling at its own random pace, must receive every position from its start to the
 * end exactly once, in order, on a store that notifies and on one that cannot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuntime, type EventEnvelope, type EventStore, memoryStore } from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
type Delay = 'sync' | 'micro' | 'macro';
const pause = (d: Delay): Promise<void> | undefined =>
  d === 'sync' ? undefined : d === 'micro' ? Promise.resolve() : new Promise((r) => setImmediate(r));

describe('subscription switch-over from catch-up to live', () => {
  it('delivers every position from the start on exactly once, in order, under random append and pull timings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 15 }),
        fc.float({ min: 0, max: 1, noNaN: true }),
        fc.array(
          fc.record({
            stream: fc.integer({ min: 0, max: 3 }),
            twice: fc.boolean(),
            delay: fc.constantFrom<Delay>('sync', 'micro', 'macro'),
            burst: fc.boolean(),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.array(fc.constantFrom<Delay>('sync', 'micro', 'macro'), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (initial, startAt, writes, pulls, notifying) => {
          const store = new ProbeStore(memoryStore(), {
            hideNotifications: !notifying,
          }) as unknown as EventStore;
          const rt = await createRuntime({ store, aggregates: [counter] });
          try {
            const h = (n: number) => rt.get(counter, `s${n}`);
            for (let i = 0; i < initial; i++) await h(i % 4).execute({ type: 'add', by: 1 });
            const from = 1 + Math.floor(startAt * initial);
            const total = initial + writes.reduce((n, w) => n + (w.twice ? 2 : 1), 0);
            const sub = rt.subscribe({ fromPosition: from, pageSize: 4 });

            const writer = (async () => {
              const inFlight: Array<Promise<unknown>> = [];
              for (const w of writes) {
                await pause(w.delay);
                const sent = h(w.stream).execute({ type: w.twice ? 'addTwice' : 'add', by: 1 });
                if (w.burst) inFlight.push(sent);
                else await sent;
              }
              await Promise.all(inFlight);
            })();

            const got: number[] = [];
            const reader = (async () => {
              for (let i = 0; got.length < total - from + 1; i++) {
                await pause(pulls[i % pulls.length] as Delay);
                const r = await sub.next();
                if (r.done) return;
                got.push((r.value as EventEnvelope).position);
              }
            })();
            // A lost wake-up shows as a reader that never finishes; 5 s is only a hang guard.
            let timer: NodeJS.Timeout | undefined;
            const hung = new Promise<'hung'>((r) => {
              timer = setTimeout(() => r('hung'), 5_000);
            });
            const outcome = await Promise.race([
              Promise.all([writer, reader]).then(() => 'done' as const),
              hung,
            ]);
            clearTimeout(timer);
            expect(outcome).toBe('done');
            expect(got).toEqual(Array.from({ length: total - from + 1 }, (_, i) => from + i));
          } finally {
            await rt.shutdown();
          }
        },
      ),
      { numRuns: SOAK ? 2_000 : 150 },
    );
  }, 120_000);
});

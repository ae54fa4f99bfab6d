/**
 * Hunts for lost, early, repeated or resurrected timer firings: random schedules, reschedules,
 * cancellations, firings that schedule again, evictions, runtime restarts on the same store and
 * clock jumps, on the simulated clock and the memory store, with small windows so that reloads
 * and window trimming happen. The stored streams are then checked against a model: every timer
 * fires exactly once in effect, never before its due time, never after it was cancelled or
 * replaced, and none is lost.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type EventStore, memoryStore, type Runtime, SimulatedClock } from '../src/index.js';
import { collect, flush } from './support/probe-store.js';
import type { ReminderEvent } from './support/reminder.js';
import { reminder, reopenable } from './support/reminder.js';

const IDS = ['a', 'b', 'c'];
const NAMES = ['x', 'y'];
const RUNS = process.env.ACTORFOLD_SOAK ? 1500 : 60;

type Op =
  | { kind: 'set'; agg: number; name: number; delay: number; again: number | null }
  | { kind: 'clear'; agg: number; name: number }
  | { kind: 'evict'; agg: number }
  | { kind: 'advance'; ms: number }
  /** A cancel or reschedule sent while due timers fire: they race in the mailbox. */
  | { kind: 'race'; ms: number; agg: number; name: number; clear: boolean; delay: number }
  | { kind: 'restart'; downMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      agg: fc.nat(IDS.length - 1),
      name: fc.nat(NAMES.length - 1),
      delay: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5000 })),
      again: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null, freq: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('clear' as const),
      agg: fc.nat(IDS.length - 1),
      name: fc.nat(NAMES.length - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('evict' as const), agg: fc.nat(IDS.length - 1) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // Mostly small steps, sometimes a jump past everything pending.
      ms: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 500 }), fc.constant(100_000)),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('race' as const),
      ms: fc.integer({ min: 0, max: 100 }),
      agg: fc.nat(IDS.length - 1),
      name: fc.nat(NAMES.length - 1),
      clear: fc.boolean(),
      delay: fc.integer({ min: 0, max: 100 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), downMs: fc.integer({ min: 0, max: 400 }) }),
  },
);

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 100 });
});

/** Runs the clock's due work (the service arms at "now" with a 0 ms timer) until no due timer is left. */
async function settle(clock: SimulatedClock, store: EventStore): Promise<void> {
  const timers = store.timers as NonNullable<EventStore['timers']>;
  for (let i = 0; i < 2000; i++) {
    clock.advance(0);
    await flush();
    if ((await timers.due(clock.now(), 1)).length === 0) {
      await flush();
      return;
    }
  }
  throw new Error('due timers did not fire');
}

describe('durable timers under random schedules, cancels, evictions, restarts and clock jumps', () => {
  it('fire each timer exactly once in effect, never early, never after a cancel, none lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(1, 2, 3, 1000),
        fc.constantFrom(1, 4, 64),
        async (ops, windowSize, concurrency) => {
          const clock = new SimulatedClock(1_000_000);
          const store = reopenable(memoryStore({ clock }));
          const begin = async () => {
            const rt = await createRuntime({
              store,
              clock,
              aggregates: [reminder],
              idleTimeoutMs: 50,
              timers: { windowSize, concurrency },
            });
            open.push(rt);
            return rt;
          };
          let runtime = await begin();
          /** The delay each ring tag was scheduled with. */
          const afterOf = new Map<string, number>();
          let nextTag = 0;
          for (const op of ops) {
            switch (op.kind) {
              case 'set': {
                const tag = `t${nextTag++}`;
                const name = NAMES[op.name] as string;
                afterOf.set(tag, op.delay);
                await runtime.get(reminder, IDS[op.agg] as string).execute({
                  type: 'set',
                  name,
                  when: { after: op.delay },
                  tag,
                  ...(op.again === null ? {} : { command: { type: 'ring', name, tag, again: op.again } }),
                });
                break;
              }
              case 'clear':
                await runtime
                  .get(reminder, IDS[op.agg] as string)
                  .execute({ type: 'clear', name: NAMES[op.name] as string });
                break;
              case 'evict':
                await runtime.evict(reminder, IDS[op.agg] as string);
                break;
              case 'advance':
                clock.advance(op.ms);
                await settle(clock, store);
                break;
              case 'race': {
                const name = NAMES[op.name] as string;
                const h = runtime.get(reminder, IDS[op.agg] as string);
                let sent: Promise<unknown>;
                if (op.clear) sent = h.execute({ type: 'clear', name });
                else {
                  const tag = `t${nextTag++}`;
                  afterOf.set(tag, op.delay);
                  sent = h.execute({ type: 'set', name, when: { after: op.delay }, tag });
                }
                clock.advance(op.ms);
                await sent;
                await settle(clock, store);
                break;
              }
              case 'restart':
                await runtime.shutdown();
                open.splice(open.indexOf(runtime), 1);
                clock.advance(op.downMs); // nobody runs: what comes due now is fired late at start
                runtime = await begin();
                await settle(clock, store);
                break;
            }
          }
          // Past every due time (twice: a firing may schedule once more): everything pending fires.
          for (let i = 0; i < 2; i++) {
            clock.advance(200_000);
            await settle(clock, store);
          }
          expect(await store.timers?.count()).toBe(0);

          const rang = new Set<string>();
          /** Due time of every ring tag: its decision's ctx.now plus its delay. */
          const dueOf = new Map<string, number>();
          for (const id of IDS) {
            const pending = new Map<string, string>();
            for (const env of await collect(store.readStream(`reminder/${id}`))) {
              const e = env.data as ReminderEvent;
              if (e.type === 'Set') {
                pending.set(e.name, e.tag);
                dueOf.set(e.tag, e.at + (afterOf.get(e.tag) as number));
              } else if (e.type === 'Cleared') pending.delete(e.name);
              else {
                // Fired only while pending: not after a cancel, not after being replaced.
                expect(pending.get(e.name)).toBe(e.tag);
                expect(rang.has(e.tag)).toBe(false);
                rang.add(e.tag);
                // Never before due, by the runtime's clock, and with the due time it was given.
                expect(e.dueAt).toBe(dueOf.get(e.tag));
                expect(e.at).toBeGreaterThanOrEqual(e.dueAt as number);
                expect(env.metadata.commandId).toMatch(/^timer:/);
                pending.delete(e.name);
                if (e.next !== null) {
                  pending.set(e.name, e.next.tag);
                  dueOf.set(e.next.tag, e.at + e.next.after);
                }
              }
            }
            // None lost: nothing still waits to fire.
            expect([...pending.values()]).toEqual([]);
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000);
});

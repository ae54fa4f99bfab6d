/**
 * Hunts for lost, repeated, late or resurrected effect results: random requests (with random
 * budgets), cancellations, re-requests under the same id, evictions and restarts, on the simulated
 * clock and the memory store, against a flaky simulated remote that fails, hangs past the timeout,
 * succeeds late (after the timeout), succeeds, or fails for good. The stored streams are then
 * checked against a model: every requested effect's result takes effect exactly once (none lost,
 * none twice, none after a cancel or a replacement), retries stop at the budget, a cancelled
 * effect is never started again once its cancel is stored, and the remote always sees one
 * idempotency key per effect.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  type EffectContext,
  effectIdempotencyKey,
  memoryStore,
  type Runtime,
  SimulatedClock,
} from '../src/index.js';
import { collect, flush } from './support/probe-store.js';
import { reopenable } from './support/reminder.js';
import { type RequesterEvent, requester } from './support/requester.js';

const IDS = ['a', 'b', 'c'];
const EFFECT_IDS = ['x', 'y'];
const RUNS = process.env.ACTORFOLD_SOAK ? 1000 : 100;
const TIMEOUT_MS = 50;

/** What the remote does with one call. */
type Behaviour = 'ok' | 'fail' | 'hang' | 'late' | 'fatal';

type Op =
  | { kind: 'send'; agg: number; id: number; max: number }
  | { kind: 'cancel'; agg: number; id: number }
  | { kind: 'evict'; agg: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'restart'; downMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      agg: fc.nat(IDS.length - 1),
      id: fc.nat(EFFECT_IDS.length - 1),
      max: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      agg: fc.nat(IDS.length - 1),
      id: fc.nat(EFFECT_IDS.length - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('evict' as const), agg: fc.nat(IDS.length - 1) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 200 }), fc.constant(20_000)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), downMs: fc.integer({ min: 0, max: 100 }) }),
  },
);

const behaviourArb = fc.array(fc.constantFrom<Behaviour>('ok', 'fail', 'hang', 'late', 'fatal'), {
  minLength: 1,
  maxLength: 12,
});

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 100 });
});

/** Lets the due work run: the clock's 0 ms timers, then every promise and I/O callback they start. */
async function settle(clock: SimulatedClock): Promise<void> {
  for (let i = 0; i < 20; i++) {
    clock.advance(0);
    await flush();
  }
}

describe('durable effects against a flaky remote, with cancels, evictions and restarts', () => {
  it('deliver every result exactly once, retry within the budget, never run or deliver a cancelled effect', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 30 }),
        behaviourArb,
        fc.constantFrom(1, 1, 2, 16),
        async (ops, behaviours, concurrency) => {
          const clock = new SimulatedClock(1_000_000);
          const store = reopenable(memoryStore({ clock }));
          let calls = 0;
          /** Keys whose cancel (or replacement) is stored: the remote must not see them again. */
          const over = new Set<string>();
          const violations: string[] = [];
          /** Idempotency key → the effect identity it was given for. */
          const keys = new Map<string, string>();
          /** Calls per idempotency key. */
          const callsOf = new Map<string, number>();
          const remote = (input: unknown, ctx: EffectContext): Promise<unknown> => {
            const behaviour = behaviours[calls++ % behaviours.length] as Behaviour;
            const identity = `${ctx.streamId}|${ctx.effect.id}|${ctx.effect.version}`;
            const known = keys.get(ctx.idempotencyKey);
            if (known !== undefined && known !== identity)
              violations.push(`key reused: ${identity} vs ${known}`);
            keys.set(ctx.idempotencyKey, identity);
            callsOf.set(ctx.idempotencyKey, (callsOf.get(ctx.idempotencyKey) ?? 0) + 1);
            if (over.has(ctx.idempotencyKey)) violations.push(`cancelled effect started: ${identity}`);
            const payload = (input as { payload: unknown }).payload;
            switch (behaviour) {
              case 'ok':
                return Promise.resolve({ echo: payload, attempt: ctx.attempt });
              case 'fail':
                return Promise.reject(new Error('remote unavailable'));
              case 'fatal':
                return Promise.reject(
                  Object.assign(new Error('refused by the remote'), { retryable: false }),
                );
              case 'hang':
                // Never answers; ends only when the signal aborts (timeout, cancel, shutdown).
                return new Promise((_resolve, reject) =>
                  ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
                );
              case 'late':
                // Ignores its signal and succeeds after the timeout: the runner must not wait for it.
                return new Promise((resolve) =>
                  clock.setTimeout(() => resolve({ echo: payload, late: true }), TIMEOUT_MS * 2),
                );
            }
          };
          const begin = async () => {
            const rt = await createRuntime({
              store,
              clock,
              aggregates: [requester],
              idleTimeoutMs: 40,
              effects: {
                implementations: { remote },
                timeoutMs: TIMEOUT_MS,
                concurrency,
                backoff: { initialMs: 5, maxMs: 100 },
              },
            });
            open.push(rt);
            return rt;
          };
          let runtime = await begin();
          let restarts = 0;
          /** Budget of each request, by stream, id and version. */
          const budgetOf = new Map<string, number>();
          const pendingVersion = async (streamId: string, id: string): Promise<number | undefined> => {
            let v: number | undefined;
            for (const env of await collect(store.readStream(streamId))) {
              const e = env.data as RequesterEvent;
              if (e.type === 'Requested' && e.id === id) v = env.version;
              else if ((e.type === 'CancelRequested' || e.type === 'Settled') && e.id === id) v = undefined;
            }
            return v;
          };
          for (const op of ops) {
            switch (op.kind) {
              case 'send':
              case 'cancel': {
                const aggId = IDS[op.agg] as string;
                const id = EFFECT_IDS[op.id] as string;
                const streamId = `requester/${aggId}`;
                const before = await pendingVersion(streamId, id);
                const h = runtime.get(requester, aggId);
                const r =
                  op.kind === 'send'
                    ? await h.execute({ type: 'send', id, payload: op.max, maxAttempts: op.max })
                    : await h.execute({ type: 'cancel', id });
                if (op.kind === 'send') budgetOf.set(`${streamId}|${id}|${r.version}`, op.max);
                // The pending request under that id (if any) is now cancelled or replaced.
                if (before !== undefined) over.add(effectIdempotencyKey(streamId, id, before));
                await settle(clock);
                break;
              }
              case 'evict':
                await runtime.evict(requester, IDS[op.agg] as string);
                break;
              case 'advance':
                clock.advance(op.ms);
                await settle(clock);
                break;
              case 'restart':
                await runtime.shutdown();
                open.splice(open.indexOf(runtime), 1);
                restarts++;
                clock.advance(op.downMs);
                runtime = await begin();
                await settle(clock);
                break;
            }
          }
          // Long enough for every retry and every delivery: nothing may stay pending.
          for (let i = 0; i < 60 && ((await store.timers?.count()) ?? 0) > 0; i++) {
            clock.advance(5_000);
            await settle(clock);
          }
          expect(await store.timers?.count()).toBe(0);
          expect(violations).toEqual([]);

          for (const aggId of IDS) {
            const streamId = `requester/${aggId}`;
            const pending = new Map<string, number>();
            const settled = new Set<string>();
            for (const env of await collect(store.readStream(streamId))) {
              const e = env.data as RequesterEvent;
              if (e.type === 'Requested') pending.set(e.id, env.version);
              else if (e.type === 'CancelRequested') pending.delete(e.id);
              else {
                const identity = `${streamId}|${e.id}|${e.version}`;
                // Delivered only while pending (not after a cancel, not for a replaced request), once.
                expect(pending.get(e.id)).toBe(e.version);
                expect(settled.has(identity)).toBe(false);
                settled.add(identity);
                expect(e.settledId).toBe(e.id);
                expect(env.metadata.commandId).toBe(`timer:@effect:${e.id}@${e.version}`);
                pending.delete(e.id);
                const budget = budgetOf.get(identity) as number;
                // Retries stop at the budget; a failure before it is one the remote refused for good.
                expect(e.attempts).toBeGreaterThanOrEqual(1);
                expect(e.attempts).toBeLessThanOrEqual(budget);
                if (e.outcome === 'failed' && e.attempts < budget)
                  expect(e.error?.message).toBe('refused by the remote');
                if (e.outcome === 'done') expect((e.output as { echo: unknown }).echo).toBe(budget);
                // Attempts made: at most the budget, plus one re-run per restart that aborted one.
                const key = effectIdempotencyKey(streamId, e.id, e.version);
                expect(callsOf.get(key) ?? 0).toBeLessThanOrEqual(budget + restarts);
                expect(callsOf.get(key) ?? 0).toBeGreaterThanOrEqual(e.attempts);
              }
            }
            // None lost: every request not cancelled was delivered.
            expect([...pending.entries()]).toEqual([]);
          }
          // Counters agree with what the aggregate received (this runtime's share of them).
          const c = runtime.metrics().counters;
          expect(c.effectsStarted).toBeGreaterThanOrEqual(c.effectsSucceeded + c.effectsFailed);
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000);
});

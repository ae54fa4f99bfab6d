/**
 * A store outage delays subscriptions and projections; it does not end them. Reads and
 * checkpoint calls that fail with a transient store error are retried with a bounded, jittered
 * backoff from the last position seen, and the wait shows in `status()`, `subscription.retrying`
 * and the metrics. CORRUPT_DATA still stops them; a shutdown ends them quietly.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineProjection,
  type EventEnvelope,
  memoryStore,
  type Runtime,
  type Subscription,
} from '../src/index.js';
import { backoffDelay } from '../src/subscriptions/store-retry.js';
import { counter } from './support/counter.js';
import { OutageStore } from './support/outage-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

async function start(store: OutageStore): Promise<Runtime> {
  const rt = await createRuntime({ store, aggregates: [counter], storeRetry: { initialMs: 2, maxMs: 20 } });
  open.push(rt);
  return rt;
}

const add = (rt: Runtime, id: string, by: number) => rt.get(counter, id).execute({ type: 'add', by });

/** Drains a subscription into `into` in the background; resolves with its end (or rejects with its error). */
function drain(sub: Subscription, into: number[]): Promise<void> {
  return (async () => {
    for await (const e of sub) into.push(e.position);
  })();
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type Sum = { total: number; events: number };
const sums = (mode: 'exactly-once' | 'at-least-once') =>
  defineProjection({
    name: `sums-${mode}`,
    mode,
    init: (): Sum => ({ total: 0, events: 0 }),
    handlers: {
      Added: (s: Sum, e: EventEnvelope) => ({
        total: s.total + (e.data as { type: string; by: number }).by,
        events: s.events + 1,
      }),
    },
    commitEvery: 3,
  });

describe('store outages', () => {
  it('a subscription waits out an outage and then delivers every position once, in order', async () => {
    const store = new OutageStore(memoryStore());
    const rt = await start(store);
    for (let i = 1; i <= 10; i++) await add(rt, `c${i % 3}`, i);
    const sub = rt.subscribe({ pageSize: 4 });
    const got: number[] = [];
    const done = drain(sub, got);
    await expect.poll(() => got.length).toBe(10);

    store.down = true;
    for (let i = 11; i <= 30; i++) await add(rt, `c${i % 3}`, i);
    await expect.poll(() => sub.retrying?.attempt ?? 0).toBeGreaterThanOrEqual(3);
    expect(sub.retrying?.error).toMatchObject({ code: 'STORE_ERROR', reason: 'CONNECTION' });
    const during = rt.metrics();
    expect(during.gauges.storeRetrying).toBe(1);
    expect(during.counters.storeRetries).toBeGreaterThanOrEqual(3);
    const before = got.length;

    store.down = false;
    for (let i = 31; i <= 35; i++) await add(rt, `c${i % 3}`, i);
    await expect.poll(() => got.length).toBe(35);
    expect(before).toBeLessThan(35);
    expect(got).toEqual(range(1, 35));
    expect(sub.retrying).toBeUndefined();
    expect(rt.metrics().gauges.storeRetrying).toBe(0);
    await rt.shutdown();
    await done;
  });

  it.each(['exactly-once', 'at-least-once'] as const)(
    'a %s projection reports retrying with the last error, then resumes where it was with its read model',
    async (mode) => {
      const store = new OutageStore(memoryStore());
      const rt = await start(store);
      for (let i = 1; i <= 7; i++) await add(rt, 'a', i);
      const p = rt.project(sums(mode));
      await p.waitFor(7);

      store.down = true;
      for (let i = 8; i <= 20; i++) await add(rt, 'b', i);
      await expect.poll(() => p.status().state).toBe('retrying');
      await expect.poll(() => p.status().attempt ?? 0).toBeGreaterThanOrEqual(2);
      expect(p.status().error).toMatchObject({ code: 'STORE_ERROR', reason: 'CONNECTION' });
      expect(rt.projections()[0]?.state).toBe('retrying');

      store.down = false;
      await p.waitFor(20);
      await expect.poll(() => p.status().state).toBe('caught-up');
      // Every event once: a replay from position 1 or a repeated page would count some twice.
      expect(p.state()).toEqual({ total: 210, events: 20 });
      expect(p.status()).toMatchObject({ position: 20, checkpoint: 20 });
      expect(p.status().error).toBeUndefined();
      expect(p.status().attempt).toBeUndefined();
      if (mode === 'exactly-once')
        expect(await store.inner.checkpoints.getState?.(p.name)).toEqual({
          position: 20,
          state: { total: 210, events: 20 },
        });
      else expect(await store.inner.checkpoints.get(p.name)).toBe(20);
    },
  );

  it('a projection whose checkpoint cannot be loaded at start retries until it can', async () => {
    const store = new OutageStore(memoryStore());
    const rt = await start(store);
    for (let i = 1; i <= 4; i++) await add(rt, 'a', i);
    store.down = true;
    const p = rt.project(sums('exactly-once'));
    await expect.poll(() => p.status().state).toBe('retrying');
    store.down = false;
    await p.waitFor(4);
    expect(p.state()).toEqual({ total: 10, events: 4 });
  });

  it('CORRUPT_DATA is not transient: it ends a subscription with that error and fails a projection', async () => {
    const store = new OutageStore(memoryStore());
    const rt = await start(store);
    for (let i = 1; i <= 5; i++) await add(rt, 'a', i);
    store.corrupt = true;
    const got: number[] = [];
    await expect(drain(rt.subscribe(), got)).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    const p = rt.project(sums('exactly-once'));
    await expect.poll(() => p.status().state).toBe('failed');
    expect(p.status().error).toMatchObject({ code: 'CORRUPT_DATA' });
    expect(rt.metrics().counters.storeRetries).toBe(0);
  });

  it('a shutdown during an outage ends subscriptions quietly and stops projections', async () => {
    const store = new OutageStore(memoryStore());
    const rt = await start(store);
    for (let i = 1; i <= 5; i++) await add(rt, 'a', i);
    const p = rt.project(sums('exactly-once'));
    await p.waitFor(5);
    const sub = rt.subscribe();
    const got: number[] = [];
    const done = drain(sub, got);
    await expect.poll(() => got.length).toBe(5);
    store.down = true;
    await add(rt, 'a', 6);
    await expect.poll(() => sub.retrying !== undefined && p.status().state === 'retrying').toBe(true);
    await rt.shutdown();
    await expect(done).resolves.toBeUndefined();
    expect(p.status().state).toBe('stopped');
    expect(rt.metrics().gauges.storeRetrying).toBe(0);
  });

  it('backs off exponentially, bounded by maxMs, jittered between half and all of each step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialMs, extra, attempt, r) => {
          const b = { initialMs, maxMs: initialMs + extra };
          const ceiling = Math.min(b.maxMs, initialMs * 2 ** (attempt - 1));
          const d = backoffDelay(b, attempt, () => r);
          return d >= Math.floor(ceiling / 2) && d <= Math.ceil(ceiling) && d <= b.maxMs;
        },
      ),
    );
    const b = { initialMs: 100, maxMs: 5_000 };
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(b, a, () => 0.999999))).toEqual([
      100, 200, 400, 800, 5000,
    ]);
    expect(backoffDelay(b, 1, () => 0)).toBe(50);
  });

  it('refuses a bad storeRetry option', async () => {
    await expect(
      createRuntime({ aggregates: [counter], storeRetry: { initialMs: 0 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      createRuntime({ aggregates: [counter], storeRetry: { initialMs: 100, maxMs: 10 } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

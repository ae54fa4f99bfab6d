import { createRuntime, type EventStore, memoryStore, type Runtime, SimulatedClock } from '@actorfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { fromMachine, type StatechartState } from '../src/index.js';
import { purchaseOrder, retryWithBackoff, trafficLight } from './support/delayed-machines.js';
import { T0 } from './support/runtime.js';

const light = fromMachine({ type: 'light', machines: { v1: trafficLight } });
const retry = fromMachine({ type: 'fetch', machines: { v1: retryWithBackoff } });
const order = fromMachine({ type: 'order', machines: { v1: purchaseOrder } });
const aggregates = [light, retry, order];

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

/** A memory store that survives its runtime (as a folder would), on the simulated clock. */
function disk(clock: SimulatedClock): EventStore {
  const store = memoryStore({ clock });
  return { ...store, close: async () => {} };
}

async function start(store: EventStore, clock: SimulatedClock, idleTimeoutMs = Number.POSITIVE_INFINITY) {
  const rt = await createRuntime({ store, aggregates, clock, idleTimeoutMs });
  open.push(rt);
  return rt;
}

/** Lets the work the timers started settle (the memory store does no I/O: promise turns only). */
async function settle(rounds = 12): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Advances the clock in steps, settling after each, so that timers armed by firings fire too. */
async function advance(clock: SimulatedClock, ms: number, step = 500): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle();
  }
}

function lamp(state: StatechartState<unknown>): unknown {
  return (state.value as { running?: { lamp?: unknown } }).running?.lamp ?? state.value;
}

describe('after transitions through the runtime (durable timers on the simulated clock)', () => {
  it('the traffic light cycles by itself at the due times, and a fresh runtime replays the same state', async () => {
    const clock = new SimulatedClock(T0);
    const store = disk(clock);
    const rt = await start(store, clock);
    const h = rt.get(light, 'crossing-1');
    await h.execute({ type: 'pressButton' });
    await advance(clock, 29_500);
    expect(lamp((await h.state()).state)).toBe('green');
    await advance(clock, 500);
    expect(lamp((await h.state()).state)).toBe('yellow');
    await advance(clock, 5_000 + 15_000);
    expect(lamp((await h.state()).state)).toBe('green');
    const live = await h.state();
    expect(rt.metrics().counters.timersFired).toBeGreaterThan(3);
    await rt.shutdown();

    const again = await start(store, new SimulatedClock(clock.now()));
    const replayed = await again.get(light, 'crossing-1').state();
    expect(replayed).toEqual(live);
  });

  it('leaving the states cancels their timers in the store; nothing fires afterwards', async () => {
    const clock = new SimulatedClock(T0);
    const store = disk(clock);
    const rt = await start(store, clock);
    const h = rt.get(light, 'crossing-2');
    await h.execute({ type: 'pressButton' });
    expect(await store.timers?.count()).toBe(2);
    await h.execute({ type: 'powerOutage' });
    expect(await store.timers?.count()).toBe(0);
    const { version } = await h.state();
    await advance(clock, 120_000, 10_000);
    expect((await h.state()).version).toBe(version);
  });

  it('a pending back-off survives a restart and fires once, on the new runtime', async () => {
    const clock = new SimulatedClock(T0);
    const store = disk(clock);
    const first = await start(store, clock);
    const h = first.get(retry, 'job-1');
    await h.execute({ type: 'fetch' });
    await h.execute({ type: 'fail' });
    await first.shutdown();

    const rt = await start(store, clock);
    await advance(clock, 999, 333);
    expect((await rt.get(retry, 'job-1').state()).state.value).toBe('failure');
    await advance(clock, 1, 1);
    const after = await rt.get(retry, 'job-1').state();
    expect(after.state).toMatchObject({ value: 'loading', context: { attempts: 2 } });
    expect(after.version).toBe(3);
    expect(rt.metrics().counters.timersFired).toBe(1);
  });

  it('an evicted order is woken by its thirty-day deadline', async () => {
    const clock = new SimulatedClock(T0);
    const store = disk(clock);
    const rt = await start(store, clock, 60_000);
    const h = rt.get(order, 'o-1');
    await h.execute({ type: 'createOrder' });
    await advance(clock, 120_000, 60_000);
    expect(h.isAlive()).toBe(false);
    clock.advance(30 * 86_400_000);
    await settle();
    expect((await h.state()).state).toMatchObject({ value: 'cancelled', done: true });
  });
});

/**
 * Projections driven as careless or hostile code would drive them: read models JSON cannot keep,
 * overlapping rebuilds, positions that are not positions. Public API only.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CheckpointStore,
  createRuntime,
  defineProjection,
  type EventStore,
  memoryStore,
  type Runtime,
} from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

const logger = pino({ level: 'silent' });

async function start(store: EventStore): Promise<Runtime> {
  const rt = await createRuntime({ store, aggregates: [counter], logger });
  open.push(rt);
  return rt;
}

async function addMany(rt: Runtime, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await rt.get(counter, `c${i % 3}`).execute({ type: 'add', by: 1 });
}

/** A memory store kept across runtimes, whose `held`-th checkpoint delete waits until released. */
function gatedStore(): { store: EventStore; inner: EventStore; hold(nth: number): () => void } {
  const inner = memoryStore();
  const cps = inner.checkpoints;
  let deletes = 0;
  let held = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const checkpoints: CheckpointStore = {
    get: (n) => cps.get(n),
    set: (n, p) => cps.set(n, p),
    getState: (n) => cps.getState?.(n) ?? Promise.resolve(undefined),
    setState: (n, p, s) => cps.setState?.(n, p, s) ?? Promise.resolve(),
    async delete(n) {
      if (++deletes === held) await gate;
      await cps.delete?.(n);
    },
  };
  class Gated extends ProbeStore {
    override get checkpoints() {
      return checkpoints;
    }
  }
  const store = new Gated(inner, { keepOnClose: true }) as unknown as EventStore;
  return {
    store,
    inner,
    hold(nth) {
      held = nth;
      return release;
    },
  };
}

describe('an exactly-once read model is saved only if it loads back as it is', () => {
  it('refuses a read model holding a Map (JSON would save {}) with INVALID_ARGUMENT, and saves nothing changed', async () => {
    const { store, inner } = gatedStore();
    const rt = await start(store);
    await addMany(rt, 3);
    const seen = defineProjection({
      name: 'seen',
      init: () => ({ byId: new Map<string, number>() }),
      handlers: {
        Added(s, e) {
          s.byId.set(e.aggregateId, (s.byId.get(e.aggregateId) ?? 0) + 1);
        },
      },
    });
    const p = rt.project(seen);
    await expect.poll(() => p.status().state).toBe('failed');
    const error = p.status().error as Error & { code?: string };
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/read model\.byId/);
    // Nothing that would come back as {} was stored: a restart starts from init(), not from {}.
    expect(await inner.checkpoints.getState?.('seen')).toBeUndefined();
    expect(p.status().checkpoint).toBe(0);
    await expect(p.waitFor(4)).rejects.toBe(error);
  });

  it('refuses a Date, NaN, an undefined array item, a function and a class instance the same way, naming where they are', async () => {
    const rt = await start(gatedStore().store);
    await addMany(rt, 2);
    for (const [name, init, where] of [
      ['dated', () => ({ at: new Date(0), n: 0 }), /read model\.at/],
      ['nan', () => ({ ratio: Number.NaN, n: 0 }), /read model\.ratio/],
      ['undefined-item', () => ({ list: [undefined], n: 0 }), /read model\.list\[0\]/],
      ['function', () => ({ format: () => '', n: 0 }), /read model\.format/],
      ['instance', () => ({ total: new (class Money {})(), n: 0 }), /read model\.total is a Money/],
    ] as const) {
      const p = rt.project(
        defineProjection<{ n: number }>({ name, init, handlers: { Added: (s) => ({ ...s, n: s.n + 1 }) } }),
      );
      await expect.poll(() => p.status().state).toBe('failed');
      expect(p.status().error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(where),
      });
    }
  });

  it('still saves what JSON gives back equal: undefined-valued keys, -0, nested plain objects and arrays', async () => {
    const { store, inner } = gatedStore();
    const rt = await start(store);
    await addMany(rt, 4);
    const p = rt.project(
      defineProjection({
        name: 'plain',
        init: () => ({
          n: 0,
          zero: -0,
          note: undefined as string | undefined,
          list: [] as number[],
          deep: { a: [{ b: null }] },
        }),
        handlers: { Added: (s, e) => ({ ...s, n: s.n + 1, list: [...s.list, e.position] }) },
      }),
    );
    await p.waitFor(4);
    await expect.poll(() => p.status().state).toBe('caught-up');
    expect(await inner.checkpoints.getState?.('plain')).toEqual({
      position: 4,
      state: { n: 4, zero: 0, list: [1, 2, 3, 4], deep: { a: [{ b: null }] } },
    });
  });
});

describe('switching a projection from at-least-once to exactly-once', () => {
  it('refuses to resume from a checkpoint without a read model, and rebuild() folds it from the first event', async () => {
    const rt = await start(gatedStore().store);
    await addMany(rt, 5);
    const spec = {
      name: 'switched',
      init: () => ({ n: 0 }),
      handlers: { Added: (s: { n: number }) => ({ n: s.n + 1 }) },
    };
    const before = rt.project(defineProjection({ ...spec, mode: 'at-least-once' }));
    await before.waitFor(5);
    await before.stop();
    const after = rt.project(defineProjection({ ...spec, mode: 'exactly-once' }));
    await expect(after.waitFor(5)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/position 5 but no read model/),
    });
    expect(after.status()).toMatchObject({ state: 'failed', position: 0 });
    await after.rebuild();
    await addMany(rt, 1);
    await after.waitFor(6);
    expect(after.state()).toEqual({ n: 6 });
  });
});

describe('a checkpoint beyond the end of the log', () => {
  it('fails the projection with CORRUPT_DATA rather than skipping the events appended next', async () => {
    const { store, inner } = gatedStore();
    const rt = await start(store);
    await addMany(rt, 3);
    // As after the events were restored from an older backup than the checkpoints.
    await inner.checkpoints.setState?.('ahead', 9, { n: 9 });
    const p = rt.project(
      defineProjection({
        name: 'ahead',
        init: () => ({ n: 0 }),
        handlers: { Added: (s) => ({ n: s.n + 1 }) },
      }),
    );
    await expect(p.waitFor(10)).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      message: expect.stringMatching(/position 9 but the log ends at 3/),
    });
    await p.rebuild();
    await p.waitFor(3);
    expect(p.state()).toEqual({ n: 3 });
  });
});

describe('shutdown', () => {
  it('a handler that never settles holds up shutdown for timeoutMs at most; the store is closed and the last checkpoint kept', async () => {
    const inner = memoryStore();
    const rt = await createRuntime({ store: inner, aggregates: [counter], logger });
    await addMany(rt, 2);
    let calls = 0;
    const p = rt.project(
      defineProjection({
        name: 'stuck',
        mode: 'at-least-once',
        init: () => ({ n: 0 }),
        handlers: {
          Added: (s) => {
            calls++;
            // The first event is handled; the second never finishes.
            return calls === 1 ? { n: s.n + 1 } : new Promise<never>(() => undefined);
          },
        },
      }),
    );
    await p.waitFor(1);
    await expect(rt.shutdown({ timeoutMs: 50 })).resolves.toBeUndefined();
    await expect(inner.checkpoints.get('stuck')).rejects.toMatchObject({ reason: 'CLOSED' });
  });
});

describe('rebuild', () => {
  const tally = defineProjection({
    name: 'tally',
    init: () => ({ n: 0 }),
    handlers: { Added: (s) => ({ n: s.n + 1 }) },
    commitEvery: 1,
  });

  it('run twice at once, the second after the first: the saved read model is the fold of every event', async () => {
    const { store, inner, hold } = gatedStore();
    const rt = await start(store);
    await addMany(rt, 20);
    const p = rt.project(tally);
    await p.waitFor(20);
    // The second rebuild's delete waits while the run the first one started goes on.
    const release = hold(2);
    const first = p.rebuild();
    const second = p.rebuild();
    await first;
    // One turn: on a memory store the run the first rebuild started loads and catches up in it.
    await new Promise((r) => setImmediate(r));
    release();
    await second;
    await addMany(rt, 1);
    await p.waitFor(21);
    await expect.poll(() => p.status().state).toBe('caught-up');
    expect(p.state()).toEqual({ n: 21 });
    expect(await inner.checkpoints.getState?.('tally')).toEqual({ position: 21, state: { n: 21 } });
  });

  it('a restart, or projecting the name again, while a rebuild deletes the checkpoint does not run a second copy', async () => {
    const { store, inner, hold } = gatedStore();
    const rt = await start(store);
    await addMany(rt, 10);
    const p = rt.project(tally);
    await p.waitFor(10);
    const release = hold(1);
    const rebuilt = p.rebuild();
    await expect.poll(() => p.status().state).toBe('starting');
    p.restart(); // a no-op: the rebuild starts it
    expect(() => rt.project(tally)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const waiting = p.waitFor(11); // a reader waiting through the rebuild is not turned away
    release();
    await rebuilt;
    await addMany(rt, 1);
    await waiting;
    await expect.poll(() => p.status().state).toBe('caught-up');
    expect(p.state()).toEqual({ n: 11 });
    expect(await inner.checkpoints.getState?.('tally')).toEqual({ position: 11, state: { n: 11 } });
  });
});

describe('defineProjection', () => {
  it('refuses a misspelt key rather than folding what it was meant to leave out', () => {
    const spec = { name: 'typo', init: () => 0, handlers: { Added: (n: number) => n + 1 } };
    for (const typo of [{ aggregateType: ['counter'] }, { commitevery: 10 }, { modes: 'at-least-once' }]) {
      expect(() => defineProjection({ ...spec, ...typo } as never), JSON.stringify(typo)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/unknown key/) }),
      );
    }
  });
});

describe('waitFor', () => {
  it('refuses what is not a global position with INVALID_ARGUMENT instead of waiting forever or coercing', async () => {
    const rt = await start(gatedStore().store);
    await addMany(rt, 1);
    const p = rt.project(defineProjection({ name: 'w', init: () => 0, handlers: { Added: (s) => s + 1 } }));
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, -1, '1', null, undefined, {}]) {
      await expect(p.waitFor(bad as number), String(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(p.waitFor(0)).resolves.toBeUndefined();
    await expect(p.waitFor(1)).resolves.toBeUndefined();
  });
});

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineProjection,
  type EventEnvelope,
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

/** A memory store that survives runtime shutdowns, as a folder survives a restart. */
const disk = () => new ProbeStore(memoryStore(), { keepOnClose: true }) as unknown as EventStore;

async function start(store: EventStore, logger = pino({ level: 'silent' })): Promise<Runtime> {
  const rt = await createRuntime({ store, aggregates: [counter], logger });
  open.push(rt);
  return rt;
}

const add = (rt: Runtime, id: string, by: number) => rt.get(counter, id).execute({ type: 'add', by });

type Totals = { total: number; events: number; byId: Record<string, number> };
const totalsSpec = {
  name: 'totals',
  init: (): Totals => ({ total: 0, events: 0, byId: {} }),
  handlers: {
    Added: (s: Totals, e: EventEnvelope) => {
      const by = (e.data as { type: string; by: number }).by;
      return {
        total: s.total + by,
        events: s.events + 1,
        byId: { ...s.byId, [e.aggregateId]: (s.byId[e.aggregateId] ?? 0) + by },
      };
    },
  },
  commitEvery: 3,
};

describe('projections', () => {
  it('catches up from the log, follows it live, and reports caught-up with no lag', async () => {
    const rt = await start(disk());
    for (let i = 1; i <= 5; i++) await add(rt, `a${i % 2}`, i);
    const p = rt.project(defineProjection(totalsSpec));
    await p.waitFor(5);
    expect(p.state()).toEqual({ total: 15, events: 5, byId: { a0: 6, a1: 9 } });
    const r = await add(rt, 'a0', 100);
    await p.waitFor(r.events[0]?.position as number);
    expect(p.state().total).toBe(115);
    await expect.poll(() => p.status().state).toBe('caught-up');
    expect(p.status()).toMatchObject({ name: 'totals', position: 6, checkpoint: 6, lag: 0 });
  });

  it('reports its lag behind the stored log from the start, before any new append', async () => {
    const store = disk();
    const first = await start(store);
    for (let i = 1; i <= 8; i++) await add(first, 'a', i);
    await first.shutdown();
    const rt = await start(store);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const p = rt.project(
      defineProjection({
        name: 'slow',
        init: () => 0,
        handlers: {
          Added: async (n: number) => {
            await held;
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => p.status().lag).toBe(8);
    expect(rt.projections()[0]).toMatchObject({ name: 'slow', position: 0, lag: 8 });
    release();
    await p.waitFor(8);
    expect(p.status().lag).toBe(0);
  });

  it('exactly-once: restarts from the read model saved with its checkpoint, counting nothing twice', async () => {
    const store = disk();
    const rt1 = await start(store);
    const def = defineProjection(totalsSpec);
    const p1 = rt1.project(def);
    for (let i = 0; i < 10; i++) await add(rt1, 'x', 1);
    await p1.waitFor(10);
    await rt1.shutdown(); // stops the projection: it saves state and checkpoint together
    expect(await store.checkpoints.getState?.('totals')).toEqual({
      position: 10,
      state: { total: 10, events: 10, byId: { x: 10 } },
    });
    const rt2 = await start(store);
    await add(rt2, 'x', 5);
    const p2 = rt2.project(def);
    await p2.waitFor(11);
    expect(p2.state()).toEqual({ total: 15, events: 11, byId: { x: 15 } });
  });

  it('at-least-once: saves only the checkpoint and hands every event after it to the handler again', async () => {
    const store = disk();
    const forwarded: number[] = [];
    const outbox = defineProjection({
      name: 'outbox',
      mode: 'at-least-once',
      commitEvery: 1_000, // only when caught up or stopped
      init: () => null,
      handlers: {
        Added: (_s, e) => {
          forwarded.push(e.position);
          return null;
        },
      },
    });
    const rt1 = await start(store);
    for (let i = 0; i < 4; i++) await add(rt1, 'o', 1);
    const p1 = rt1.project(outbox);
    await p1.waitFor(4);
    await expect.poll(() => p1.status().checkpoint).toBe(4);
    await rt1.shutdown();
    expect(await store.checkpoints.get('outbox')).toBe(4);
    expect(await store.checkpoints.getState?.('outbox')).toEqual({ position: 4, state: undefined });
    const rt2 = await start(store);
    for (let i = 0; i < 2; i++) await add(rt2, 'o', 1);
    await rt2.project(outbox).waitFor(6);
    expect(forwarded).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stops at an event whose handler throws, logs it, and resumes at that same event on restart', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const rt = await start(disk(), logger);
    for (let i = 1; i <= 6; i++) await add(rt, 'f', i);
    let broken = true;
    const seen: number[] = [];
    const def = defineProjection({
      ...totalsSpec,
      name: 'fragile',
      handlers: {
        Added: (s: Totals, e: EventEnvelope) => {
          if (broken && e.position === 4) throw new Error('bad row');
          seen.push(e.position);
          return totalsSpec.handlers.Added(s, e);
        },
      },
    });
    const p = rt.project(def);
    await expect(p.waitFor(6)).rejects.toMatchObject({
      code: 'PROJECTION_FAILED',
      position: 4,
      eventType: 'Added',
    });
    expect(p.status()).toMatchObject({ state: 'failed', position: 3 });
    expect(p.status().checkpoint).toBeLessThanOrEqual(3);
    expect(lines.some((l) => l.projection === 'fragile' && l.position === 4 && l.eventType === 'Added')).toBe(
      true,
    );
    broken = false;
    p.restart();
    await p.waitFor(6);
    expect(p.state()).toEqual({ total: 21, events: 6, byId: { f: 21 } });
    expect(seen.filter((x) => x === 4)).toEqual([4]); // the failed event was not skipped, and applied once
  });

  it('rebuilds from position 0 without stopping the runtime, reaching the same read model', async () => {
    const rt = await start(disk());
    for (let i = 1; i <= 7; i++) await add(rt, `r${i % 3}`, i);
    const p = rt.project(defineProjection(totalsSpec));
    await p.waitFor(7);
    const before = structuredClone(p.state());
    await p.rebuild();
    await add(rt, 'r0', 0);
    await p.waitFor(8);
    expect(p.state()).toEqual({ ...before, events: 8 });
  });

  it('refuses to run one name twice at once, and a bad definition', async () => {
    const rt = await start(disk());
    const def = defineProjection(totalsSpec);
    rt.project(def);
    expect(() => rt.project(def)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(rt.projections().map((s) => s.name)).toEqual(['totals']);
    const bad = [
      {},
      { name: '' },
      { name: 'x', init: () => 0, handlers: {} },
      { name: 'x', init: () => 0, handlers: { A: 1 } },
    ];
    for (const spec of bad)
      expect(() => defineProjection(spec as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    expect(() => defineProjection({ ...totalsSpec, mode: 'twice' as never })).toThrow(/mode/);
  });

  it('skips event types it has no handler for, including names of Object.prototype members', async () => {
    const rt = await start(disk());
    await rt.get(counter, 'p').inject([{ type: 'constructor' } as never, { type: 'Added', by: 2 }]);
    const p = rt.project(defineProjection(totalsSpec));
    await p.waitFor(2);
    expect(p.state().total).toBe(2);
  });
});

/**
 * What `execute` acknowledged is what a replay gives, for statechart aggregates on real LevelDB
 * folders: commands, contexts and machines shaped the way xstate's own examples and docs write
 * them, and the ways they could make the acknowledged state and a replay part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyAggregate,
  createRuntime,
  isActorfoldError,
  type Runtime,
  SimulatedClock,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { fromMachine } from '../src/index.js';
import { decideContext, T0 } from './support/runtime.js';

const root = mkdtempSync(join(tmpdir(), 'af-xstate-acked-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => join(root, `store-${++n}`);

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

async function startOn(
  path: string,
  aggregates: AnyAggregate[],
  clock = new SimulatedClock(T0),
): Promise<Runtime> {
  const rt = await createRuntime({
    store: levelStore({ path, clock }),
    aggregates,
    clock,
    idleTimeoutMs: Number.POSITIVE_INFINITY,
  });
  open.push(rt);
  return rt;
}

async function stop(rt: Runtime): Promise<void> {
  open.splice(open.indexOf(rt), 1);
  await rt.shutdown();
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    if (isActorfoldError(e)) return { code: e.code, message: e.message };
    return { message: String(e) };
  }
  throw new Error('expected a failure');
}

describe('commands are decided as the JSON they are stored as', () => {
  /** waiting takes `note`; its one-hour deadline fires `xstate.after.PT1H.deadline.waiting`. */
  const deadline = fromMachine({
    type: 'deadline',
    machines: {
      v1: setup({ types: { events: {} as { type: 'open' } | { type: 'note' } } }).createMachine({
        id: 'deadline',
        initial: 'idle',
        states: {
          idle: { on: { open: 'waiting' } },
          waiting: { after: { PT1H: 'expired' }, on: { note: 'waiting' } },
          expired: {},
        },
      }),
    },
  });
  const FIRING = 'xstate.after.PT1H.deadline.waiting';

  it('refuses a command whose toJSON gives another type as INVALID_COMMAND: no client fires a delayed transition early through it', async () => {
    const rt = await startOn(folder(), [deadline]);
    const h = rt.get(deadline, 'd-1');
    await h.execute({ type: 'open' });
    const disguised = { type: 'note', toJSON: () => ({ type: FIRING }) };
    const refused = await failure(h.execute(disguised as never));
    expect(refused.code).toBe('INVALID_COMMAND');
    expect(refused.message).toContain(FIRING);
    const { state, version } = await h.state();
    expect([state.value, version]).toEqual(['waiting', 1]);
    expect(await rt.store.timers?.count()).toBe(1);
  });

  it('decide itself takes the type from the JSON form, so the timer-only rule holds without the validator', () => {
    const disguised = { type: 'note', toJSON: () => ({ type: FIRING }) };
    const opened = deadline.decide(deadline.initialState(), { type: 'open' }, decideContext(0));
    const waiting = deadline.evolve(deadline.initialState(), opened[0] as never);
    let refusal: unknown;
    try {
      deadline.decide(waiting, disguised as never, decideContext(1));
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toMatchObject({ code: 'REJECTED', reason: 'timer-only' });
  });
});

describe('an assigner that changes the context in place (push, Map.set) instead of returning new values', () => {
  type Add = { type: 'add'; item: string };
  type Basket = { items: string[]; seen: Map<string, number> };
  /**
   * The xstate idiom done wrong: the assigner pushes to the context's array and sets on its Map.
   * `context`: a factory, or a static object (which xstate shares between all its actors).
   */
  const basket = (context: Basket | (() => Basket)) =>
    setup({ types: { context: {} as Basket, events: {} as Add } }).createMachine({
      id: 'basket',
      initial: 'open',
      context,
      states: {
        open: {
          on: {
            add: {
              actions: assign(({ context, event }) => {
                context.items.push(event.item);
                return { items: context.items, seen: context.seen.set(event.item, context.items.length) };
              }),
            },
          },
        },
      },
    });
  const mutating = () => basket(() => ({ items: [], seen: new Map() }));
  const mutatingStatic = () => basket({ items: [], seen: new Map() });

  it.each([
    ['a context factory', mutating],
    ['a static context', mutatingStatic],
  ])(
    'changes only its own process (%s): each process starts afresh, and a restart replays what each was told',
    async (_, machine) => {
      const path = folder();
      const basket = () => fromMachine({ type: 'basket', machines: { v1: machine() } });
      const def = basket();
      const rt = await startOn(path, [def]);
      const a = await rt.get(def, 'a').execute({ type: 'add', item: 'apple' });
      const b = await rt.get(def, 'b').execute({ type: 'add', item: 'bread' });
      expect(b.state.context.items).toEqual(['bread']);
      expect([...b.state.context.seen]).toEqual([['bread', 1]]);
      expect((await rt.get(def, 'a').state()).state).toStrictEqual(a.state);
      expect((await rt.get(def, 'c').state()).state.context.items).toEqual([]);
      await stop(rt);

      // A new daemon: a new definition over the same folder.
      const fresh = basket();
      const again = await startOn(path, [fresh]);
      expect((await again.get(fresh, 'a').state()).state).toStrictEqual(a.state);
      expect((await again.get(fresh, 'b').state()).state).toStrictEqual(b.state);
    },
  );

  it('changes only its own process through a method of a class instance the context factory made (called per process, as xstate does)', async () => {
    class Basket {
      readonly items: string[] = [];
      add(item: string): this {
        this.items.push(item);
        return this;
      }
    }
    const oop = setup({ types: { context: {} as { basket: Basket }, events: {} as Add } }).createMachine({
      id: 'basket',
      initial: 'open',
      context: () => ({ basket: new Basket() }),
      states: {
        open: {
          on: {
            add: { actions: assign(({ context, event }) => ({ basket: context.basket.add(event.item) })) },
          },
        },
      },
    });
    const path = folder();
    const def = fromMachine({ type: 'basket', machines: { v1: oop } });
    const rt = await startOn(path, [def]);
    await rt.get(def, 'a').execute({ type: 'add', item: 'apple' });
    const b = await rt.get(def, 'b').execute({ type: 'add', item: 'bread' });
    expect(b.state.context.basket.items).toEqual(['bread']);
    await stop(rt);
    const fresh = fromMachine({ type: 'basket', machines: { v1: oop } });
    const again = await startOn(path, [fresh]);
    expect((await again.get(fresh, 'b').state()).state).toStrictEqual(b.state);
  });

  it("changes only the machine's copy of the command when it pushes to the event's array: the command is stored as sent", async () => {
    const wrapping = setup({
      types: { context: {} as { items: string[] }, events: {} as { type: 'order'; items: string[] } },
    }).createMachine({
      id: 'order',
      initial: 'open',
      context: { items: [] },
      states: {
        open: {
          on: {
            order: {
              actions: assign({
                items: ({ event }) => {
                  event.items.push('gift wrap');
                  return event.items;
                },
              }),
            },
          },
        },
      },
    });
    const path = folder();
    const def = fromMachine({ type: 'order', machines: { v1: wrapping } });
    const rt = await startOn(path, [def]);
    const { state } = await rt.get(def, 'o').execute({ type: 'order', items: ['book'] });
    expect(state.context.items).toEqual(['book', 'gift wrap']);
    const stored: unknown[] = [];
    for await (const e of rt.store.readStream('order/o'))
      stored.push((e.data as unknown as { command: unknown }).command);
    expect(stored).toEqual([{ type: 'order', items: ['book'] }]);
    await stop(rt);
    const again = await startOn(path, [fromMachine({ type: 'order', machines: { v1: wrapping } })]);
    expect((await again.get('order', 'o').state()).state).toStrictEqual(state);
  });

  it('is refused as IMPURE_MACHINE with checkPurity, storing nothing and leaving the resident state as it was', async () => {
    const def = fromMachine({ type: 'basket', machines: { v1: mutating() }, checkPurity: true });
    const rt = await startOn(folder(), [def]);
    const h = rt.get(def, 'a');
    const before = await h.state();
    let refusal: unknown;
    try {
      await h.execute({ type: 'add', item: 'apple' });
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toMatchObject({ code: 'DECIDE_FAILED', cause: { code: 'IMPURE_MACHINE' } });
    expect((refusal as { cause: Error }).cause.message).toContain(
      'changed the context it started from in place',
    );
    expect(await h.state()).toStrictEqual(before);
    expect(before.state.context.items).toEqual([]);
  });
});

describe('a snapshot keeps the context exactly as a replay builds it', () => {
  type Ctx = {
    note: string | undefined;
    delta: number;
    ratio: number;
    at: Date | null;
    tally: Map<string, number>;
    tags: Set<string>;
  };
  type Cmd = { type: 'clear' } | { type: 'stamp'; tag: string };
  const ledger = setup({
    types: { context: {} as Ctx, events: {} as Cmd & { acceptedAt: string } },
  }).createMachine({
    id: 'ledger',
    initial: 'open',
    context: () => ({ note: 'draft', delta: 1, ratio: 1, at: null, tally: new Map(), tags: new Set() }),
    states: {
      open: {
        on: {
          // undefined kept as a key, -0 and NaN as numbers: all of them change through JSON.
          clear: { actions: assign({ note: undefined, delta: -0, ratio: Number.NaN }) },
          stamp: {
            actions: assign(({ context, event }) => ({
              at: new Date(event.acceptedAt),
              tally: new Map(context.tally).set(
                event.type === 'stamp' ? event.tag : '',
                context.tally.size + 1,
              ),
              tags: new Set([...context.tags, event.type === 'stamp' ? event.tag : '']),
            })),
          },
        },
      },
    },
  });

  it('restores undefined-valued keys, -0, NaN, Dates, Maps and Sets of the context: eviction and restart from it give the acknowledged state', async () => {
    const path = folder();
    const def = () => fromMachine({ type: 'ledger', machines: { v1: ledger }, snapshots: { every: 1 } });
    const first = def();
    const rt = await startOn(path, [first]);
    const h = rt.get(first, 'l');
    await h.execute({ type: 'stamp', tag: 'q1' });
    const { state } = await h.execute({ type: 'clear' });
    expect(Object.hasOwn(state.context, 'note') && Object.is(state.context.delta, -0)).toBe(true);
    expect(await rt.snapshot(first, 'l')).toEqual({ version: 2, saved: true });
    // Not under `machine`: a decoder that predates rich contexts finds none and replays instead.
    expect(Object.keys((await rt.store.snapshots.load('ledger/l'))?.state as object)).toEqual([
      'workflowVersion',
      'richMachine',
    ]);
    expect(rt.metrics().counters.snapshotSaveFailures).toBe(0);
    await rt.evict(first, 'l');
    expect((await h.state()).state).toStrictEqual(state);
    expect(Object.is((await h.state()).state.context.delta, -0)).toBe(true);
    await stop(rt);

    const fresh = def();
    const again = await startOn(path, [fresh]);
    const restored = (await again.get(fresh, 'l').state()).state;
    expect(again.metrics().counters.snapshotsIgnored).toBe(0);
    expect(restored).toStrictEqual(state);
    expect(Object.is(restored.context.delta, -0)).toBe(true);
    expect(Object.hasOwn(restored.context, 'note')).toBe(true);
  });

  it('saves a completed process whose output holds a Date, so its activation need not replay the stream', async () => {
    const closing = setup({
      types: { context: {} as { at: string | null }, events: {} as { type: 'close'; acceptedAt: string } },
    }).createMachine({
      id: 'closing',
      initial: 'open',
      context: { at: null },
      states: {
        open: {
          on: { close: { target: 'closed', actions: assign({ at: ({ event }) => event.acceptedAt }) } },
        },
        closed: { type: 'final' },
      },
      output: ({ context }) => ({ closedAt: new Date(context.at ?? 0) }),
    });
    const path = folder();
    const def = () => fromMachine({ type: 'closing', machines: { v1: closing }, snapshots: { every: 1 } });
    const first = def();
    const rt = await startOn(path, [first]);
    const { state } = await rt.get(first, 'c').execute({ type: 'close' });
    expect(state.done).toBe(true);
    expect(await rt.snapshot(first, 'c')).toEqual({ version: 1, saved: true });
    await stop(rt);
    const fresh = def();
    const again = await startOn(path, [fresh]);
    expect((await again.get(fresh, 'c').state()).state).toStrictEqual(state);
    expect(again.metrics().counters.snapshotsIgnored).toBe(0);
  });
});

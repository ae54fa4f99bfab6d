import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Command,
  compareTimers,
  createRuntime,
  defineAggregate,
  type EventStore,
  memoryStore,
  type Runtime,
  SimulatedClock,
  type TimerWhen,
} from '../src/index.js';
import { withClaims } from './support/claiming-store.js';
import { collect, flush } from './support/probe-store.js';
import { reminder, reopenable } from './support/reminder.js';

/**
 * Durable timers against hostile inputs, as code nobody here wrote would use them: due times at
 * and beyond what a Date can hold, records such due times that a store holds anyway.
 */

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.shutdown({ timeoutMs: 100 });
});

async function start(opts: Partial<Parameters<typeof createRuntime>[0]> & { clock: SimulatedClock }) {
  const runtime = await createRuntime({ aggregates: [reminder], ...opts });
  runtimes.push(runtime);
  return runtime;
}

/** Lets the work started by timers settle (the memory store does no I/O: promise turns only). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await flush();
}

function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

const pendingOf = (store: EventStore) => collect((store.timers as NonNullable<EventStore['timers']>).list());

/** The last moment a Date can hold (and, negated, the first). */
const LAST_DATE_MS = 8.64e15;

describe('due times a Date cannot hold', () => {
  it('decide is refused with INVALID_ARGUMENT for a due time beyond the range of a Date, storing nothing; the range itself is accepted', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const r = rt.get(reminder, 'r1');
    for (const at of [
      LAST_DATE_MS + 1,
      -LAST_DATE_MS - 1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ]) {
      await expect(r.execute({ type: 'set', name: 'far', when: { at }, tag: 't' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/due time is out of range/),
      });
    }
    // A duration that lands beyond the range: refused the same way.
    await expect(
      r.execute({ type: 'set', name: 'far', when: { after: LAST_DATE_MS }, tag: 't' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await store.streamVersion('reminder/r1')).toBe(0);
    expect(await pendingOf(store)).toEqual([]);
    await r.execute({ type: 'set', name: 'last', when: { at: LAST_DATE_MS }, tag: 't' });
    await r.execute({ type: 'set', name: 'first', when: { at: -LAST_DATE_MS }, tag: 't' });
    expect((await pendingOf(store)).map((t) => [t.name, t.dueAt])).toEqual([
      ['first', -LAST_DATE_MS],
      ['last', LAST_DATE_MS],
    ]);
  });

  it("a stored missed: 'drop' timer due before any Date is dropped at start and warned about with its number, instead of failing the load", async () => {
    // Stores keep any safe integer as a due time (written by an older runtime, or by hand).
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const store = reopenable(memoryStore({ clock }));
    const dueAt = -9e15;
    await store.append('reminder/r1', [{ data: { type: 'Set', name: 'old', tag: 'o', at: 0 } }], {
      expectedVersion: 0,
      timers: [
        {
          op: 'schedule',
          timer: {
            streamId: 'reminder/r1',
            name: 'old',
            dueAt,
            command: { type: 'ring', name: 'old', tag: 'o' } as Command,
            version: 1,
            missed: 'drop',
          },
        },
      ],
    });
    const { logger, lines } = captureLog();
    const rt = await start({ store, clock, logger });
    await settle();
    expect(await pendingOf(store)).toEqual([]);
    expect(rt.metrics().counters.timersMissed).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ timer: 'old', dueAt, msg: expect.stringMatching(/^timer missed/) }),
    );
    // The service still works: a new timer fires.
    await rt.get(reminder, 'r1').execute({ type: 'set', name: 'next', when: { after: 10 }, tag: 'n' });
    clock.advance(10);
    await settle();
    expect((await rt.get(reminder, 'r1').state()).state.rang).toEqual([
      { name: 'next', tag: 'n', at: Date.UTC(2026, 0, 1) + 10 },
    ]);
  });
});

describe('when and options that say two things or misspell one', () => {
  it.each([
    ['both at and after', { at: 5 }, { after: 10, at: 5 }, undefined],
    ['a misspelt key beside after', { after: 10 }, { after: 10, atfer: 20 }, undefined],
    ['no key', { after: 10 }, {}, undefined],
    ['a Date instead of { at }', { after: 10 }, new Date(0), undefined],
    ['a misspelt missed', { after: 10 }, { after: 10 }, { mised: 'drop' }],
    ['options that are an array', { after: 10 }, { after: 10 }, ['drop']],
  ])('%s is refused with INVALID_ARGUMENT, storing nothing', async (_what, ok, when, opts) => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock, aggregates: [scheduler] });
    await expect(rt.get(scheduler, 's1').execute({ type: 'set', when, opts })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await store.streamVersion('scheduler/s1')).toBe(0);
    // The same call spelt right is taken.
    await rt.get(scheduler, 's1').execute({ type: 'set', when: ok, opts: undefined });
    expect(await pendingOf(store)).toHaveLength(1);
  });
});

describe('a command or effect input that reads differently the second time', () => {
  it.each([
    ['a timer command', 'timer'],
    ['an effect input', 'effect'],
  ] as const)(
    '%s whose getter gives a BigInt once copied is refused with INVALID_ARGUMENT even when decide swallows the throw, storing nothing',
    async (_label, what) => {
      const clock = new SimulatedClock(0);
      const store = memoryStore({ clock });
      const rt = await start({
        store,
        clock,
        aggregates: [shifty],
        effects: { implementations: { fx: async () => null } },
      });
      await expect(rt.get(shifty, 's1').execute({ type: 'go', what })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/changed when read again/),
      });
      expect(await store.streamVersion('shifty/s1')).toBe(0);
      expect(await pendingOf(store)).toEqual([]);
    },
  );
});

/** Hands ctx.timers / ctx.effects a value whose getter is plain JSON when checked, a BigInt when copied; swallows the throw. */
const shifty = defineAggregate<null, { type: 'go'; what: 'timer' | 'effect' }, { type: 'Went' }>({
  type: 'shifty',
  initialState: () => null,
  decide(_state, cmd, ctx) {
    let reads = 0;
    const value = {
      type: 'ring',
      get n() {
        return reads++ === 0 ? 1 : 10n;
      },
    };
    try {
      if (cmd.what === 'timer') ctx.timers.schedule('t', { after: 10 }, value);
      else ctx.effects.request('fx', value);
    } catch {
      // decide goes on: the command must still be refused
    }
    return [{ type: 'Went' }];
  },
  evolve: (state) => state,
});

/** Schedules with whatever `when` and options the command carries. */
const scheduler = defineAggregate<null, { type: 'set'; when: unknown; opts: unknown }, { type: 'Set' }>({
  type: 'scheduler',
  initialState: () => null,
  decide(_state, cmd, ctx) {
    ctx.timers.schedule('t', cmd.when as TimerWhen, { type: 'ring' }, cmd.opts as never);
    return [{ type: 'Set' }];
  },
  evolve: (state) => state,
});

describe("missed: 'drop' on a shared store", () => {
  it('a runtime joining while another runs does not drop a timer the other would fire on its next poll; one overdue by more than two polls when it started is dropped', async () => {
    const clock = new SimulatedClock(0);
    const store = withClaims(memoryStore({ clock }), clock);
    const a = await start({ store, clock, runtimeId: 'a', timers: { pollMs: 1000 } });
    await settle();
    const r = a.get(reminder, 'r1');
    // Due between a's polls: a fires it at its next poll (t = 1000), about pollMs late, as documented.
    await r.execute({ type: 'set', name: 'soon', when: { after: 100 }, tag: 's', missed: 'drop' });
    clock.advance(150);
    await settle();
    // b joins at t = 150, before a's next poll; b's first claim finds 'soon' overdue by 50 ms.
    const b = await start({ store, clock, runtimeId: 'b', timers: { pollMs: 1000 } });
    await settle();
    for (let i = 0; i < 12; i++) {
      clock.advance(100);
      await settle();
    }
    expect((await r.state()).state.rang.map((x) => x.name)).toEqual(['soon']);
    expect(a.metrics().counters.timersMissed + b.metrics().counters.timersMissed).toBe(0);

    // Overdue by more than two polls when a runtime started: nobody was there to fire it.
    await r.execute({ type: 'set', name: 'late', when: { after: 100 }, tag: 'l', missed: 'drop' });
    await a.shutdown();
    await b.shutdown();
    clock.advance(5000);
    const c = await start({ store, clock, runtimeId: 'c', timers: { pollMs: 1000 } });
    await settle();
    expect(c.metrics().counters.timersMissed).toBe(1);
    expect(await pendingOf(store)).toEqual([]);
    expect((await c.get(reminder, 'r1').state()).state.rang.map((x) => x.name)).toEqual(['soon']);
  });
});

describe('the order of timers due at the same time', () => {
  // The stores' due(), list() and claim() are held to it by the conformance suite (@actorfold/testing).
  it('compareTimers puts ties in code point order, as the durable stores sort: a name above U+FFFF after U+FFFF', () => {
    const streamId = 'reminder/r1';
    const key = (name: string) => ({ dueAt: 5, streamId, name });
    expect(compareTimers(key('\uffff'), key('\u{10000}'))).toBeLessThan(0);
    expect(
      compareTimers({ ...key('a'), streamId: 's/\u{10000}' }, { ...key('a'), streamId: 's/\uffff' }),
    ).toBeGreaterThan(0);
  });
});

describe('what no store can keep is refused at the call, inside decide', () => {
  const long = 'n'.repeat(1_025);
  it.each([
    [
      'a timer command holding U+0000',
      { kind: 'timer', name: 't', input: { type: 'ring', note: 'a\u0000b' } },
    ],
    [
      'a timer command holding a lone surrogate',
      { kind: 'timer', name: 't', input: { type: 'ring', note: '\uD800' } },
    ],
    ['a timer name over 1,024 UTF-8 bytes', { kind: 'timer', name: long, input: { type: 'ring' } }],
    ['an effect input holding U+0000', { kind: 'effect', name: 'e', input: { note: '\u0000' } }],
    [
      'an effect id over 1,024 UTF-8 bytes with its prefix',
      { kind: 'effect', name: 'e'.repeat(1_020), input: {} },
    ],
  ] as const)(
    '%s: decide sees INVALID_ARGUMENT, and the command is refused though decide swallowed it',
    async (_l, call) => {
      const clock = new SimulatedClock(0);
      const store = memoryStore({ clock });
      const rt = await start({
        store,
        clock,
        aggregates: [strict],
        effects: { implementations: { fx: async () => null } },
      });
      caught.length = 0;
      await expect(rt.get(strict, 's1').execute({ type: 'go', call })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(caught).toEqual(['INVALID_ARGUMENT']);
      expect(await store.streamVersion('strict/s1')).toBe(0);
    },
  );
});

const caught: unknown[] = [];
type StrictCall = { kind: 'timer' | 'effect'; name: string; input: unknown };
/** Makes the call the command names and records what it threw; returns its event all the same. */
const strict = defineAggregate<null, { type: 'go'; call: StrictCall }, { type: 'Went' }>({
  type: 'strict',
  initialState: () => null,
  decide(_state, { call }, ctx) {
    try {
      if (call.kind === 'timer') ctx.timers.schedule(call.name, { after: 10 }, call.input as Command);
      else ctx.effects.request('fx', call.input, { id: call.name });
    } catch (error) {
      caught.push((error as { code?: unknown }).code);
    }
    return [{ type: 'Went' }];
  },
  evolve: (state) => state,
});

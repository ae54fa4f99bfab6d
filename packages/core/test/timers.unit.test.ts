import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Command,
  createRuntime,
  type EventStore,
  memoryStore,
  type Runtime,
  SimulatedClock,
  StoreError,
  type TimerRecord,
} from '../src/index.js';
import { withClaims } from './support/claiming-store.js';
import { collect, flush } from './support/probe-store.js';
import { reminder, reopenable } from './support/reminder.js';

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
async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await flush();
}

/** A ring command as a stored timer carries it. */
const ring = (name: string): Command => ({ type: 'ring', name, tag: 'x' }) as Command;

async function pending(store: EventStore): Promise<TimerRecord[]> {
  return collect((store.timers as NonNullable<EventStore['timers']>).list());
}

/** A pino logger whose lines land in `lines`. */
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

describe('scheduling from decide', () => {
  it('stores the timer with the events of its decision: due after the ISO duration, versioned by the last event', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 31, 12));
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const r = await rt
      .get(reminder, 'r1')
      .execute(
        { type: 'set', name: 'answer', when: { after: 'P1M' }, tag: 't' },
        { correlationId: 'corr-1', commandId: 'c-1' },
      );
    expect(r.version).toBe(1);
    const [timer, ...others] = await pending(store);
    expect(others).toEqual([]);
    expect(timer).toEqual({
      streamId: 'reminder/r1',
      name: 'answer',
      // Jan 31 + one calendar month, clamped to the month's last day, in UTC.
      dueAt: Date.UTC(2026, 1, 28, 12),
      command: { type: 'ring', name: 'answer', tag: 't' },
      version: 1,
      missed: 'fire',
      metadata: { correlationId: 'corr-1', causationId: 'c-1' },
    });
  });

  it('refuses a decision that changes timers but returns no event, storing nothing', async () => {
    const clock = new SimulatedClock(1000);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    await expect(h.execute({ type: 'schedule-without-event', name: 'x' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/changed timers \(schedule 'x'\) but returned no event/),
    });
    expect(await pending(store)).toEqual([]);
    expect((await h.state()).version).toBe(0);
  });

  it.each([
    [
      'a command with a Date',
      { after: 10 },
      { type: 'ring', at: new Date(0) },
      /command\.at is a Date, not a plain object/,
    ],
    ['a command without a type', { after: 10 }, { name: 'x' }, /non-empty string type/],
    ['a command with a function', { after: 10 }, { type: 'ring', f: () => 1 }, /command\.f is a function/],
    ['a negative delay', { after: -1 }, { type: 'ring' }, /after must be a number of milliseconds >= 0/],
    ['a malformed duration', { after: 'P1H' }, { type: 'ring' }, /"P1H" is not an ISO-8601 duration/],
    ['an invalid date', { at: new Date(Number.NaN) }, { type: 'ring' }, /at must be a valid Date/],
    ['no when at all', {}, { type: 'ring' }, /when needs 'at' or 'after'/],
    [
      "a command of the runtime's effect type (it would run an effect nobody requested)",
      { after: 10 },
      {
        type: '@actorfold/run-effect',
        effect: 'fx',
        input: {},
        resultType: 'Done',
        attempts: 0,
        requestedAt: 0,
      },
      /'@actorfold\/run-effect' is the runtime's/,
    ],
  ])(
    'refuses %s with INVALID_ARGUMENT, even when decide swallows the throw',
    async (_what, when, command, message) => {
      const clock = new SimulatedClock(1000);
      const store = memoryStore({ clock });
      const rt = await start({ store, clock });
      const h = rt.get(reminder, 'r1');
      for (const swallow of [false, true]) {
        await expect(
          h.execute({ type: 'bad-schedule', name: 'n', when, command, swallow }),
        ).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(message),
        });
      }
      expect(await pending(store)).toEqual([]);
      expect((await h.state()).version).toBe(0);
    },
  );
});

describe('atomic with the events', () => {
  it('a failed append stores neither the events nor the timers', async () => {
    const clock = new SimulatedClock(1000);
    const inner = memoryStore({ clock });
    let fail = true;
    const store: EventStore = {
      ...inner,
      append: async (streamId, events, opts) => {
        if (fail) throw new StoreError('IO', 'disk full');
        return inner.append(streamId, events, opts);
      },
    };
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    await expect(h.execute({ type: 'set', name: 'a', when: { after: 10 }, tag: 't' })).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    expect(await pending(inner)).toEqual([]);
    expect(await inner.streamVersion('reminder/r1')).toBe(0);
    clock.advance(100);
    await settle();
    expect((await h.state()).state.rang).toEqual([]);
    fail = false;
    await h.execute({ type: 'set', name: 'a', when: { after: 10 }, tag: 't' });
    expect(await pending(inner)).toHaveLength(1);
  });

  it('the memory store refuses a bad timer change and appends none of the events', async () => {
    const store = memoryStore();
    const data = { type: 'Set' };
    const good = {
      streamId: 's/1',
      name: 'n',
      dueAt: 5,
      command: { type: 'x' },
      version: 1,
      missed: 'fire',
    } as const;
    await expect(
      store.append('s/1', [{ data }], {
        expectedVersion: 0,
        timers: [{ op: 'schedule', timer: { ...good, version: 2 } }],
      }),
    ).rejects.toThrow(/version must be the version of one of the append's events \(1\.\.1\), got 2/);
    await expect(
      store.append('s/1', [{ data }], {
        expectedVersion: 0,
        timers: [{ op: 'schedule', timer: { ...good, streamId: 's/2' } }],
      }),
    ).rejects.toThrow(/streamId must be the append's stream/);
    await expect(
      store.append('s/1', [], { expectedVersion: 0, timers: [{ op: 'cancel', name: 'n' }] }),
    ).rejects.toThrow(/need at least one event/);
    await expect(
      store.append('s/1', [{ data }], {
        expectedVersion: 3,
        timers: [{ op: 'schedule', timer: { ...good, version: 4 } }],
      }),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    expect(await store.streamVersion('s/1')).toBe(0);
    expect(await store.timers?.count()).toBe(0);
    await store.append('s/1', [{ data }], { expectedVersion: 0, timers: [{ op: 'schedule', timer: good }] });
    expect(await store.timers?.get('s/1', 'n')).toEqual(good);
  });
});

describe('firing', () => {
  it('fires once the clock reaches the due time, never before, through the actor, and removes the timer with its effect', async () => {
    const clock = new SimulatedClock(10_000);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    await h.execute({ type: 'set', name: 'a', when: { after: 1000 }, tag: 't' });
    clock.advance(999);
    await settle();
    expect((await h.state()).state.rang).toEqual([]);
    clock.advance(1);
    await settle();
    const { state, version } = await h.state();
    expect(state.rang).toEqual([{ name: 'a', tag: 't', at: 11_000 }]);
    expect(version).toBe(2);
    const [, fired] = await collect(store.readStream('reminder/r1'));
    expect(fired?.metadata).toMatchObject({ commandId: 'timer:a@1' });
    expect(await pending(store)).toEqual([]);
    expect(rt.metrics().counters.timersFired).toBe(1);
    expect(rt.metrics().latency.timerLag.count).toBe(1);
  });

  it('wakes an evicted aggregate', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock, idleTimeoutMs: 100 });
    const h = rt.get(reminder, 'r1');
    await h.execute({ type: 'set', name: 'a', when: { after: 5000 }, tag: 't' });
    await settle();
    clock.advance(200);
    await settle();
    expect(h.isAlive()).toBe(false);
    clock.advance(4800);
    await settle();
    expect((await h.state()).state.rang).toEqual([{ name: 'a', tag: 't', at: 5000 }]);
  });

  it('never fires a cancelled timer', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    await h.execute({ type: 'set', name: 'a', when: { after: 100 }, tag: 't' });
    await h.execute({ type: 'clear', name: 'a' });
    clock.advance(1000);
    await settle();
    expect((await h.state()).state.rang).toEqual([]);
    expect(await pending(store)).toEqual([]);
  });

  it('removes a timer whose firing decides nothing, and one whose firing is refused (counted, logged)', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const { logger, lines } = captureLog();
    const rt = await start({ store, clock, logger });
    const h = rt.get(reminder, 'r1');
    await h.execute({
      type: 'set',
      name: 'quiet',
      when: { after: 10 },
      tag: 't',
      command: { type: 'silent-ring', name: 'quiet' },
    });
    await h.execute({
      type: 'set',
      name: 'bug',
      when: { after: 20 },
      tag: 't',
      command: { type: 'refused-ring', name: 'bug' },
    });
    clock.advance(100);
    await settle();
    expect(await pending(store)).toEqual([]);
    expect((await h.state()).version).toBe(2);
    expect(rt.metrics().counters).toMatchObject({ timersFired: 1, timersFailed: 1 });
    expect(
      lines.some((l) => l.msg === 'timer firing refused; the timer is removed' && l.timer === 'bug'),
    ).toBe(true);
  });

  it('a firing that reschedules its own name fires again later, once per version', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    await h.execute({
      type: 'set',
      name: 'tick',
      when: { after: 10 },
      tag: 't',
      command: { type: 'ring', name: 'tick', tag: 't', again: 10 },
    });
    clock.advance(10);
    await settle();
    clock.advance(10);
    await settle();
    const { state } = await h.state();
    expect(state.rang).toEqual([
      { name: 'tick', tag: 't', at: 10 },
      { name: 'tick', tag: 't+', at: 20 },
    ]);
  });
});

describe('restart and the missed policy', () => {
  it("fires a timer that came due while down late (missed: 'fire'), and drops one with missed: 'drop' (counted, warned)", async () => {
    const clock = new SimulatedClock(0);
    const store = reopenable(memoryStore({ clock }));
    const first = await start({ store, clock });
    await first.get(reminder, 'r1').execute({ type: 'set', name: 'late', when: { after: 100 }, tag: 'l' });
    await first
      .get(reminder, 'r1')
      .execute({ type: 'set', name: 'gone', when: { after: 100 }, tag: 'g', missed: 'drop' });
    await first.shutdown();
    clock.advance(1000); // nobody running
    const { logger, lines } = captureLog();
    const second = await start({ store, clock, logger });
    await settle();
    clock.advance(0);
    await settle();
    const { state } = await second.get(reminder, 'r1').state();
    expect(state.rang).toEqual([{ name: 'late', tag: 'l', at: 1000 }]);
    expect(await pending(store)).toEqual([]);
    expect(second.metrics().counters).toMatchObject({ timersFired: 1, timersMissed: 1 });
    expect(lines.some((l) => l.timer === 'gone' && String(l.msg).startsWith('timer missed'))).toBe(true);
  });
});

describe('the window', () => {
  it('holds at most windowSize timers in memory however many are pending, and fires every one', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const streamId = `reminder/r${i % 300}`;
      const version = (await store.streamVersion(streamId)) + 1;
      await store.append(streamId, [{ data: { type: 'Set', name: `t${i}`, tag: 'x' } }], {
        expectedVersion: version - 1,
        timers: [
          {
            op: 'schedule',
            timer: {
              streamId,
              name: `t${i}`,
              dueAt: 1 + (i % 50),
              command: ring(`t${i}`),
              version,
              missed: 'fire',
            },
          },
        ],
      });
    }
    const rt = await start({ store, clock, timers: { windowSize: 100, concurrency: 10 } });
    let most = 0;
    for (let round = 0; round < 2000 && (await store.timers?.count()) !== 0; round++) {
      most = Math.max(most, rt.metrics().gauges.timersHeld);
      clock.advance(1);
      await flush();
    }
    expect(await store.timers?.count()).toBe(0);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(100);
    expect(rt.metrics().counters.timersFired).toBe(n);
  }, 60_000);
});

describe('operators', () => {
  it('lists, counts, fires and cancels timers by hand through the actor', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    await h.execute({ type: 'set', name: 'a', when: { after: 60_000 }, tag: 'a' });
    await h.execute({ type: 'set', name: 'b', when: { after: 60_000 }, tag: 'b' });
    const timers = rt.timers();
    expect(await timers.count()).toBe(2);
    expect((await collect(timers.list({ streamId: 'reminder/r1' }))).map((t) => t.name)).toEqual(['a', 'b']);
    expect(await timers.fire('reminder/r1', 'a')).toMatchObject({ outcome: 'fired', version: 3 });
    expect(await timers.cancel('reminder/r1', 'b')).toBe(true);
    expect(await timers.cancel('reminder/r1', 'b')).toBe(false);
    await expect(timers.fire('reminder/r1', 'b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    clock.advance(120_000);
    await settle();
    expect((await h.state()).state.rang.map((r) => r.name)).toEqual(['a']);
    expect(await timers.count()).toBe(0);
  });

  it('a store without timers: runtime.timers() and scheduling are refused with INVALID_ARGUMENT', async () => {
    const clock = new SimulatedClock(0);
    const { timers: _none, ...plain } = memoryStore({ clock });
    const rt = await start({ store: plain as EventStore, clock });
    expect(() => rt.timers()).toThrow(/keeps no timers/);
    await expect(
      rt.get(reminder, 'r1').execute({ type: 'set', name: 'a', when: { after: 1 }, tag: 't' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/keeps no timers/) });
  });
});

describe('shared stores (timers.claim)', () => {
  it('two runtimes sharing the timers fire each one once in effect', async () => {
    const clock = new SimulatedClock(0);
    const store = withClaims(memoryStore({ clock }), clock);
    const a = await start({ store, clock, runtimeId: 'a', timers: { pollMs: 100, leaseMs: 1000 } });
    const b = await start({ store, clock, runtimeId: 'b', timers: { pollMs: 100, leaseMs: 1000 } });
    for (let i = 0; i < 40; i++) {
      const rt = i % 2 === 0 ? a : b;
      await rt
        .get(reminder, `r${i % 8}`)
        .execute({ type: 'set', name: `n${i}`, when: { after: 50 + i }, tag: `t${i}` });
    }
    for (let step = 0; step < 40 && (await store.timers?.count()) !== 0; step++) {
      clock.advance(50);
      await settle();
    }
    expect(await store.timers?.count()).toBe(0);
    const tags: string[] = [];
    for (let r = 0; r < 8; r++) {
      for (const e of await collect(store.readStream(`reminder/r${r}`))) {
        const data = e.data as { type: string; tag?: string; at?: number };
        if (data.type === 'Rang') tags.push(data.tag as string);
      }
    }
    expect(tags.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `t${i}`).sort());
    const fired = a.metrics().counters.timersFired + b.metrics().counters.timersFired;
    expect(fired).toBeGreaterThanOrEqual(40);
  });

  it("leaves a timer claimed by a node that died to another once the claim's lease expires", async () => {
    const clock = new SimulatedClock(0);
    const store = withClaims(memoryStore({ clock }), clock);
    const a = await start({ store, clock, runtimeId: 'a', timers: { pollMs: 100, leaseMs: 1000 } });
    await a.get(reminder, 'r1').execute({ type: 'set', name: 'n', when: { after: 10 }, tag: 't' });
    await a.shutdown();
    // A node that claimed it and died before firing it.
    expect(await store.timers?.claim?.(10, 10, 'dead', 1000)).toHaveLength(1);
    const b = await start({ store, clock, runtimeId: 'b', timers: { pollMs: 100, leaseMs: 1000 } });
    for (let step = 0; step < 9; step++) {
      clock.advance(100);
      await settle();
    }
    expect((await b.get(reminder, 'r1').state()).state.rang).toEqual([]);
    for (let step = 0; step < 3; step++) {
      clock.advance(100);
      await settle();
    }
    const { rang } = (await b.get(reminder, 'r1').state()).state;
    expect(rang.map((r) => r.tag)).toEqual(['t']);
    expect(rang[0]?.at).toBeGreaterThanOrEqual(1000);
  });
});

describe('batches', () => {
  it('writes the timers of every command of a batch in its one append, each with the version of its own last event', async () => {
    const clock = new SimulatedClock(0);
    const inner = memoryStore({ clock });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const appends: Array<{ events: number; timers: number }> = [];
    const store: EventStore = {
      ...inner,
      append: async (streamId, events, opts) => {
        if (appends.length === 0) await gate; // the first command holds the actor: the rest queue up
        appends.push({ events: events.length, timers: opts.timers?.length ?? 0 });
        return inner.append(streamId, events, opts);
      },
    };
    const rt = await start({ store, clock });
    const h = rt.get(reminder, 'r1');
    const sent = [0, 1, 2, 3].map((i) =>
      h.execute({ type: 'set', name: `n${i}`, when: { after: 100 + i }, tag: `t${i}` }),
    );
    await flush();
    release();
    await Promise.all(sent);
    expect(appends).toEqual([
      { events: 1, timers: 1 },
      { events: 3, timers: 3 },
    ]);
    expect((await pending(inner)).map((t) => [t.name, t.version])).toEqual([
      ['n0', 1],
      ['n1', 2],
      ['n2', 3],
      ['n3', 4],
    ]);
    clock.advance(200);
    await settle();
    expect((await h.state()).state.rang.map((r) => r.tag)).toEqual(['t0', 't1', 't2', 't3']);
  });
});

describe("the memory store's timers", () => {
  it('orders due timers earliest first (ties by stream, then name), filters list, and removes only the given version', async () => {
    const store = memoryStore();
    const timers = store.timers as NonNullable<EventStore['timers']>;
    const put = async (streamId: string, name: string, dueAt: number) => {
      const version = (await store.streamVersion(streamId)) + 1;
      await store.append(streamId, [{ data: { type: 'Set' } }], {
        expectedVersion: version - 1,
        timers: [
          { op: 'schedule', timer: { streamId, name, dueAt, command: ring(name), version, missed: 'fire' } },
        ],
      });
      return version;
    };
    await put('s/b', 'x', 20);
    await put('s/a', 'y', 20);
    await put('s/a', 'x', 20);
    await put('s/c', 'z', 10);
    const v = await put('s/c', 'late', 99);
    const order = (ts: TimerRecord[]) => ts.map((t) => `${t.streamId}:${t.name}`);
    expect(order(await timers.due(20, 10))).toEqual(['s/c:z', 's/a:x', 's/a:y', 's/b:x']);
    expect(order(await timers.due(20, 2))).toEqual(['s/c:z', 's/a:x']);
    expect(order(await collect(timers.list({ streamId: 's/c' })))).toEqual(['s/c:z', 's/c:late']);
    expect(order(await collect(timers.list({ dueBefore: 15 })))).toEqual(['s/c:z']);
    expect(await timers.count()).toBe(5);
    expect(await timers.remove('s/c', 'late', v + 1)).toBe(false);
    expect(await timers.remove('s/c', 'late', v)).toBe(true);
    expect(await timers.remove('s/c', 'late', v)).toBe(false);
    expect(await timers.get('s/c', 'late')).toBeUndefined();
    // Rescheduling a pending name replaces it; what callers get back are copies.
    await put('s/a', 'x', 5);
    const got = (await timers.get('s/a', 'x')) as TimerRecord;
    expect(got.dueAt).toBe(5);
    (got.command as { type: string }).type = 'changed';
    expect((await timers.get('s/a', 'x'))?.command.type).toBe('ring');
    expect(await timers.count()).toBe(4);
    await expect(timers.due(Number.NaN, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await store.close();
    await expect(timers.count()).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });
});

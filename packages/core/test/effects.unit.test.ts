import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createRuntime,
  defineAggregate,
  type EffectContext,
  type EffectsOptions,
  type EventStore,
  effectIdempotencyKey,
  memoryStore,
  type Runtime,
  type RuntimeOptions,
  SimulatedClock,
  StoreError,
} from '../src/index.js';
import { collect, flush } from './support/probe-store.js';
import { reopenable } from './support/reminder.js';
import { type RequesterEvent, requester } from './support/requester.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 100 });
  vi.restoreAllMocks();
});

async function start(options: Partial<RuntimeOptions> & { effects?: EffectsOptions }): Promise<Runtime> {
  const runtime = await createRuntime({ aggregates: [requester], ...options });
  open.push(runtime);
  return runtime;
}

/** Lets due work run on the simulated clock: its 0 ms timers, then the promises they start. */
async function settle(clock: SimulatedClock): Promise<void> {
  for (let i = 0; i < 20; i++) {
    clock.advance(0);
    await flush();
  }
}

/**
 * Resolves once `check` holds: vi.waitUntil with the shared ceiling and poll (vitest.setup.ts), a
 * ceiling fit for a loaded machine (a 5 s one of its own timed out at load 25).
 */
async function until(check: () => Promise<boolean> | boolean, timeout?: number): Promise<void> {
  await vi.waitUntil(check, timeout === undefined ? undefined : { timeout });
}

async function eventsOf(store: EventStore, id = 'r1'): Promise<RequesterEvent[]> {
  return (await collect(store.readStream(`requester/${id}`))).map((e) => e.data as RequesterEvent);
}

const settledOf = async (store: EventStore, id = 'r1') =>
  (await eventsOf(store, id)).filter((e) => e.type === 'Settled');

describe('durable effects end to end (memory store)', () => {
  it('runs a requested effect after its decision is stored and delivers the result to the aggregate once', async () => {
    const store = memoryStore();
    const calls: Array<{ input: unknown; key: string }> = [];
    const runtime = await start({
      store,
      effects: {
        implementations: {
          remote: async (input, ctx) => {
            calls.push({ input, key: ctx.idempotencyKey });
            return { ok: true };
          },
        },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await until(async () => (await runtime.get(requester, 'r1').state()).state.settled === 1);
    const events = await eventsOf(store);
    expect(events).toEqual([
      { type: 'Requested', id: 'a', payload: 1 },
      {
        type: 'Settled',
        id: 'a',
        version: 1,
        attempts: 1,
        outcome: 'done',
        output: { ok: true },
        settledId: 'a',
      },
    ]);
    expect(calls).toEqual([{ input: { payload: 1 }, key: effectIdempotencyKey('requester/r1', 'a', 1) }]);
    expect(await store.timers?.count()).toBe(0);
    expect(runtime.metrics().counters.effectsSucceeded).toBe(1);
    expect(runtime.metrics().counters.effectsStarted).toBe(1);
  });
});

describe('ctx.effects (the recorder)', () => {
  const remote = async () => 1;

  it('refuses an effect name that is not registered, naming the registered ones', async () => {
    const runtime = await start({ effects: { implementations: { remote, other: remote } } });
    const h = runtime.get(requester, 'r1');
    await expect(h.execute({ type: 'send', id: 'a', payload: 1, effect: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/effect "nope" is not registered.*'remote', 'other'/),
    });
  });

  it('says so when no effect is registered at all', async () => {
    const runtime = await start({});
    await expect(
      runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/RuntimeOptions\.effects/),
    });
  });

  it('refuses input that is not plain JSON, and bad options, even when decide catches the throw', async () => {
    const sloppy = defineAggregate<null, { type: 'go'; input: unknown; opts?: object }, { type: 'Went' }>({
      type: 'sloppy',
      initialState: () => null,
      decide(_s, cmd, ctx) {
        try {
          ctx.effects.request('remote', cmd.input, cmd.opts as never);
        } catch {
          // swallowed: the command is refused anyway
        }
        return [{ type: 'Went' }];
      },
      evolve: (s) => s,
    });
    const store = memoryStore();
    const runtime = await start({ store, aggregates: [sloppy], effects: { implementations: { remote } } });
    const h = runtime.get(sloppy, 's');
    const cases: Array<[unknown, object | undefined, RegExp]> = [
      [new Date(0), undefined, /input is a Date, not a plain object/],
      [{ f: () => 1 }, undefined, /input\.f is a function/],
      [undefined, undefined, /input is undefined/],
      [1, { timeoutMs: 0 }, /timeoutMs must be a whole number of milliseconds from 1/],
      [1, { maxAttempts: 0 }, /maxAttempts must be an integer from 1/],
      [1, { resultType: '' }, /resultType must be a non-empty string/],
      [1, { id: '' }, /effect id must be a non-empty string/],
      [1, { retries: 3 }, /unknown option 'retries'/],
    ];
    for (const [input, opts, message] of cases) {
      await expect(
        h.execute({ type: 'go', input, ...(opts === undefined ? {} : { opts }) }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      });
    }
    expect(await collect(store.readStream('sloppy/s'))).toEqual([]);
    expect(await store.timers?.count()).toBe(0);
  });

  it('refuses a decision that requests or cancels an effect but returns no event', async () => {
    const silent = defineAggregate<null, { type: 'go' | 'stop' }, { type: 'Never' }>({
      type: 'silent',
      initialState: () => null,
      decide(_s, cmd, ctx) {
        if (cmd.type === 'go') ctx.effects.request('remote', 1);
        else ctx.effects.cancel('remote');
        return [];
      },
      evolve: (s) => s,
    });
    const runtime = await start({ aggregates: [silent], effects: { implementations: { remote } } });
    await expect(runtime.get(silent, 's').execute({ type: 'go' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/changed effects \(request effect 'remote'\) but returned no event/),
    });
    await expect(runtime.get(silent, 's').execute({ type: 'stop' })).rejects.toMatchObject({
      message: expect.stringMatching(/cancel effect 'remote'/),
    });
  });

  it('keeps the reserved effect names away from ctx.timers and runtime.timers()', async () => {
    const sneaky = defineAggregate<null, { type: 'go' }, { type: 'Went' }>({
      type: 'sneaky',
      initialState: () => null,
      decide(_s, _c, ctx) {
        ctx.timers.schedule('@effect:x', { after: 1 }, { type: 'go' });
        return [{ type: 'Went' }];
      },
      evolve: (s) => s,
    });
    const runtime = await start({ aggregates: [sneaky] });
    await expect(runtime.get(sneaky, 's').execute({ type: 'go' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/'@effect:' are reserved for durable effects; use ctx\.effects/),
    });
    await expect(runtime.timers().fire('sneaky/s', '@effect:x')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('RuntimeOptions.effects', () => {
  it.each([
    [{ implementations: { a: 1 } }, /effects\.implementations\['a'\] must be a function or an object/],
    [{ implementations: {}, concurrency: 0 }, /effects\.concurrency must be a positive integer/],
    [
      { implementations: {}, timeoutMs: Number.POSITIVE_INFINITY },
      /effects\.timeoutMs must be a whole number/,
    ],
    [{ implementations: {}, maxAttempts: 1.5 }, /effects\.maxAttempts must be an integer from 1/],
    [{ implementations: {}, backoff: { factor: 0.5 } }, /effects\.backoff\.factor must be a number from 1/],
    [
      { implementations: {}, backoff: { initialMs: 10, maxMs: 5 } },
      /maxMs must be >= effects\.backoff\.initialMs/,
    ],
    [{ implementations: {}, timeoutMS: 5 }, /effects has an unknown option 'timeoutMS'/],
    [{ implementations: { a: { run: (): number => 1, retry: 3 } } }, /unknown option 'retry'/],
    [{ implementations: { a: { run: (): number => 1, retryable: true } } }, /retryable must be a function/],
    [[], /effects must be an object/],
  ])('refuses %j', async (effects, message) => {
    await expect(
      createRuntime({ aggregates: [requester], effects: effects as unknown as EffectsOptions }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
  });

  it('refuses effects on a store that cannot record their outcomes (no timers.reschedule)', async () => {
    const base = memoryStore();
    const timers = base.timers as NonNullable<EventStore['timers']>;
    const { reschedule: _left, ...older } = timers;
    const store: EventStore = { ...base, timers: older };
    await expect(
      createRuntime({ store, aggregates: [requester], effects: { implementations: { remote: () => 1 } } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/timers\.reschedule/),
    });
  });
});

describe('the effect runner', () => {
  it('retries a failing effect with back-off, the same idempotency key on every attempt, until it succeeds', async () => {
    // Full jitter can draw a delay of 0, which makes the retry due at once: the listing below
    // would then see attempt 2. Half the ceiling keeps every back-off strictly positive.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const clock = new SimulatedClock(1000);
    const store = memoryStore({ clock });
    const seen: Array<{ key: string; attempt: number }> = [];
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: (_input, ctx) => {
            seen.push({ key: ctx.idempotencyKey, attempt: ctx.attempt });
            if (ctx.attempt < 3) throw new Error(`down ${ctx.attempt}`);
            return 'up';
          },
        },
        backoff: { initialMs: 100, maxMs: 1000 },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    const [listed] = await collect(runtime.effects().list());
    expect(listed).toMatchObject({
      state: 'retrying',
      attempts: 1,
      lastError: { message: 'down 1', name: 'Error' },
    });
    expect(listed?.nextAt).toBeLessThanOrEqual(1000 + 100);
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await settle(clock);
    }
    expect(await settledOf(store)).toEqual([
      { type: 'Settled', id: 'a', version: 1, attempts: 3, outcome: 'done', output: 'up', settledId: 'a' },
    ]);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    const c = runtime.metrics().counters;
    expect([c.effectsStarted, c.effectsRetried, c.effectsSucceeded, c.effectsFailed]).toEqual([3, 2, 1, 0]);
  });

  it('stops at the budget and delivers the last error; a non-retryable error is not retried', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    let calls = 0;
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: (input) => {
            calls++;
            if ((input as { payload: string }).payload === 'fatal')
              throw Object.assign(new Error('no such account'), { retryable: false, code: 'NO_ACCOUNT' });
            throw new Error('flaky');
          },
        },
        backoff: { initialMs: 10, maxMs: 10 },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 'x', maxAttempts: 3 });
    await runtime.get(requester, 'r2').execute({ type: 'send', id: 'a', payload: 'fatal', maxAttempts: 3 });
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      await settle(clock);
    }
    expect(await settledOf(store, 'r1')).toMatchObject([
      { attempts: 3, outcome: 'failed', error: { message: 'flaky', name: 'Error' } },
    ]);
    expect(await settledOf(store, 'r2')).toMatchObject([
      { attempts: 1, outcome: 'failed', error: { message: 'no such account', code: 'NO_ACCOUNT' } },
    ]);
    expect(calls).toBe(4);
    expect(runtime.metrics().counters.effectsFailed).toBe(2);
  });

  it('times an attempt out (aborting its signal) and retries it; a definition retryable() decides', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const reasons: unknown[] = [];
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: {
            timeoutMs: 50,
            maxAttempts: 2,
            retryable: (e) => (e as { code?: string }).code === 'EFFECT_TIMEOUT',
            run: (_i, ctx: EffectContext) =>
              new Promise((_resolve, reject) =>
                ctx.signal.addEventListener('abort', () => {
                  reasons.push(ctx.signal.reason);
                  reject(ctx.signal.reason);
                }),
              ),
          },
        },
        backoff: { initialMs: 1, maxMs: 1 },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    for (let i = 0; i < 6; i++) {
      clock.advance(30);
      await settle(clock);
    }
    expect(reasons.map((r) => (r as { code: string }).code)).toEqual(['EFFECT_TIMEOUT', 'EFFECT_TIMEOUT']);
    expect(await settledOf(store)).toMatchObject([
      { attempts: 2, outcome: 'failed', error: { code: 'EFFECT_TIMEOUT', name: 'EffectTimeout' } },
    ]);
  });

  it('awaits an async retryable(): its answer decides, and one that does not answer within the timeout counts as retryable, logged with the effect', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const lines: Array<{ msg: string; effect?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    let calls = 0;
    const runtime = await start({
      store,
      clock,
      logger,
      effects: {
        implementations: {
          // Async yes for 'flaky', async no for 'fatal': retried once, then refused.
          remote: {
            maxAttempts: 3,
            retryable: async (e) => {
              await Promise.resolve();
              return (e as Error).message === 'flaky';
            },
            run: () => {
              calls++;
              throw new Error(calls === 1 ? 'flaky' : 'fatal');
            },
          },
          // An async rule that never answers: the attempt's timeout bounds it.
          slow: {
            timeoutMs: 50,
            maxAttempts: 2,
            retryable: () => new Promise<boolean>(() => {}),
            run: () => {
              throw new Error('down');
            },
          },
        },
        backoff: { initialMs: 1, maxMs: 1 },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await runtime.get(requester, 'r2').execute({ type: 'send', id: 'b', payload: 2, effect: 'slow' });
    for (let i = 0; i < 10; i++) {
      clock.advance(30);
      await settle(clock);
    }
    expect(calls).toBe(2);
    expect(await settledOf(store, 'r1')).toMatchObject([
      { attempts: 2, outcome: 'failed', error: { message: 'fatal' } },
    ]);
    // Not answered in 50 ms: retried (the default rule) until the budget ran out.
    expect(await settledOf(store, 'r2')).toMatchObject([
      { attempts: 2, outcome: 'failed', error: { message: 'down' } },
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        effect: 'slow',
        msg: "effect 'slow': retryable() did not answer within 50 ms; the error counts as retryable",
      }),
    );
  });

  it('fails an output that is not plain JSON for good (EFFECT_OUTPUT_NOT_JSON), and settles a void one with null', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    let calls = 0;
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: (input) => {
            calls++;
            return (input as { payload: string }).payload === 'date' ? new Date(0) : undefined;
          },
        },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 'date' });
    await runtime.get(requester, 'r2').execute({ type: 'send', id: 'a', payload: 'void' });
    await settle(clock);
    expect(await settledOf(store, 'r1')).toMatchObject([
      { attempts: 1, outcome: 'failed', error: { code: 'EFFECT_OUTPUT_NOT_JSON' } },
    ]);
    expect(await settledOf(store, 'r2')).toMatchObject([{ outcome: 'done', output: null }]);
    expect(calls).toBe(2);
  });

  it('aborts a running attempt its aggregate cancels, and neither records nor delivers its outcome', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    let signal: AbortSignal | undefined;
    let finish: (v: unknown) => void = () => undefined;
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: (_i, ctx) => {
            signal = ctx.signal;
            // Ignores the signal and answers later: the answer must be dropped.
            return new Promise((resolve) => {
              finish = resolve;
            });
          },
        },
      },
    });
    const h = runtime.get(requester, 'r1');
    await h.execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    expect(runtime.metrics().gauges.effectsInFlight).toBe(1);
    expect((await runtime.effects().get('requester/r1', 'a'))?.state).toBe('running');
    await h.execute({ type: 'cancel', id: 'a' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toMatchObject({ code: 'EFFECT_CANCELLED' });
    finish('too late');
    clock.advance(100_000);
    await settle(clock);
    expect(await settledOf(store)).toEqual([]);
    expect(await store.timers?.count()).toBe(0);
    expect(runtime.metrics().counters.effectsCancelled).toBe(1);
    expect(runtime.metrics().gauges.effectsInFlight).toBe(0);
  });

  it('aborts the running attempt of a request replaced under the same id, and delivers only the new one', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const signals: AbortSignal[] = [];
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: (input, ctx) => {
            signals.push(ctx.signal);
            if ((input as { payload: number }).payload === 1) return new Promise(() => undefined); // never answers
            return 'second';
          },
        },
      },
    });
    const h = runtime.get(requester, 'r1');
    await h.execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    await h.execute({ type: 'send', id: 'a', payload: 2 });
    await settle(clock);
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    expect(await settledOf(store)).toMatchObject([
      { id: 'a', version: 2, outcome: 'done', output: 'second' },
    ]);
    expect(runtime.metrics().counters.effectsCancelled).toBe(1);
  });

  it('leaves an effect this runtime has no implementation for waiting, to run where it is registered', async () => {
    const clock = new SimulatedClock(0);
    const store = reopenable(memoryStore({ clock }));
    const first = await start({ store, clock, effects: { implementations: { remote: () => 'here' } } });
    await first.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1, effect: 'remote' });
    await first.shutdown({ timeoutMs: 100 });
    // A runtime without 'remote' (a rolling deploy): it neither runs nor drops it.
    const other = await start({ store, clock, effects: { implementations: { unrelated: () => 1 } } });
    await settle(clock);
    const [waiting] = await collect(other.effects().list());
    expect(waiting).toMatchObject({ state: 'pending', name: 'remote', nextAt: 60_000 });
    await other.shutdown({ timeoutMs: 100 });
    await start({ store, clock, effects: { implementations: { remote: () => 'here' } } });
    clock.advance(60_000);
    await settle(clock);
    expect(await settledOf(store)).toMatchObject([{ outcome: 'done', output: 'here' }]);
  });

  it('tries a failed store write of an outcome again until it is recorded', async () => {
    const clock = new SimulatedClock(0);
    const base = memoryStore({ clock });
    const timers = base.timers as NonNullable<EventStore['timers']> & {
      reschedule: NonNullable<NonNullable<EventStore['timers']>['reschedule']>;
    };
    let failNext = 0;
    const store: EventStore = {
      ...base,
      timers: {
        ...timers,
        reschedule: (...args) => {
          if (failNext > 0) {
            failNext--;
            return Promise.reject(new StoreError('IO', 'disk unplugged'));
          }
          return timers.reschedule(...args);
        },
      },
    };
    const runtime = await start({
      store,
      clock,
      storeRetry: { initialMs: 10, maxMs: 10 },
      effects: {
        implementations: {
          remote: () => {
            failNext = 3; // the outcome's write fails three times
            return 'ok';
          },
        },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    for (let i = 0; i < 10; i++) {
      clock.advance(10);
      await settle(clock);
    }
    expect(await settledOf(base)).toMatchObject([{ outcome: 'done', output: 'ok', attempts: 1 }]);
  });

  it('aborts running attempts at shutdown without recording them; after a restart the effect runs again and is delivered once', async () => {
    const clock = new SimulatedClock(0);
    const store = reopenable(memoryStore({ clock }));
    const keys: string[] = [];
    let hang = true;
    const effects: EffectsOptions = {
      implementations: {
        remote: (_i, ctx) => {
          keys.push(ctx.idempotencyKey);
          if (!hang) return 'done';
          return new Promise((_r, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          );
        },
      },
    };
    const first = await start({ store, clock, effects });
    await first.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    expect(keys).toHaveLength(1);
    await first.shutdown();
    const [record] = await collect((store.timers as NonNullable<EventStore['timers']>).list());
    // Given back at shutdown: due now, its attempt not counted.
    expect(record).toMatchObject({ dueAt: 0, command: { attempts: 0 } });
    hang = false;
    const second = await start({ store, clock, effects });
    await settle(clock);
    expect(await settledOf(store)).toMatchObject([{ outcome: 'done', output: 'done', attempts: 1 }]);
    expect(keys).toEqual([keys[0], keys[0]]);
    await second.shutdown();
  });
});

describe('runtime.effects() and the effect metrics', () => {
  it('lists effects with their state, retries and abandons them; runtime.timers() does not show them', async () => {
    const clock = new SimulatedClock(10_000);
    const store = memoryStore({ clock });
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: () => {
            throw new Error('down');
          },
        },
        maxAttempts: 2,
        backoff: { initialMs: 1, maxMs: 1 },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    clock.advance(1);
    await settle(clock);
    expect(await settledOf(store, 'r1')).toMatchObject([{ outcome: 'failed', attempts: 2 }]);

    // A third effect, not yet run: pending until the clock moves.
    const stuck = await runtime.get(requester, 'r3').execute({ type: 'send', id: 'c', payload: 3 });
    expect(stuck.version).toBe(1);
    const listed = await collect(runtime.effects().list({ streamId: 'requester/r3' }));
    expect(listed).toMatchObject([
      {
        streamId: 'requester/r3',
        id: 'c',
        name: 'remote',
        state: 'pending',
        attempts: 0,
        input: { payload: 3 },
      },
    ]);
    expect(await collect(runtime.timers().list())).toEqual([]);
    expect(await runtime.timers().count()).toBe(0);
    expect(await runtime.effects().count()).toBe(1);

    // Abandon: its failure is delivered now, with EFFECT_ABANDONED.
    expect(await runtime.effects().abandon('requester/r3', 'c', 'remote retired')).toBe(true);
    await settle(clock);
    expect(await settledOf(store, 'r3')).toMatchObject([
      { outcome: 'failed', error: { code: 'EFFECT_ABANDONED', message: 'remote retired' } },
    ]);
    expect(await runtime.effects().abandon('requester/r3', 'c')).toBe(false);
    expect(await runtime.effects().retry('requester/r3', 'nothing')).toBe(false);
  });

  it('retries a retrying effect by hand at once, with a fresh budget', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    let up = false;
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: () => {
            if (!up) throw new Error('down');
            return 'up';
          },
        },
        maxAttempts: 2,
        backoff: { initialMs: 1_000_000, maxMs: 1_000_000 },
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    expect(await runtime.effects().get('requester/r1', 'a')).toMatchObject({
      state: 'retrying',
      attempts: 1,
    });
    up = true;
    expect(await runtime.effects().retry('requester/r1', 'a')).toBe(true);
    await settle(clock);
    // Ran at once, not after the back-off, and counted from a fresh budget.
    expect(await settledOf(store)).toMatchObject([{ outcome: 'done', output: 'up', attempts: 1 }]);
    expect(await runtime.effects().count()).toBe(0);
  });

  it('reports pending effects, in-flight attempts and the age of the oldest as gauges', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    let release: () => void = () => undefined;
    const runtime = await start({
      store,
      clock,
      effects: {
        implementations: {
          remote: () =>
            new Promise<string>((resolve) => {
              release = () => resolve('ok');
            }),
        },
        timeoutMs: 1_000_000,
      },
    });
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await settle(clock);
    clock.advance(5000);
    runtime.metrics(); // starts the count (refreshed at most once a second)
    await flush();
    const { gauges } = runtime.metrics();
    expect(gauges.effectsPending).toBe(1);
    expect(gauges.effectsInFlight).toBe(1);
    expect(gauges.effectsOldestAgeMs).toBe(5000);
    expect(gauges.timersPending).toBe(0);
    release();
    await settle(clock);
    clock.advance(1000);
    runtime.metrics();
    await flush();
    expect(runtime.metrics().gauges).toMatchObject({
      effectsPending: 0,
      effectsInFlight: 0,
      effectsOldestAgeMs: 0,
    });
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createRuntime,
  type DecideContext,
  defineAggregate,
  type EffectResult,
  type EffectsOptions,
  memoryStore,
  type Runtime,
  reject,
  SimulatedClock,
} from '../src/index.js';

/**
 * The durable-effects promises of docs/effects.md checked from outside, through the public API
 * only, with hostile inputs: what decide hands ctx.effects, what RuntimeOptions.effects holds,
 * and what implementations do (return, throw, hang, answer late).
 */

type Cmd = { type: 'go'; step: string } | (EffectResult & { type: 'Result' }) | { type: 'ping' };
type Evt =
  | { type: 'Went'; step: string }
  | { type: 'Got'; id: string; outcome: string; output?: unknown; error?: unknown; byRuntime: boolean }
  | { type: 'Pinged' };

/** What decide does for `go` commands: set per test (decide runs in this process). */
const steps = new Map<string, (ctx: DecideContext) => void>();
/** Set by a test to make decide refuse or throw on results. */
let onResult: 'accept' | 'reject' | 'throw' = 'accept';

const probe = defineAggregate<{ got: number }, Cmd, Evt>({
  type: 'probe',
  initialState: () => ({ got: 0 }),
  async decide(_state, cmd, ctx) {
    // Asynchronous on purpose: requests made after an await are part of the decision too.
    await Promise.resolve();
    switch (cmd.type) {
      case 'go':
        steps.get(cmd.step)?.(ctx);
        return [{ type: 'Went', step: cmd.step }];
      case 'ping':
        return [{ type: 'Pinged' }];
      case 'Result':
        if (onResult === 'reject') reject('not-now');
        if (onResult === 'throw') throw new Error('decide bug on a result');
        return [
          {
            type: 'Got',
            id: cmd.effect.id,
            outcome: cmd.outcome,
            ...(cmd.outcome === 'done' ? { output: cmd.output } : { error: cmd.error }),
            byRuntime: ctx.settledEffect !== undefined,
          },
        ];
    }
  },
  evolve: (s, e) => (e.type === 'Got' ? { got: s.got + 1 } : s),
});

const open: Runtime[] = [];
afterEach(async () => {
  steps.clear();
  onResult = 'accept';
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 100 });
});

async function start(
  effects: EffectsOptions,
  clock?: SimulatedClock,
  extra: { idleTimeoutMs?: number } = {},
) {
  const store = memoryStore();
  const runtime = await createRuntime({
    aggregates: [probe],
    store,
    effects,
    ...(clock === undefined ? {} : { clock }),
    ...extra,
  });
  open.push(runtime);
  return { runtime, store };
}

async function go(runtime: Runtime, step: string, fn: (ctx: DecideContext) => void, id = 'p1') {
  steps.set(step, fn);
  return runtime.get(probe, id).execute({ type: 'go', step });
}

async function eventsOf(runtime: Runtime, id = 'p1'): Promise<Evt[]> {
  const out: Evt[] = [];
  for await (const e of runtime.store.readStream(`probe/${id}`)) out.push(e.data as Evt);
  return out;
}

const gots = async (runtime: Runtime, id = 'p1') =>
  (await eventsOf(runtime, id)).filter((e): e is Extract<Evt, { type: 'Got' }> => e.type === 'Got');

/**
 * Resolves once `check` holds: vi.waitUntil with the shared ceiling and poll (vitest.setup.ts), a
 * ceiling fit for a loaded machine (a 5 s one of its own timed out at load 25).
 */
async function until(check: () => Promise<boolean> | boolean, timeout?: number): Promise<void> {
  await vi.waitUntil(check, timeout === undefined ? undefined : { timeout });
}

/** Lets simulated time pass in steps, with real turns of the event loop between them. */
async function pass(clock: SimulatedClock, ms: number, steps = 20): Promise<void> {
  for (let i = 0; i < steps; i++) {
    clock.advance(ms / steps);
    await sleep(1);
  }
}

const noop = async () => ({ ok: true });

describe('ctx.effects.request refuses hostile input with INVALID_ARGUMENT and stores nothing', () => {
  const holey: unknown[] = [];
  holey[2] = 3;
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  let deep: unknown = 1;
  for (let i = 0; i < 200; i++) deep = [deep];
  const throwingGetter = {
    get boom() {
      throw new Error('getter says no');
    },
  };
  const hostileProxy = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('ownKeys says no');
      },
    },
  );
  const cases: Array<[string, unknown, RegExp]> = [
    ['a Date', { at: new Date(0) }, /input\.at is a Date/],
    ['a Map', new Map([[1, 2]]), /input is a Map/],
    ['NaN', { n: Number.NaN }, /input\.n is NaN/],
    ['Infinity', [Number.POSITIVE_INFINITY], /input\[0\] is Infinity/],
    ['an undefined field', { a: undefined }, /input\.a/],
    ['undefined', undefined, /input is undefined/],
    ['a cycle', cyclic, /input\.self refers back .*cycle/],
    ['too deep', deep, /nested too deeply/],
    ['a BigInt', { n: 1n }, /bigint/],
    ['a symbol value', { s: Symbol('s') }, /symbol/],
    ['a symbol key', { [Symbol('k')]: 1 }, /symbol keys/],
    ['a function', { f: () => 1 }, /function/],
    ['an array hole', holey, /hole/],
    ['a class instance', new (class Money {})(), /Money/],
    ['a getter that throws', throwingGetter, /input could not be read \(getter says no\)/],
    ['a proxy whose traps throw', hostileProxy, /input could not be read \(ownKeys says no\)/],
  ];
  it.each(cases)('input with %s', async (_what, input, message) => {
    const { runtime } = await start({ implementations: { remote: noop } });
    const caught: unknown[] = [];
    const result = go(runtime, 'bad', (ctx) => {
      try {
        ctx.effects.request('remote', input);
      } catch (e) {
        // decide catching the throw must not let the request (or the command) through.
        caught.push(e);
      }
    });
    await expect(result).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
    expect(caught).toHaveLength(1);
    expect(await eventsOf(runtime)).toEqual([]);
    expect(await runtime.effects().count()).toBe(0);
  });

  it('keeps a copy of the input: decide changing it after the request changes nothing', async () => {
    const seen: unknown[] = [];
    const { runtime } = await start({
      implementations: {
        remote: async (input: unknown) => {
          seen.push(input);
          return null;
        },
      },
    });
    await go(runtime, 'mutate', (ctx) => {
      const input = { list: [1] };
      ctx.effects.request('remote', input);
      input.list.push(2);
    });
    await until(async () => (await gots(runtime)).length === 0 && seen.length === 1);
    expect(seen).toEqual([{ list: [1] }]);
  });

  it('a name that is not registered, naming the registered ones', async () => {
    const { runtime } = await start({ implementations: { remote: noop, other: noop } });
    const result = go(runtime, 'name', (ctx) => {
      ctx.effects.request('remotee', {});
    });
    await expect(result).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/"remotee" is not registered.*'remote', 'other'/),
    });
    expect(await eventsOf(runtime)).toEqual([]);
  });

  const names: Array<[string, unknown]> = [
    ['an empty string', ''],
    ['a number', 7],
    ['a symbol', Symbol('remote')],
    ['undefined', undefined],
  ];
  it.each(names)('a name that is %s', async (_what, name) => {
    const { runtime } = await start({ implementations: { remote: noop } });
    const result = go(runtime, 'name', (ctx) => {
      ctx.effects.request(name as string, {});
    });
    await expect(result).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/effect name must be a non-empty string/),
    });
    expect(await eventsOf(runtime)).toEqual([]);
  });

  const ids: Array<[string, unknown, RegExp]> = [
    ['empty', '', /effect id must be a non-empty string/],
    ['with U+0000', 'a\u0000b', /U\+0000/],
    ['a lone surrogate', 'a\uD800', /lone surrogate/],
    ['a number', 42, /effect id must be a non-empty string/],
  ];
  it.each(ids)('an id that is %s (request and cancel)', async (_what, id, message) => {
    const { runtime } = await start({ implementations: { remote: noop } });
    await expect(
      go(runtime, 'id', (ctx) => {
        ctx.effects.request('remote', {}, { id: id as string });
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    await expect(
      go(runtime, 'cancel-id', (ctx) => {
        ctx.effects.cancel(id as string);
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    expect(await eventsOf(runtime)).toEqual([]);
  });

  const options: Array<[string, unknown, RegExp]> = [
    ['null', null, /options must be an object/],
    ['an array', [], /options must be an object/],
    ['a string', 'grid', /options must be an object/],
    ['an unknown key', { timeoutMS: 5 }, /unknown option 'timeoutMS'/],
    ['timeoutMs 0', { timeoutMs: 0 }, /timeoutMs must be a whole number/],
    ['timeoutMs -1', { timeoutMs: -1 }, /timeoutMs must be a whole number/],
    ['timeoutMs NaN', { timeoutMs: Number.NaN }, /timeoutMs must be a whole number.*NaN/],
    ['timeoutMs Infinity', { timeoutMs: Number.POSITIVE_INFINITY }, /timeoutMs must be a whole number/],
    ['timeoutMs 1.5', { timeoutMs: 1.5 }, /timeoutMs must be a whole number/],
    ['timeoutMs a string', { timeoutMs: '100' }, /timeoutMs must be a whole number/],
    ['maxAttempts 0', { maxAttempts: 0 }, /maxAttempts must be an integer from 1/],
    ['maxAttempts 2.5', { maxAttempts: 2.5 }, /maxAttempts must be an integer from 1/],
    ['maxAttempts huge', { maxAttempts: 1e12 }, /maxAttempts must be an integer from 1/],
    ['resultType empty', { resultType: '' }, /resultType must be a non-empty string/],
    ['resultType a number', { resultType: 5 }, /resultType must be a non-empty string/],
    ['resultType the reserved one', { resultType: '@actorfold/run-effect' }, /resultType/],
  ];
  it.each(options)('options that are %s', async (_what, opts, message) => {
    const { runtime } = await start({ implementations: { remote: noop } });
    await expect(
      go(runtime, 'opts', (ctx) => {
        ctx.effects.request('remote', {}, opts as never);
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    expect(await eventsOf(runtime)).toEqual([]);
  });

  it('takes an id as long as a timer name may be (1,024 UTF-8 bytes with its prefix) and a huge input as they are', async () => {
    const seen: unknown[] = [];
    const { runtime } = await start({
      implementations: {
        remote: (input: { s: string }, ctx) => {
          seen.push([input.s.length, ctx.effect.id.length]);
          return null;
        },
      },
    });
    // The record's timer name is '@effect:' + id, and every store refuses one over 1,024 bytes.
    const tooLong = 'x'.repeat(1024 - 7);
    await expect(
      go(runtime, 'too long', (ctx) => {
        ctx.effects.request('remote', {}, { id: tooLong, resultType: 'Result' });
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await eventsOf(runtime)).toEqual([]);
    const id = 'x'.repeat(1024 - 8);
    await go(runtime, 'long', (ctx) => {
      ctx.effects.request('remote', { s: 'y'.repeat(1_000_000) }, { id, resultType: 'Result' });
    });
    await until(async () => (await gots(runtime)).length === 1);
    expect(seen).toEqual([[1_000_000, 1016]]);
    expect((await gots(runtime))[0]).toMatchObject({ id, outcome: 'done', byRuntime: true });
  });
});

describe('RuntimeOptions.effects refuses hostile settings when the runtime is created', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 'yes', /effects must be an object/],
    ['an unknown key', { implementations: {}, retries: 3 }, /unknown option 'retries'/],
    ['implementations missing', {}, /effects\.implementations must be an object/],
    ['implementations a Map', { implementations: new Map() }, /effects\.implementations must be an object/],
    [
      'a number as implementation',
      { implementations: { a: 1 } },
      /implementations\['a'\] must be a function/,
    ],
    ['null as implementation', { implementations: { a: null } }, /implementations\['a'\] must be a function/],
    [
      'run not a function',
      { implementations: { a: { run: 'x' } } },
      /implementations\['a'\] must be a function/,
    ],
    [
      'a definition with an unknown key',
      { implementations: { a: { run: noop, retry: 1 } } },
      /unknown option 'retry'/,
    ],
    [
      'retryable not a function',
      { implementations: { a: { run: noop, retryable: true } } },
      /retryable must be a function/,
    ],
    ['an empty name', { implementations: { '': noop } }, /name must not be empty/],
    ['a name with U+0000', { implementations: { 'a\u0000b': noop } }, /U\+0000/],
    ['a name with a lone surrogate', { implementations: { 'a\uDC00': noop } }, /lone surrogate/],
    ['concurrency 0', { implementations: {}, concurrency: 0 }, /concurrency must be a positive integer/],
    ['concurrency -1', { implementations: {}, concurrency: -1 }, /concurrency must be a positive integer/],
    [
      'concurrency NaN',
      { implementations: {}, concurrency: Number.NaN },
      /concurrency must be a positive integer/,
    ],
    ['concurrency Infinity', { implementations: {}, concurrency: Number.POSITIVE_INFINITY }, /concurrency/],
    ['timeoutMs -5', { implementations: {}, timeoutMs: -5 }, /effects\.timeoutMs must be a whole number/],
    [
      'timeoutMs Infinity',
      { implementations: {}, timeoutMs: Number.POSITIVE_INFINITY },
      /effects\.timeoutMs/,
    ],
    ['maxAttempts NaN', { implementations: {}, maxAttempts: Number.NaN }, /effects\.maxAttempts/],
    [
      'concurrency null',
      { implementations: {}, concurrency: null },
      /concurrency must be a positive integer/,
    ],
    ['timeoutMs null', { implementations: {}, timeoutMs: null }, /effects\.timeoutMs must be a whole number/],
    ['maxAttempts null', { implementations: {}, maxAttempts: null }, /effects\.maxAttempts/],
    ['backoff.initialMs null', { implementations: {}, backoff: { initialMs: null } }, /backoff\.initialMs/],
    ['backoff.maxMs null', { implementations: {}, backoff: { maxMs: null } }, /backoff\.maxMs/],
    ['backoff.factor null', { implementations: {}, backoff: { factor: null } }, /backoff\.factor/],
    ['backoff not an object', { implementations: {}, backoff: 5 }, /effects\.backoff must be an object/],
    [
      'backoff.initialMs NaN',
      { implementations: {}, backoff: { initialMs: Number.NaN } },
      /backoff\.initialMs/,
    ],
    ['backoff.maxMs negative', { implementations: {}, backoff: { maxMs: -1 } }, /backoff\.maxMs/],
    ['backoff.factor 0.5', { implementations: {}, backoff: { factor: 0.5 } }, /backoff\.factor/],
    [
      'backoff with an unknown key',
      { implementations: {}, backoff: { jitter: 0 } },
      /unknown option 'jitter'/,
    ],
    [
      'backoff.maxMs below initialMs',
      { implementations: {}, backoff: { initialMs: 10, maxMs: 5 } },
      /maxMs must be >=/,
    ],
  ];
  it.each(bad)('effects with %s', async (_what, effects, message) => {
    await expect(
      createRuntime({ aggregates: [probe], store: memoryStore(), effects: effects as EffectsOptions }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
  });
});

describe('implementations that misbehave', () => {
  const outputs: Array<[string, () => unknown, RegExp]> = [
    ['a Date', () => new Date(0), /output is a Date/],
    ['a Map', () => new Map(), /output is a Map/],
    ['a class instance', () => new (class Receipt {})(), /Receipt/],
    ['NaN', () => Number.NaN, /NaN/],
    [
      'an object with a getter that throws',
      () => ({
        get x() {
          throw new Error('getter');
        },
      }),
      /output/,
    ],
    [
      'an object whose getter gives a BigInt when read a second time',
      () => {
        let reads = 0;
        return {
          get x() {
            return reads++ === 0 ? 1 : 10n;
          },
        };
      },
      /changed when read again/,
    ],
    [
      'an object whose getter throws when read a second time',
      () => {
        let reads = 0;
        return {
          get x() {
            if (reads++ > 0) throw new Error('gone');
            return 1;
          },
        };
      },
      /changed when read again \(gone\)/,
    ],
    [
      'a proxy whose traps throw',
      () =>
        new Proxy(
          {},
          {
            ownKeys() {
              throw new Error('trap');
            },
          },
        ),
      /output/,
    ],
  ];
  it.each(outputs)(
    'an output that is %s fails for good with EFFECT_OUTPUT_NOT_JSON, delivered once',
    async (_what, make, message) => {
      let calls = 0;
      const { runtime } = await start({
        implementations: {
          remote: () => {
            calls++;
            return make();
          },
        },
        backoff: { initialMs: 0, maxMs: 0 },
      });
      await go(runtime, 'out', (ctx) => {
        ctx.effects.request('remote', {}, { resultType: 'Result' });
      });
      await until(async () => (await gots(runtime)).length === 1);
      const [got] = await gots(runtime);
      expect(got).toMatchObject({
        outcome: 'failed',
        error: { code: 'EFFECT_OUTPUT_NOT_JSON', message: expect.stringMatching(message) },
      });
      expect(calls).toBe(1);
      expect(await runtime.effects().count()).toBe(0);
    },
  );

  const throws: Array<[string, () => unknown, Record<string, unknown>]> = [
    ['a string', () => 'remote down', { message: 'remote down' }],
    ['null', () => null, { message: 'null' }],
    ['undefined', () => undefined, { message: 'undefined' }],
    ['a plain object with a code', () => ({ code: 'E_REMOTE', message: 'nope' }), { code: 'E_REMOTE' }],
    [
      'an Error whose message getter throws',
      () => {
        const e = new Error('x');
        Object.defineProperty(e, 'message', {
          get() {
            throw new Error('message getter');
          },
        });
        return e;
      },
      {},
    ],
    [
      'an Error without a name',
      () => {
        const e = new Error('nameless');
        (e as { name: unknown }).name = undefined;
        return e;
      },
      { message: 'nameless' },
    ],
    [
      'a null-prototype object with a cycle',
      () => {
        const o = Object.create(null) as Record<string, unknown>;
        o.self = o;
        return o;
      },
      {},
    ],
  ];
  it.each(throws)(
    'a throw of %s is a failed attempt; the failure is delivered once after the budget',
    async (_what, make, error) => {
      let calls = 0;
      const { runtime } = await start({
        implementations: {
          remote: async () => {
            calls++;
            throw make();
          },
        },
        maxAttempts: 2,
        backoff: { initialMs: 0, maxMs: 0 },
      });
      await go(runtime, 'throw', (ctx) => {
        ctx.effects.request('remote', {}, { resultType: 'Result' });
      });
      await until(async () => (await gots(runtime)).length === 1);
      const [got] = await gots(runtime);
      expect(got).toMatchObject({ outcome: 'failed', error: { ...error, message: expect.any(String) } });
      expect(calls).toBe(2);
    },
  );

  it('a synchronous throw counts like a rejected promise', async () => {
    const { runtime } = await start({
      implementations: {
        remote: () => {
          throw Object.assign(new Error('sync'), { retryable: false });
        },
      },
    });
    await go(runtime, 'sync', (ctx) => {
      ctx.effects.request('remote', {}, { resultType: 'Result' });
    });
    await until(async () => (await gots(runtime)).length === 1);
    expect((await gots(runtime))[0]).toMatchObject({ outcome: 'failed', error: { message: 'sync' } });
  });

  it('one that never resolves is aborted at its timeout, retried, and fails with EFFECT_TIMEOUT at the budget', async () => {
    const clock = new SimulatedClock(0);
    const aborted: unknown[] = [];
    const { runtime } = await start(
      {
        implementations: {
          remote: (_i, ctx) =>
            new Promise(() => {
              ctx.signal.addEventListener('abort', () => aborted.push(ctx.signal.reason));
            }),
        },
        timeoutMs: 1000,
        maxAttempts: 3,
        backoff: { initialMs: 0, maxMs: 0 },
      },
      clock,
    );
    await go(runtime, 'hang', (ctx) => {
      ctx.effects.request('remote', {}, { resultType: 'Result' });
    });
    for (let i = 0; i < 40 && (await gots(runtime)).length === 0; i++) await pass(clock, 1000, 5);
    const got = await gots(runtime);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ outcome: 'failed', error: { code: 'EFFECT_TIMEOUT' } });
    expect(aborted).toHaveLength(3);
    expect(aborted.every((r) => (r as { code?: string }).code === 'EFFECT_TIMEOUT')).toBe(true);
  });

  it('an answer that comes after the timeout is ignored (the retry answers)', async () => {
    const clock = new SimulatedClock(0);
    const late: Array<(v: unknown) => void> = [];
    const { runtime } = await start(
      {
        implementations: {
          remote: (_i, ctx) =>
            ctx.attempt === 1 ? new Promise((resolve) => late.push(resolve)) : { from: ctx.attempt },
        },
        timeoutMs: 1000,
        backoff: { initialMs: 0, maxMs: 0 },
      },
      clock,
    );
    await go(runtime, 'late', (ctx) => {
      ctx.effects.request('remote', {}, { resultType: 'Result' });
    });
    for (let i = 0; i < 40 && (await gots(runtime)).length === 0; i++) {
      await pass(clock, 500, 5);
      for (const resolve of late.splice(0)) {
        // Answers twice, both after the timeout: neither counts.
        clock.advance(2000);
        await sleep(2);
        resolve({ from: 1 });
        resolve({ from: 1 });
      }
    }
    await sleep(20);
    const got = await gots(runtime);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ outcome: 'done', output: { from: 2 } });
  });
});

describe('cancel and replace while an attempt runs', () => {
  function gate() {
    const started: Array<{ input: unknown; signal: AbortSignal; release: (v: unknown) => void }> = [];
    const impl = (input: unknown, ctx: { signal: AbortSignal }) =>
      new Promise((release) => started.push({ input, signal: ctx.signal, release }));
    return { started, impl };
  }

  it('cancel aborts the running attempt; its late answer is never delivered; a new request under the id runs', async () => {
    const g = gate();
    const { runtime } = await start({ implementations: { remote: g.impl } });
    await go(runtime, 'req', (ctx) => {
      ctx.effects.request('remote', { n: 1 }, { id: 'x', resultType: 'Result' });
    });
    await until(() => g.started.length === 1);
    await go(runtime, 'cancel', (ctx) => ctx.effects.cancel('x'));
    expect(g.started[0]?.signal.aborted).toBe(true);
    g.started[0]?.release({ n: 1 });
    await go(runtime, 'again', (ctx) => {
      ctx.effects.request('remote', { n: 2 }, { id: 'x', resultType: 'Result' });
    });
    await until(() => g.started.length === 2);
    g.started[1]?.release({ n: 2 });
    await until(async () => (await gots(runtime)).length === 1);
    await sleep(20);
    const got = await gots(runtime);
    expect(got).toEqual([{ type: 'Got', id: 'x', outcome: 'done', output: { n: 2 }, byRuntime: true }]);
  });

  it('replacing a running effect (same id) aborts the old attempt and delivers only the new one', async () => {
    const g = gate();
    const { runtime } = await start({ implementations: { remote: g.impl } });
    await go(runtime, 'req1', (ctx) => {
      ctx.effects.request('remote', { n: 1 }, { id: 'x', resultType: 'Result' });
    });
    await until(() => g.started.length === 1);
    await go(runtime, 'req2', (ctx) => {
      ctx.effects.request('remote', { n: 2 }, { id: 'x', resultType: 'Result' });
    });
    expect(g.started[0]?.signal.aborted).toBe(true);
    await until(() => g.started.length === 2);
    g.started[0]?.release('old');
    g.started[1]?.release('new');
    await until(async () => (await gots(runtime)).length === 1);
    await sleep(20);
    expect((await gots(runtime)).map((g) => g.output)).toEqual(['new']);
  });

  it('two requests under one id in one decision: the last one wins and runs once', async () => {
    const seen: unknown[] = [];
    const { runtime } = await start({
      implementations: {
        remote: (input: unknown) => {
          seen.push(input);
          return input;
        },
      },
    });
    await go(runtime, 'twice', (ctx) => {
      ctx.effects.request('remote', 'first', { id: 'x', resultType: 'Result' });
      ctx.effects.request('remote', 'second', { id: 'x', resultType: 'Result' });
    });
    await until(async () => (await gots(runtime)).length === 1);
    await sleep(20);
    expect(seen).toEqual(['second']);
    expect((await gots(runtime)).map((g) => g.output)).toEqual(['second']);
  });

  it('request then cancel in one decision runs nothing; cancel then request runs it', async () => {
    const seen: unknown[] = [];
    const { runtime } = await start({
      implementations: {
        remote: (input: unknown) => {
          seen.push(input);
          return input;
        },
      },
    });
    await go(runtime, 'req-cancel', (ctx) => {
      ctx.effects.request('remote', 'a', { id: 'a', resultType: 'Result' });
      ctx.effects.cancel('a');
    });
    await go(runtime, 'cancel-req', (ctx) => {
      ctx.effects.cancel('b');
      ctx.effects.request('remote', 'b', { id: 'b', resultType: 'Result' });
    });
    await until(async () => (await gots(runtime)).length === 1);
    await sleep(20);
    expect(seen).toEqual(['b']);
    expect(await runtime.effects().count()).toBe(0);
  });
});

describe('operators, results and the runtime around a running effect', () => {
  it('retry and abandon of an unknown or settled effect say false; of a running one they stop it', async () => {
    const started: Array<{ signal: AbortSignal; release: (v: unknown) => void }> = [];
    const { runtime } = await start({
      implementations: {
        remote: (_i, ctx) => new Promise((release) => started.push({ signal: ctx.signal, release })),
      },
    });
    const ops = runtime.effects();
    expect(await ops.retry('probe/p1', 'nope')).toBe(false);
    expect(await ops.abandon('probe/p1', 'nope')).toBe(false);
    expect(await ops.retry('no/such-stream', 'x')).toBe(false);
    await go(runtime, 'run', (ctx) => {
      ctx.effects.request('remote', {}, { id: 'x', resultType: 'Result' });
    });
    await until(() => started.length === 1);
    expect((await ops.get('probe/p1', 'x'))?.state).toBe('running');
    // Retry of a running effect: the attempt is stopped and a fresh one runs.
    expect(await ops.retry('probe/p1', 'x')).toBe(true);
    expect(started[0]?.signal.aborted).toBe(true);
    await until(() => started.length === 2);
    // Abandon while the fresh attempt runs: its failure is delivered, its answer is not.
    expect(await ops.abandon('probe/p1', 'x', 'operator gave up')).toBe(true);
    expect(started[1]?.signal.aborted).toBe(true);
    started[0]?.release('late-1');
    started[1]?.release('late-2');
    await until(async () => (await gots(runtime)).length === 1);
    await sleep(20);
    const got = await gots(runtime);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ outcome: 'failed', error: { code: 'EFFECT_ABANDONED' } });
    expect(await ops.retry('probe/p1', 'x')).toBe(false);
    expect(await ops.abandon('probe/p1', 'x')).toBe(false);
  });

  it('abandon of a retrying effect, then retry before the failure is delivered: it runs again with a fresh budget and only its new outcome is delivered', async () => {
    const clock = new SimulatedClock(0);
    let up = false;
    let calls = 0;
    const { runtime } = await start(
      {
        implementations: {
          remote: () => {
            calls++;
            if (!up) throw new Error('down');
            return 'up';
          },
        },
        maxAttempts: 3,
        backoff: { initialMs: 3_600_000, maxMs: 3_600_000, factor: 1 },
      },
      clock,
    );
    await go(runtime, 'fail', (ctx) => {
      ctx.effects.request('remote', {}, { id: 'x', resultType: 'Result' });
    });
    const ops = runtime.effects();
    for (let i = 0; i < 100 && calls === 0; i++) await pass(clock, 0, 1);
    await until(async () => (await ops.get('probe/p1', 'x'))?.state === 'retrying');
    expect(await ops.abandon('probe/p1', 'x', 'giving up')).toBe(true);
    // The clock stands still: the abandoned failure waits to be delivered; abandoning it again says false.
    expect(await ops.get('probe/p1', 'x')).toMatchObject({
      state: 'failed',
      lastError: { code: 'EFFECT_ABANDONED', message: 'giving up' },
    });
    expect(await ops.abandon('probe/p1', 'x')).toBe(false);
    up = true;
    expect(await ops.retry('probe/p1', 'x')).toBe(true);
    expect(await ops.get('probe/p1', 'x')).toMatchObject({ state: 'pending', attempts: 0 });
    for (let i = 0; i < 100 && (await gots(runtime)).length === 0; i++) await pass(clock, 0, 1);
    await pass(clock, 100, 5);
    expect(await gots(runtime)).toEqual([
      { type: 'Got', id: 'x', outcome: 'done', output: 'up', byRuntime: true },
    ]);
    expect(calls).toBe(2);
  });

  it('refuses a misspelt list filter instead of listing everything', async () => {
    const { runtime } = await start({ implementations: { remote: noop } });
    const list = async (q: unknown) => {
      for await (const _ of runtime.effects().list(q as never)) {
        // drained
      }
    };
    await expect(list({ stream: 'probe/p1' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/unknown filter 'stream'/),
    });
    await expect(list({ limit: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(list({ state: 'done' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('lists a record under an effect name that holds no effect as CORRUPT_DATA naming it, not a TypeError', async () => {
    const { runtime, store } = await start({ implementations: { remote: noop } });
    const dueAt = Date.now() + 3_600_000;
    const timer = { streamId: 'probe/p9', version: 1, missed: 'fire', dueAt } as const;
    const halfResult = { type: 'Result', outcome: 'done', request: {} };
    // Written past the runtime, straight through the store's append: a command that is neither
    // a request nor a result, and a result whose kept request is not one.
    await store.append('probe/p9', [{ data: { type: 'Went', step: 'x' } }], {
      expectedVersion: 0,
      timers: [
        { op: 'schedule', timer: { ...timer, name: '@effect:bad', command: { type: 'x' } } },
        {
          op: 'schedule',
          timer: { ...timer, name: '@effect:half', command: halfResult },
        },
      ],
    });
    const list = async () => {
      for await (const _ of runtime.effects().list()) {
        // drained
      }
    };
    await expect(list()).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      message: expect.stringMatching(/probe\/p9@1: effect record '@effect:(bad|half)' holds neither/),
    });
  });

  it('a result command sent by hand has no ctx.settledEffect', async () => {
    const { runtime } = await start({ implementations: { remote: noop } });
    await runtime.get(probe, 'p1').execute({
      type: 'Result',
      effect: { id: 'forged', name: 'remote', version: 1, attempts: 1 },
      outcome: 'done',
      output: 'forged',
    });
    expect(await gots(runtime)).toEqual([
      { type: 'Got', id: 'forged', outcome: 'done', output: 'forged', byRuntime: false },
    ]);
  });

  it.each(['reject', 'throw'] as const)(
    'a result its aggregate refuses (%s) is dropped once, not delivered again and again',
    async (mode) => {
      let calls = 0;
      const { runtime } = await start({
        implementations: {
          remote: () => {
            calls++;
            return 1;
          },
        },
      });
      onResult = mode;
      await go(runtime, 'refused', (ctx) => {
        ctx.effects.request('remote', {}, { resultType: 'Result' });
      });
      await until(async () => (await runtime.effects().count()) === 0 && calls === 1);
      await sleep(30);
      expect(calls).toBe(1);
      expect(await gots(runtime)).toEqual([]);
      expect(runtime.metrics().counters.timersFailed).toBe(1);
    },
  );

  it('delivers the result to an actor evicted while the effect ran', async () => {
    const clock = new SimulatedClock(0);
    let release: ((v: unknown) => void) | undefined;
    const { runtime } = await start(
      { implementations: { remote: () => new Promise((r) => (release = r)) }, timeoutMs: 3_600_000 },
      clock,
      { idleTimeoutMs: 1000 },
    );
    await go(runtime, 'evict', (ctx) => {
      ctx.effects.request('remote', {}, { resultType: 'Result' });
    });
    for (let i = 0; i < 100 && release === undefined; i++) await pass(clock, 0, 1);
    expect(release).toBeDefined();
    // Far past the idle timeout: the actor is evicted while the attempt still runs.
    await pass(clock, 5000);
    expect(runtime.metrics().gauges.liveActors).toBe(0);
    release?.('after eviction');
    for (let i = 0; i < 100 && (await gots(runtime)).length === 0; i++) await pass(clock, 100, 2);
    expect((await runtime.get(probe, 'p1').state()).state.got).toBe(1);
  });

  it('a far jump of the simulated clock runs the retries up to the budget and delivers once', async () => {
    const clock = new SimulatedClock(0);
    let calls = 0;
    const { runtime } = await start(
      {
        implementations: {
          remote: async () => {
            calls++;
            throw new Error('down');
          },
        },
        maxAttempts: 4,
        backoff: { initialMs: 1000, maxMs: 60_000 },
      },
      clock,
    );
    await go(runtime, 'jump', (ctx) => {
      ctx.effects.request('remote', {}, { resultType: 'Result' });
    });
    for (let i = 0; i < 50 && (await gots(runtime)).length === 0; i++) {
      clock.advance(365 * 24 * 3_600_000);
      await sleep(2);
    }
    await sleep(20);
    expect(calls).toBe(4);
    expect(await gots(runtime)).toHaveLength(1);
  });

  it('never runs more attempts at once than concurrency (20 runs of 24 effects)', async () => {
    for (let run = 0; run < 20; run++) {
      let now = 0;
      let most = 0;
      const { runtime } = await start({
        implementations: {
          remote: async (input: { n: number }) => {
            now++;
            most = Math.max(most, now);
            await sleep(input.n % 3);
            now--;
            return input.n;
          },
        },
        concurrency: 3,
      });
      await Promise.all(
        Array.from({ length: 24 }, (_, n) =>
          go(
            runtime,
            `c${n}`,
            (ctx) => {
              ctx.effects.request('remote', { n }, { resultType: 'Result' });
            },
            `c${n}`,
          ),
        ),
      );
      await until(async () => (await runtime.effects().count()) === 0 && now === 0);
      expect(most).toBeLessThanOrEqual(3);
      expect(most).toBeGreaterThan(0);
      for (let n = 0; n < 24; n++) expect(await gots(runtime, `c${n}`)).toHaveLength(1);
      await runtime.shutdown();
      open.splice(open.indexOf(runtime), 1);
    }
  }, 60_000);
});

describe('a budget lowered by a restart', () => {
  it('an effect that already made as many attempts as the new maxAttempts is not run again: its last failure is delivered once', async () => {
    const clock = new SimulatedClock(0);
    const disk = memoryStore({ clock });
    const store = { ...disk, close: async () => {} }; // a second runtime reopens the same "disk"
    let calls = 0;
    const effects = (maxAttempts: number): EffectsOptions => ({
      implementations: {
        remote: () => {
          calls++;
          throw new Error(`503 #${calls}`);
        },
      },
      maxAttempts,
      backoff: { initialMs: 100, maxMs: 100, factor: 1 },
    });
    steps.set('b', (ctx) => {
      ctx.effects.request('remote', {}, { resultType: 'Result' });
    });
    const first = await createRuntime({ aggregates: [probe], store, clock, effects: effects(10) });
    await first.get(probe, 'p1').execute({ type: 'go', step: 'b' });
    for (let i = 0; i < 100 && calls < 3; i++) {
      clock.advance(100);
      await sleep(2);
    }
    await first.shutdown();
    const made = (await disk.timers?.get('probe/p1', '@effect:remote'))?.command as
      | { attempts?: number }
      | undefined;
    expect(made?.attempts).toBe(calls); // every attempt made was recorded before the shutdown
    const callsBefore = calls;

    const second = await createRuntime({ aggregates: [probe], store, clock, effects: effects(2) });
    open.push(second);
    for (let i = 0; i < 20 && (await gots(second)).length === 0; i++) {
      clock.advance(100);
      await sleep(2);
    }
    expect(calls).toBe(callsBefore);
    expect(await gots(second)).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        error: expect.objectContaining({ message: `503 #${callsBefore}` }),
      }),
    ]);
    expect(await second.effects().count()).toBe(0);
  });
});

/**
 * Batched appends and backpressure from outside (issue 14): the public API only, fed what a
 * careless or hostile caller would feed it. Each test states a promise of docs/guarantees.md
 * ("Batches") or of the API contract, and every promise a caller gets must settle.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StateRequest } from '../src/actor/request.js';
import {
  createRuntime,
  defineAggregate,
  defineProjection,
  type ExecuteResult,
  type Interceptor,
  memoryStore,
  type Runtime,
  RuntimeClosed,
  type RuntimeOptions,
  reject,
  richCodec,
  SimulatedClock,
  upcast,
} from '../src/index.js';
import { CommandTimeouts } from '../src/runtime/command-timeouts.js';
import { collect, flush, ProbeStore } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown({ timeoutMs: 200 });
  runtime = undefined;
});

/** Values decide (or an interceptor) may throw that are not Errors, each built fresh. */
const THROWN: ReadonlyArray<[string, () => unknown]> = [
  ['a string', () => 'boom'],
  ['undefined', () => undefined],
  ['null', () => null],
  ['a Symbol', () => Symbol('s')],
  ['a frozen object', () => Object.freeze({ a: 1 })],
  ['a null-prototype object', () => Object.create(null)],
  [
    'an object whose toString throws',
    () => ({
      toString: () => {
        throw new Error('toString');
      },
    }),
  ],
  [
    'a Proxy whose every trap throws',
    () =>
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('get trap');
          },
          getPrototypeOf: () => {
            throw new Error('getPrototypeOf trap');
          },
          has: () => {
            throw new Error('has trap');
          },
          ownKeys: () => {
            throw new Error('ownKeys trap');
          },
        },
      ),
  ],
  [
    'a revoked Proxy',
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    },
  ],
];

type Cmd =
  | { type: 'add'; tag: string }
  | { type: 'throw'; what: number }
  | { type: 'throwLate'; what: number }
  | { type: 'return'; what: number }
  | { type: 'hang' }
  | { type: 'refuse' };
type Evt = { type: 'Added'; tag: string };
interface State {
  tags: string[];
}

/** What a hostile decide returns instead of an array of events. */
const RETURNED: ReadonlyArray<[string, () => unknown]> = [
  ['undefined', () => undefined],
  ['a string', () => 'Added'],
  ['an array holding a non-event', () => [{ type: 'Added', tag: 'x' }, 42]],
  ['an event with an empty type', () => [{ type: '' }]],
  [
    'a Proxy of an array whose traps throw',
    () =>
      new Proxy([{ type: 'Added', tag: 'p' }], {
        get: () => {
          throw new Error('get trap');
        },
      }),
  ],
  [
    'an object whose `then` getter throws',
    () =>
      Object.defineProperty({}, 'then', {
        get: () => {
          throw new Error('then getter');
        },
      }),
  ],
  [
    'a thenable that throws when called',
    () => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
      then: () => {
        throw new Error('then throws');
      },
    }),
  ],
  [
    'an event whose `type` getter throws',
    () => [
      Object.defineProperty({}, 'type', {
        enumerable: true,
        get: () => {
          throw new Error('type getter');
        },
      }),
    ],
  ],
];

/** One gate the `hang` command waits on; the tests open it (or never do). */
let hanging: Promise<never> = new Promise(() => undefined);

const hostile = defineAggregate<State, Cmd, Evt>({
  type: 'hostile',
  initialState: () => ({ tags: [] }),
  decide(_state, cmd) {
    switch (cmd.type) {
      case 'add':
        return [{ type: 'Added', tag: cmd.tag }];
      case 'throw':
        throw (THROWN[cmd.what] as [string, () => unknown])[1]();
      case 'throwLate':
        return new Promise<Evt[]>((_resolve, rejectLate) =>
          setTimeout(() => rejectLate((THROWN[cmd.what] as [string, () => unknown])[1]()), 5),
        );
      case 'return':
        return (RETURNED[cmd.what] as [string, () => unknown])[1]() as Evt[];
      case 'hang':
        return hanging;
      case 'refuse':
        return reject('no');
    }
  },
  evolve: (s, e) => ({ tags: [...s.tags, e.tag] }),
});

/** A store the runtime cannot close, so a test reads what it holds after shutdown. */
class KeptOpen extends ProbeStore {
  override async close(): Promise<void> {}
}

/** A memory store whose first append waits for `open()`, so commands sent meanwhile form one batch. */
async function held(options: Partial<RuntimeOptions> = {}, keepOpen = true) {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let appends = 0;
  const store = new (keepOpen ? KeptOpen : ProbeStore)(memoryStore(), {
    beforeAppend: async () => {
      if (appends++ === 0) await gate;
    },
  });
  runtime = await createRuntime({ store, aggregates: [hostile], ...options });
  return { rt: runtime, store, open, h: runtime.get(hostile, 'h1') };
}

/** Settles every promise, keeping `'ok'` or the error's code. */
function codes(ps: Promise<unknown>[]): Promise<string[]> {
  return Promise.all(
    ps.map((p) =>
      p.then(
        () => 'ok',
        (err: { code?: string }) => err?.code ?? `not an ActorfoldError: ${String(err)}`,
      ),
    ),
  );
}

async function storedTags(rt: Runtime, stream = 'hostile/h1'): Promise<string[]> {
  return (await collect(rt.store.readStream(stream))).map((e) => (e.data as Evt).tag);
}

/** A real pino logger writing into nothing: serialising what was thrown must not break the actor. */
function realLogger() {
  const sink = new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

describe('a decide that throws something other than an Error fails that command alone (DECIDE_FAILED), in a batch', () => {
  it.each(THROWN.map(([name], i) => [name, i] as const))('%s, thrown synchronously', async (_name, what) => {
    const { rt, open, h } = await held({ logger: realLogger() });
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const batch = [
      h.execute({ type: 'add', tag: 'before' }),
      h.execute({ type: 'throw', what }),
      h.execute({ type: 'add', tag: 'after' }),
    ];
    open();
    expect(await codes([first, ...batch])).toEqual(['ok', 'ok', 'DECIDE_FAILED', 'ok']);
    expect(await storedTags(rt)).toEqual(['first', 'before', 'after']);
    expect(h.isAlive()).toBe(true);
    expect(rt.stats().crashes).toBe(0);
  });

  it.each(THROWN.map(([name], i) => [name, i] as const))(
    '%s, as a late rejection of an async decide',
    async (_name, what) => {
      const { rt, open, h } = await held({ logger: realLogger() });
      const first = h.execute({ type: 'add', tag: 'first' });
      await flush();
      const batch = [h.execute({ type: 'throwLate', what }), h.execute({ type: 'add', tag: 'after' })];
      open();
      expect(await codes([first, ...batch])).toEqual(['ok', 'DECIDE_FAILED', 'ok']);
      expect(await storedTags(rt)).toEqual(['first', 'after']);
      expect(rt.stats().crashes).toBe(0);
    },
  );
});

describe('a decide that returns something other than events fails that command alone (DECIDE_FAILED)', () => {
  it.each(RETURNED.map(([name], i) => [name, i] as const))('%s', async (_name, what) => {
    const { rt, open, h } = await held({ logger: realLogger() });
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const batch = [h.execute({ type: 'return', what }), h.execute({ type: 'add', tag: 'after' })];
    open();
    expect(await codes([first, ...batch])).toEqual(['ok', 'DECIDE_FAILED', 'ok']);
    expect(await storedTags(rt)).toEqual(['first', 'after']);
    expect(rt.stats().crashes).toBe(0);
  });

  it('a thenable that is not a Promise is awaited like one', async () => {
    const thenable = defineAggregate<State, { type: 'go' }, Evt>({
      type: 'thenable',
      initialState: () => ({ tags: [] }),
      decide: () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is what is tested
          then(resolve: (v: Evt[]) => void) {
            setTimeout(() => resolve([{ type: 'Added', tag: 'late' }]), 1);
          },
        }) as unknown as Evt[],
      evolve: (s, e) => ({ tags: [...s.tags, e.tag] }),
    });
    runtime = await createRuntime({ aggregates: [thenable] });
    const h = runtime.get(thenable, 't');
    const results = await Promise.all([h.execute({ type: 'go' }), h.execute({ type: 'go' })]);
    expect(results.map((r) => r.version)).toEqual([1, 2]);
    expect((await h.state()).state).toEqual({ tags: ['late', 'late'] });
  });
});

describe('a beforeDecide interceptor that throws something other than an Error fails that command alone (INTERCEPTOR_FAILED)', () => {
  it.each(THROWN.map(([name], i) => [name, i] as const))('%s', async (_name, what) => {
    const trap: Interceptor = {
      name: 'trap',
      beforeDecide(ctx) {
        if ((ctx.command as Cmd).type === 'refuse') throw (THROWN[what] as [string, () => unknown])[1]();
      },
    };
    const { rt, open, h } = await held({ interceptors: [trap], logger: realLogger() });
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const batch = [h.execute({ type: 'refuse' }), h.execute({ type: 'add', tag: 'after' })];
    open();
    expect(await codes([first, ...batch])).toEqual(['ok', 'INTERCEPTOR_FAILED', 'ok']);
    expect(await storedTags(rt)).toEqual(['first', 'after']);
  });

  it('one that returns a Proxy whose traps throw', async () => {
    const trap: Interceptor = {
      name: 'proxy',
      beforeDecide: () =>
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('get trap');
            },
          },
        ) as unknown as undefined,
    };
    const { open, h } = await held({ interceptors: [trap] });
    const first = h.execute({ type: 'add', tag: 'first' });
    open();
    expect(await codes([first])).toEqual(['INTERCEPTOR_FAILED']);
    expect(h.isAlive()).toBe(true);
  });
});

describe('createRuntime refuses batch and backpressure options that mean nothing, with INVALID_ARGUMENT naming the option', () => {
  const BAD: readonly unknown[] = [0, -1, Number.NaN, 1.5, '8', null, true, Number.NEGATIVE_INFINITY];
  for (const key of ['mailboxCapacity', 'maxBatchCommands', 'maxBatchBytes'] as const) {
    it.each(BAD.map((v) => [String(v), v] as const))(`${key}: %s`, async (_s, value) => {
      await expect(createRuntime({ aggregates: [hostile], [key]: value as number })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(key),
      });
    });
  }

  it.each([['block'], [''], [null], [true], ['WAIT']])('onMailboxFull: %o', async (value) => {
    await expect(
      createRuntime({ aggregates: [hostile], onMailboxFull: value as 'wait' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('onMailboxFull') });
  });

  it('maxBatchBytes: Infinity means no byte limit; mailboxCapacity and maxBatchCommands: Infinity are refused (a bound is the point)', async () => {
    runtime = await createRuntime({ aggregates: [hostile], maxBatchBytes: Number.POSITIVE_INFINITY });
    expect((await runtime.get(hostile, 'x').execute({ type: 'add', tag: 'a' })).version).toBe(1);
    for (const key of ['mailboxCapacity', 'maxBatchCommands'] as const) {
      await expect(
        createRuntime({ aggregates: [hostile], [key]: Number.POSITIVE_INFINITY }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('commandIds and expectedVersion inside one batch', () => {
  it('the same commandId twice in a batch: the second is the first’s duplicate; with a different command it is IDEMPOTENCY_CONFLICT; nothing stored twice', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const a = h.execute({ type: 'add', tag: 'a' }, { commandId: 'id-1' });
    const again = h.execute({ type: 'add', tag: 'a' }, { commandId: 'id-1' });
    const other = h.execute({ type: 'add', tag: 'DIFFERENT' }, { commandId: 'id-1' });
    const b = h.execute({ type: 'add', tag: 'b' }, { commandId: 'id-2' });
    open();
    const [ra, rAgain] = (await Promise.all([first, a, again])).slice(1) as ExecuteResult[];
    await expect(other).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    const rb = await b;
    expect(ra?.deduplicated).toBe(false);
    expect(rAgain).toMatchObject({ deduplicated: true, version: ra?.version });
    expect(rAgain?.events.map((e) => e.version)).toEqual(ra?.events.map((e) => e.version));
    expect(rb.version).toBe(3);
    expect(await storedTags(rt)).toEqual(['first', 'a', 'b']);
    // Across batches too: a later retry is a duplicate, a later misuse a conflict.
    expect(await h.execute({ type: 'add', tag: 'a' }, { commandId: 'id-1' })).toMatchObject({
      deduplicated: true,
      version: 2,
    });
    await expect(h.execute({ type: 'add', tag: 'x' }, { commandId: 'id-2' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    expect(await storedTags(rt)).toEqual(['first', 'a', 'b']);
  });

  it('a commandId whose first use was refused may be used again in the same batch, and then lands once', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const refused = h.execute({ type: 'refuse' }, { commandId: 'id-r' });
    const retried = h.execute({ type: 'add', tag: 'retry' }, { commandId: 'id-r' });
    const dup = h.execute({ type: 'add', tag: 'retry' }, { commandId: 'id-r' });
    open();
    expect(await codes([first, refused, retried, dup])).toEqual(['ok', 'REJECTED', 'ok', 'ok']);
    expect((await dup).deduplicated).toBe(true);
    expect(await storedTags(rt)).toEqual(['first', 'retry']);
  });

  it('expectedVersion inside a batch is checked against the version the command would land on', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const batch = [
      h.execute({ type: 'add', tag: 'v2' }, { expectedVersion: 1 }),
      h.execute({ type: 'add', tag: 'stale' }, { expectedVersion: 1 }),
      h.execute({ type: 'add', tag: 'v3' }, { expectedVersion: 2 }),
      h.execute({ type: 'add', tag: 'future' }, { expectedVersion: 9 }),
    ];
    open();
    expect(await codes([first, ...batch])).toEqual([
      'ok',
      'ok',
      'VERSION_CONFLICT',
      'ok',
      'VERSION_CONFLICT',
    ]);
    await expect(batch[1]).rejects.toMatchObject({ expected: 1, actual: 2 });
    expect(await storedTags(rt)).toEqual(['first', 'v2', 'v3']);
  });
});

describe('every caller’s promise settles, and nothing acknowledged is lost, when the actor is stuck', () => {
  it('a decide that never settles: callers time out, waiting callers time out, shutdown settles every promise', async () => {
    hanging = new Promise(() => undefined);
    const { rt, h } = await held({ mailboxCapacity: 2, onMailboxFull: 'wait', commandTimeoutMs: 150 });
    const all = [
      h.execute({ type: 'hang' }),
      h.execute({ type: 'add', tag: 'queued' }),
      h.execute({ type: 'add', tag: 'waiting' }),
    ];
    expect(await codes(all)).toEqual(['COMMAND_TIMEOUT', 'COMMAND_TIMEOUT', 'COMMAND_TIMEOUT']);
    await rt.shutdown({ timeoutMs: 50 });
    expect(rt.closed).toBe(true);
  });

  it('a decide that never settles, without command timeouts: shutdown still settles the running caller and those queued and waiting', async () => {
    hanging = new Promise(() => undefined);
    const { rt, h } = await held({ mailboxCapacity: 2, onMailboxFull: 'wait', commandTimeoutMs: 0 });
    const all = [
      h.execute({ type: 'hang' }),
      h.execute({ type: 'add', tag: 'queued' }),
      h.execute({ type: 'add', tag: 'waiting' }),
    ];
    const settled = codes(all);
    await flush();
    await rt.shutdown({ timeoutMs: 50 });
    expect(await settled).toEqual(['RUNTIME_CLOSED', 'RUNTIME_CLOSED', 'RUNTIME_CLOSED']);
  });

  it('a decide that settles after shutdown gave up on it stores nothing (the store is closed) and breaks nothing', async () => {
    let release!: (events: Evt[]) => void;
    hanging = new Promise<never>((resolve) => {
      release = resolve as unknown as (events: Evt[]) => void;
    });
    const inner = memoryStore();
    runtime = await createRuntime({ store: inner, aggregates: [hostile], commandTimeoutMs: 0 });
    const h = runtime.get(hostile, 'h1');
    await h.execute({ type: 'add', tag: 'before' });
    const stuck = codes([h.execute({ type: 'hang' })]);
    await flush();
    await runtime.shutdown({ timeoutMs: 20 });
    expect(await stuck).toEqual(['RUNTIME_CLOSED']);
    release([{ type: 'Added', tag: 'late' }]);
    await new Promise((r) => setTimeout(r, 20));
    // The late decide's append met a closed store: nothing stored after the shutdown.
    await expect(inner.streamVersion('hostile/h1')).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });

  it('eviction with a full mailbox and callers waiting for room: every one is answered, in order, nothing lost', async () => {
    for (let round = 0; round < 20; round++) {
      const { rt, open, h } = await held({ mailboxCapacity: 3, onMailboxFull: 'wait', maxBatchCommands: 2 });
      const sent = Array.from({ length: 20 }, (_, i) => h.execute({ type: 'add', tag: `c${i}` }));
      await flush();
      const evicting = rt.evict(hostile, 'h1');
      const more = Array.from({ length: 5 }, (_, i) => h.execute({ type: 'add', tag: `m${i}` }));
      open();
      await evicting;
      const results = await Promise.all([...sent, ...more]);
      expect(results.map((r) => r.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(await storedTags(rt)).toEqual([
        ...Array.from({ length: 20 }, (_, i) => `c${i}`),
        ...Array.from({ length: 5 }, (_, i) => `m${i}`),
      ]);
      await rt.shutdown();
      runtime = undefined;
    }
  });

  it('shutdown with a full mailbox and callers waiting for room: every promise settles; each acknowledged command is stored, the others are not', async () => {
    for (let round = 0; round < 20; round++) {
      const { rt, open, h } = await held({ mailboxCapacity: 3, onMailboxFull: 'wait', maxBatchCommands: 2 });
      const sent = Array.from({ length: 12 }, (_, i) => h.execute({ type: 'add', tag: `c${i}` }));
      await flush();
      const closing = rt.shutdown({ timeoutMs: round % 2 === 0 ? 0 : 1000 });
      open();
      const settled = await Promise.allSettled(sent);
      await closing;
      runtime = undefined;
      const acked = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [`c${i}`] : []));
      for (const s of settled)
        if (s.status === 'rejected') expect((s.reason as { code: string }).code).toBe('RUNTIME_CLOSED');
      expect(acked.length).toBeGreaterThan(0);
      // The memory store is closed now; what it held is what the runtime acknowledged, in order.
      expect(await storedTags(rt)).toEqual(acked);
    }
  });
});

describe('what the caller hands over is taken when it is sent', () => {
  it('an options object reused and changed between execute calls: each command keeps the commandId and metadata it was sent with', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const options: { commandId?: string; metadata?: Record<string, unknown> } = {};
    const sent: Promise<ExecuteResult>[] = [];
    for (let i = 0; i < 5; i++) {
      options.commandId = `id-${i}`;
      options.metadata = { i };
      sent.push(h.execute({ type: 'add', tag: `t${i}` }, options));
    }
    open();
    await first;
    const results = await Promise.all(sent);
    expect(results.map((r) => r.deduplicated)).toEqual([false, false, false, false, false]);
    const stored = await collect(rt.store.readStream('hostile/h1'));
    expect(stored.slice(1).map((e) => [e.metadata.commandId, e.metadata.i])).toEqual(
      Array.from({ length: 5 }, (_, i) => [`id-${i}`, i]),
    );
  });

  it('metadata with nested objects changed after the call: each command keeps the metadata it was sent with', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const user = { id: 'u0', roles: ['r0'] };
    const sent: Promise<ExecuteResult>[] = [];
    for (let i = 0; i < 3; i++) {
      user.id = `u${i}`;
      user.roles[0] = `r${i}`;
      sent.push(h.execute({ type: 'add', tag: `t${i}` }, { metadata: { user } }));
    }
    user.id = 'changed';
    user.roles.push('added');
    open();
    await first;
    const results = await Promise.all(sent);
    const expected = Array.from({ length: 3 }, (_, i) => ({ id: `u${i}`, roles: [`r${i}`] }));
    expect(results.map((r) => r.events[0]?.metadata.user)).toEqual(expected);
    const stored = await collect(rt.store.readStream('hostile/h1'));
    expect(stored.slice(1).map((e) => e.metadata.user)).toEqual(expected);
  });

  it('a command with a commandId and a field no JSON can read (a getter or toJSON that throws) fails alone or is stored; the batch goes on', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const getter = Object.defineProperty({ type: 'add', tag: 'getter' }, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('getter');
      },
    }) as Cmd;
    const toJSON = {
      type: 'add',
      tag: 'toJSON',
      extra: {
        toJSON: () => {
          throw new Error('toJSON');
        },
      },
    } as Cmd;
    const batch = [
      h.execute(getter, { commandId: 'g' }),
      h.execute(toJSON, { commandId: 't' }),
      h.execute({ type: 'add', tag: 'after' }, { commandId: 'a' }),
    ];
    open();
    const got = await codes([first, ...batch]);
    expect(got[0]).toBe('ok');
    expect(got[3]).toBe('ok');
    for (const c of got.slice(1, 3)) expect(['ok', 'INVALID_COMMAND']).toContain(c);
    expect(rt.stats().crashes).toBe(0);
    expect((await storedTags(rt)).filter((t) => t === 'first' || t === 'after')).toEqual(['first', 'after']);
  });
});

describe('execute and inject never throw synchronously: hostile arguments reject the promise', () => {
  const trap = () =>
    new Proxy(
      {},
      {
        get: () => {
          throw new Error('get trap');
        },
        ownKeys: () => {
          throw new Error('ownKeys trap');
        },
      },
    );
  it.each([
    ['a Proxy command', (h: ReturnType<Runtime['get']>) => h.execute(trap() as Cmd), 'INVALID_COMMAND'],
    [
      'Proxy options',
      (h: ReturnType<Runtime['get']>) => h.execute({ type: 'add', tag: 'x' } as Cmd, trap()),
      'INVALID_ARGUMENT',
    ],
    [
      'a Proxy in injected events',
      (h: ReturnType<Runtime['get']>) => h.inject([trap() as Evt]),
      'INVALID_ARGUMENT',
    ],
    [
      'a Proxy as injected events',
      (h: ReturnType<Runtime['get']>) => h.inject(trap() as Evt[]),
      'INVALID_ARGUMENT',
    ],
  ] as const)('%s', async (_name, call, code) => {
    runtime = await createRuntime({ aggregates: [hostile] });
    const h = runtime.get(hostile, 'x');
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = call(h);
    }).not.toThrow();
    await expect(returned).rejects.toMatchObject({ code });
    expect((await h.execute({ type: 'add', tag: 'fine' })).version).toBe(1);
  });
});

describe('what execute hands back is not the actor’s own copy of the events', () => {
  it.each([
    ['json', undefined],
    ['rich', richCodec],
  ] as const)(
    '%s codec: changing r.events after execute changes neither the live state nor the stored events',
    async (_name, codec) => {
      const boxes = defineAggregate<
        { items: Array<{ q: number }> },
        { type: 'add'; q: number },
        { type: 'Added'; item: { q: number } }
      >({
        type: 'boxes',
        ...(codec === undefined ? {} : { codec }),
        initialState: () => ({ items: [] }),
        decide: (_s, c) => [{ type: 'Added', item: { q: c.q } }],
        evolve: (s, e) => ({ items: [...s.items, e.item] }),
      });
      runtime = await createRuntime({ aggregates: [boxes] });
      const h = runtime.get(boxes, 'b');
      const r = await h.execute({ type: 'add', q: 1 });
      (r.events[0]!.data as { item: { q: number } }).item.q = 77;
      expect((await h.state()).state).toEqual({ items: [{ q: 1 }] });
      const stored = await collect(runtime.store.readStream('boxes/b'));
      expect((codec ?? { decode: (d: unknown) => d }).decode(stored[0]?.data)).toEqual({
        type: 'Added',
        item: { q: 1 },
      });
    },
  );
});

describe('byte limits, injects and interceptors inside batches', () => {
  it('a command whose events alone pass maxBatchBytes runs in its own batch, in order; interceptors see every command once', async () => {
    const seen: string[] = [];
    const after: string[] = [];
    const watch: Interceptor = {
      name: 'watch',
      beforeDecide(ctx) {
        seen.push((ctx.command as { tag?: string }).tag ?? ctx.command.type);
      },
      afterAppend(ctx) {
        after.push(String(ctx.version));
      },
    };
    const { rt, open, h } = await held({ maxBatchBytes: 200, interceptors: [watch] });
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const big = 'x'.repeat(1000);
    const tags = ['a', 'b', big, 'c', big, big, 'd'];
    const sent = tags.map((tag) => h.execute({ type: 'add', tag }));
    open();
    const results = await Promise.all([first, ...sent]);
    expect(results.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await storedTags(rt)).toEqual(['first', ...tags]);
    expect(seen).toEqual(['first', ...tags]);
    expect(after).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    // The three big commands could not share a batch with anything after the first command.
    expect(rt.metrics().counters.batches).toBeGreaterThanOrEqual(5);
  });

  it('injects in a batch: one with an event JSON cannot keep fails alone; a reused commandId across inject and execute is IDEMPOTENCY_CONFLICT; an exact retry is a duplicate', async () => {
    const { rt, open, h } = await held();
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const batch = [
      h.inject([{ type: 'Added', tag: 'i1' }], { commandId: 'inj' }),
      h.inject([{ type: 'Added', tag: Number.NaN as unknown as string }]),
      h.inject([{ type: 'Added', tag: 'i1' }], { commandId: 'inj' }),
      h.execute({ type: 'add', tag: 'i1' }, { commandId: 'inj' }),
      h.inject([{ type: 'Added', tag: 'i2' }]),
    ];
    open();
    expect(await codes([first, ...batch])).toEqual([
      'ok',
      'ok',
      'INVALID_ARGUMENT',
      'ok',
      'IDEMPOTENCY_CONFLICT',
      'ok',
    ]);
    expect((await batch[2]) as ExecuteResult).toMatchObject({ deduplicated: true, version: 2 });
    expect(await storedTags(rt)).toEqual(['first', 'i1', 'i2']);
  });
});

describe('without command timeouts', () => {
  it('a command that never finishes holds up no other aggregate, and shutdown answers it', async () => {
    hanging = new Promise(() => undefined);
    runtime = await createRuntime({ aggregates: [hostile], commandTimeoutMs: 0 });
    const rt = runtime;
    const stuck = codes([rt.get(hostile, 'stuck').execute({ type: 'hang' })]);
    // Many commands on another aggregate go through while the first one hangs.
    let last: ExecuteResult | undefined;
    for (let i = 0; i < 200; i++) last = await rt.get(hostile, 'busy').execute({ type: 'add', tag: `t${i}` });
    expect(last?.version).toBe(200);
    const settled = stuck;
    await rt.shutdown({ timeoutMs: 10 });
    runtime = undefined;
    expect(await settled).toEqual(['RUNTIME_CLOSED']);
  });

  it('the list shutdown answers from keeps only requests not yet answered, however long one of them runs', () => {
    const timeouts = new CommandTimeouts(new SimulatedClock(), 0, () => undefined);
    const stuck = new StateRequest('s/1');
    timeouts.watch(stuck);
    for (let i = 0; i < 10_000; i++) {
      const r = new StateRequest('s/2');
      timeouts.watch(r);
      r.succeed({ state: null, version: 0 });
    }
    expect(timeouts.pending).toBeLessThan(2100);
    timeouts.clear(new RuntimeClosed());
    expect(stuck.settled).toBe(true);
    stuck.promise.catch(() => undefined);
  });
});

describe('metadata JSON cannot keep', () => {
  it('added by a beforeDecide interceptor, refuses that command alone (INTERCEPTOR_FAILED), not its whole batch', async () => {
    const stamp: Interceptor = {
      name: 'stamp',
      beforeDecide(ctx) {
        const tag = (ctx.command as { tag?: string }).tag;
        ctx.metadata.tag = tag === 'big' ? 10n : tag;
      },
    };
    const { rt, open, h } = await held({ interceptors: [stamp] });
    const first = h.execute({ type: 'add', tag: 'first' });
    await flush();
    const batch = [
      h.execute({ type: 'add', tag: 'a' }),
      h.execute({ type: 'add', tag: 'big' }),
      h.execute({ type: 'add', tag: 'b' }),
    ];
    open();
    expect(await codes([first, ...batch])).toEqual(['ok', 'ok', 'INTERCEPTOR_FAILED', 'ok']);
    expect(await storedTags(rt)).toEqual(['first', 'a', 'b']);
  });

  it('in the options, refuses the call at once with INVALID_ARGUMENT naming the path', async () => {
    runtime = await createRuntime({ aggregates: [hostile] });
    await expect(
      runtime
        .get(hostile, 'x')
        .execute({ type: 'add', tag: 'a' }, { metadata: { nested: { at: new Date() } } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('options.metadata.nested.at'),
    });
  });
});

describe('an evolve that throws something other than an Error crashes the actor cleanly', () => {
  it.each(THROWN.map(([name], i) => [name, i] as const))(
    '%s: every command of its batch gets ACTOR_CRASHED (no timeout needed), the next call respawns',
    async (_name, what) => {
      const fragile = defineAggregate<
        { n: number },
        { type: 'ok' } | { type: 'bad' },
        { type: 'Ok' } | { type: 'Bad' }
      >({
        type: 'fragile',
        initialState: () => ({ n: 0 }),
        decide: (_s, c) => [{ type: c.type === 'ok' ? 'Ok' : 'Bad' }],
        evolve: (s, e) => {
          if (e.type === 'Bad') throw (THROWN[what] as [string, () => unknown])[1]();
          return { n: s.n + 1 };
        },
      });
      runtime = await createRuntime({ aggregates: [fragile], logger: realLogger(), commandTimeoutMs: 0 });
      const h = runtime.get(fragile, 'f');
      const got = await codes([
        h.execute({ type: 'ok' }),
        h.execute({ type: 'bad' }),
        h.execute({ type: 'ok' }),
      ]);
      expect(got).toEqual(['ok', 'ACTOR_CRASHED', 'ACTOR_CRASHED']);
      expect(runtime.stats().crashes).toBe(1);
      expect(await h.execute({ type: 'ok' })).toMatchObject({ version: 2, state: { n: 2 } });
    },
  );
});

describe('snapshots.encode that throws something other than an Error', () => {
  it.each(THROWN.map(([name], i) => [name, i] as const))(
    '%s: the snapshot is skipped (counted), commands and eviction go on, with a real logger',
    async (_name, what) => {
      const snapped = defineAggregate<{ n: number }, { type: 'ok' }, { type: 'Ok' }>({
        type: 'snapped',
        initialState: () => ({ n: 0 }),
        decide: () => [{ type: 'Ok' }],
        evolve: (s) => ({ n: s.n + 1 }),
        snapshots: {
          every: 1,
          schemaVersion: 1,
          encode: () => {
            throw (THROWN[what] as [string, () => unknown])[1]();
          },
        },
      });
      runtime = await createRuntime({ aggregates: [snapped], logger: realLogger() });
      const h = runtime.get(snapped, 's');
      await h.execute({ type: 'ok' });
      expect((await h.execute({ type: 'ok' })).version).toBe(2);
      await runtime.evict(snapped, 's');
      expect(runtime.metrics().counters.snapshotSaveFailures).toBeGreaterThanOrEqual(2);
      expect(await h.state()).toEqual({ version: 2, state: { n: 2 } });
    },
  );
});

describe('snapshots.decode that throws something other than an Error', () => {
  it.each(THROWN.map(([name], i) => [name, i] as const))(
    '%s: the snapshot is ignored and the stream replayed (invariant 7), never a crash',
    async (_name, what) => {
      const store = memoryStore();
      const spec = (decodeThrows: boolean) =>
        defineAggregate<{ n: number }, { type: 'ok' }, { type: 'Ok' }>({
          type: 'restored',
          initialState: () => ({ n: 0 }),
          decide: () => [{ type: 'Ok' }],
          evolve: (s) => ({ n: s.n + 1 }),
          snapshots: {
            every: 1,
            schemaVersion: 1,
            decode: (data) => {
              if (decodeThrows) throw (THROWN[what] as [string, () => unknown])[1]();
              return data as { n: number };
            },
          },
        });
      const writer = spec(false);
      const first = await createRuntime({ store: new KeptOpen(store), aggregates: [writer] });
      await first.get(writer, 'r').execute({ type: 'ok' });
      await first.get(writer, 'r').execute({ type: 'ok' });
      await first.shutdown();
      const reader = spec(true);
      runtime = await createRuntime({ store, aggregates: [reader], logger: realLogger() });
      expect(await runtime.get(reader, 'r').state()).toEqual({ version: 2, state: { n: 2 } });
      expect(runtime.stats().crashes).toBe(0);
      expect(runtime.metrics().counters.snapshotsIgnored).toBe(1);
    },
  );
});

describe('a projection handler that throws something other than an Error', () => {
  it.each(THROWN.map(([name], i) => [name, i] as const))(
    '%s: the projection stops with PROJECTION_FAILED at that event, with a real logger',
    async (_name, what) => {
      runtime = await createRuntime({ aggregates: [hostile], logger: realLogger() });
      const h = runtime.get(hostile, 'p');
      for (const tag of ['a', 'b', 'c']) await h.execute({ type: 'add', tag });
      const p = runtime.project(
        defineProjection({
          name: `fragile-${what}`,
          init: () => 0,
          handlers: {
            Added: (n: number, e) => {
              if ((e.data as Evt).tag === 'b') throw (THROWN[what] as [string, () => unknown])[1]();
              return n + 1;
            },
          },
        }),
      );
      await expect(p.waitFor(3)).rejects.toMatchObject({
        code: 'PROJECTION_FAILED',
        position: 2,
        eventType: 'Added',
      });
      // Exactly-once: back to the last checkpoint (none yet), whose read model state() shows.
      expect(p.status()).toMatchObject({ state: 'failed', position: 0, checkpoint: 0 });
      expect(p.state()).toBe(0);
    },
  );
});

describe('an upcaster that throws or returns something hostile', () => {
  const versioned = (fn: () => unknown) =>
    defineAggregate<{ n: number }, { type: 'ok' }, { type: 'Ok' }>({
      type: 'versioned',
      eventSchemaVersion: 2,
      upcasters: [{ type: 'Ok', fromVersion: 1, upcast: fn as () => { type: 'Ok' } }],
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'Ok' }],
      evolve: (s) => ({ n: s.n + 1 }),
    });
  const cases: Array<[string, () => unknown]> = [
    ...THROWN.map(([name, make]): [string, () => unknown] => [
      `throws ${name}`,
      () => {
        throw make();
      },
    ]),
    ['returns a Proxy whose traps throw', () => (THROWN[7] as [string, () => unknown])[1]()],
    ['returns a revoked Proxy', () => (THROWN[8] as [string, () => unknown])[1]()],
  ];
  it.each(cases)('%s: UPCAST_FAILED naming the stored event, never another error', (_name, fn) => {
    let error: unknown;
    try {
      upcast(versioned(fn), { type: 'Ok' }, 1, { aggregateId: 'v', version: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'UPCAST_FAILED', version: 3, eventType: 'Ok', fromVersion: 1 });
  });
});

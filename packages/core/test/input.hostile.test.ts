/**
 * Public input validation from outside: every option, id and argument a careless or hostile
 * caller can hand the runtime, each with the wrong type, negative, NaN, ±Infinity, fractional or
 * absurdly large. Each is refused with an `ActorfoldError` subclass carrying a stable code
 * (`INVALID_ARGUMENT`, `INVALID_COMMAND`), never a bare TypeError or a string, and never after
 * something was stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorfoldError,
  createRuntime,
  defineAggregate,
  InvalidArgument,
  isActorfoldError,
  memoryStore,
  type Runtime,
  type RuntimeOptions,
  SimulatedClock,
} from '../src/index.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown({ timeoutMs: 500 });
});

const tally = defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
  type: 'tally',
  initialState: () => ({ n: 0 }),
  decide: () => [{ type: 'Added' }],
  evolve: (s) => ({ n: s.n + 1 }),
});

/** What a thrown or rejected value was: its class and code, or that it was no ActorfoldError. */
function verdict(e: unknown): string {
  if (!isActorfoldError(e)) return `not an ActorfoldError: ${String(e)}`;
  if (!(e instanceof ActorfoldError)) return 'isActorfoldError but not an instance';
  return e.code;
}

async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (e) {
    return verdict(e);
  }
}

const BAD_NUMBERS: ReadonlyArray<[string, unknown]> = [
  ['-1', -1],
  ['NaN', Number.NaN],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ["'10'", '10'],
  ['null', null],
  ['an object', { valueOf: () => 10 }],
  ['a BigInt', 10n],
];
/** Counts (not durations, where a fraction of a millisecond means something) refuse fractions too. */
const FRACTION: [string, unknown] = ['1.5', 1.5];

type Make = (v: unknown) => Partial<RuntimeOptions>;
/** Numeric options of createRuntime, with whether the option counts something. */
const NUMERIC_OPTIONS: ReadonlyArray<[string, Make, 'count' | 'ms' | 'effects: null is the default']> = [
  ['idleTimeoutMs', (v) => ({ idleTimeoutMs: v as number }), 'ms'],
  ['commandTimeoutMs', (v) => ({ commandTimeoutMs: v as number }), 'ms'],
  ['mailboxCapacity', (v) => ({ mailboxCapacity: v as number }), 'count'],
  ['maxBatchCommands', (v) => ({ maxBatchCommands: v as number }), 'count'],
  ['maxBatchBytes', (v) => ({ maxBatchBytes: v as number }), 'count'],
  ['maxBatchesInFlight', (v) => ({ maxBatchesInFlight: v as number }), 'count'],
  ['maxConcurrentRecoveries', (v) => ({ maxConcurrentRecoveries: v as number }), 'count'],
  ['dedupeWindow', (v) => ({ dedupeWindow: v as number }), 'count'],
  ['slowCommandMs', (v) => ({ slowCommandMs: v as number }), 'ms'],
  ['maxConflictRetries', (v) => ({ maxConflictRetries: v as number }), 'count'],
  ['storeRetry.initialMs', (v) => ({ storeRetry: { initialMs: v as number } }), 'ms'],
  ['storeRetry.maxMs', (v) => ({ storeRetry: { maxMs: v as number } }), 'ms'],
  ['timers.windowSize', (v) => ({ timers: { windowSize: v as number } }), 'count'],
  ['timers.concurrency', (v) => ({ timers: { concurrency: v as number } }), 'count'],
  ['timers.pollMs', (v) => ({ timers: { pollMs: v as number } }), 'ms'],
  ['timers.leaseMs', (v) => ({ timers: { leaseMs: v as number } }), 'ms'],
  // The effects options read null as "not given" (documented as `??` defaults); everything else is checked.
  [
    'effects.concurrency',
    (v) => ({ effects: { implementations: {}, concurrency: v as number } }),
    'effects: null is the default',
  ],
  [
    'effects.timeoutMs',
    (v) => ({ effects: { implementations: {}, timeoutMs: v as number } }),
    'effects: null is the default',
  ],
  [
    'effects.maxAttempts',
    (v) => ({ effects: { implementations: {}, maxAttempts: v as number } }),
    'effects: null is the default',
  ],
];

describe('createRuntime refuses numeric options that mean nothing, with INVALID_ARGUMENT naming the option', () => {
  for (const [option, make, kind] of NUMERIC_OPTIONS) {
    it(option, async () => {
      const seen: Record<string, string> = {};
      const bad = [
        ...BAD_NUMBERS.filter(([label]) => !(label === 'null' && kind === 'effects: null is the default')),
        ...(kind === 'count' ? [FRACTION] : []),
      ];
      for (const [label, value] of bad) {
        seen[label] = await outcome(async () => {
          const rt = await createRuntime({ aggregates: [tally], ...make(value) });
          open.push(rt);
        });
      }
      const expected = Object.fromEntries(bad.map(([label]) => [label, 'INVALID_ARGUMENT']));
      expect(seen).toEqual(expected);
    });
  }

  it('names the option in the message', async () => {
    for (const [option, make] of NUMERIC_OPTIONS) {
      const error = await createRuntime({ aggregates: [tally], ...make(Number.NaN) }).then(
        (rt) => {
          open.push(rt);
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error, option).toBeInstanceOf(InvalidArgument);
      const last = option.split('.').pop() as string;
      expect((error as Error).message, option).toContain(last);
    }
  });

  it.each([
    ['onMailboxFull', { onMailboxFull: 'sometimes' }],
    ['aggregates: not a list', { aggregates: 'tally' }],
    ['aggregates: the same type twice', { aggregates: [tally, tally] }],
    ['runtimeId: a number', { runtimeId: 7 }],
    ['runtimeId: empty', { runtimeId: '' }],
    ['interceptors: not a list', { interceptors: {} }],
    ['timers: a number', { timers: 5 }],
    ['effects: implementations missing', { effects: {} }],
  ])('refuses %s', async (_name, options) => {
    const result = await outcome(async () => {
      const rt = await createRuntime({ aggregates: [tally], ...(options as object) });
      open.push(rt);
    });
    expect(result).toBe('INVALID_ARGUMENT');
  });
});

describe('ids', () => {
  it.each([
    ['a number', 5],
    ['undefined', undefined],
    ['null', null],
    ['an object', { id: 'a' }],
    ['a String object', new String('a')],
    ['U+0000', 'a\u0000'],
    ['empty', ''],
  ])('runtime.get refuses an aggregate id that is %s with INVALID_ARGUMENT', async (_name, id) => {
    const rt = await createRuntime({ aggregates: [tally] });
    open.push(rt);
    expect(await outcome(() => rt.get(tally, id as string))).toBe('INVALID_ARGUMENT');
  });

  it('keeps slashes, dots, whitespace and an id up to 1,024 UTF-8 bytes with its type as ordinary ids, each its own stream; refuses a longer one', async () => {
    const store = memoryStore();
    const rt = await createRuntime({ store, aggregates: [tally] });
    open.push(rt);
    // Every store refuses to write a stream id over 1,024 UTF-8 bytes (PostgreSQL's index keys).
    expect(await outcome(() => rt.get(tally, 'x'.repeat(1024 - 5)).execute({ type: 'add' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await store.streamVersion(`tally/${'x'.repeat(1024 - 5)}`)).toBe(0);
    const ids = ['a/b', 'a', 'a/', '/a', '..', ' ', 'a\\b', 'x'.repeat(1024 - 6)];
    for (const id of ids) await rt.get(tally, id).execute({ type: 'add' });
    for (const id of ids) {
      expect(await store.streamVersion(`tally/${id}`), id.slice(0, 20)).toBe(1);
      expect((await rt.get(tally, id).state()).state).toEqual({ n: 1 });
    }
  });

  it.each([
    ['an unknown type', 'nope', 'UNKNOWN_AGGREGATE'],
    ['a type with a slash', 'tally/x', 'UNKNOWN_AGGREGATE'],
  ])('runtime.get by %s fails with a stable code', async (_name, type, code) => {
    const rt = await createRuntime({ aggregates: [tally] });
    open.push(rt);
    expect(await outcome(() => rt.get(type, 'a'))).toBe(code);
  });

  it.each([
    ['an empty type', ''],
    ['a slash in the type', 'a/b'],
    ['U+0000 in the type', 'a\u0000'],
    ['a number as type', 5],
  ])('defineAggregate refuses %s with INVALID_ARGUMENT', async (_name, type) => {
    expect(
      await outcome(() =>
        defineAggregate({
          type: type as string,
          initialState: () => 0,
          decide: () => [],
          evolve: (s) => s,
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('execute options', () => {
  it.each([
    ['expectedVersion -1', { expectedVersion: -1 }],
    ['expectedVersion 1.5', { expectedVersion: 1.5 }],
    ['expectedVersion NaN', { expectedVersion: Number.NaN }],
    ['expectedVersion Infinity', { expectedVersion: Number.POSITIVE_INFINITY }],
    ["expectedVersion '0'", { expectedVersion: '0' }],
    ['commandId empty', { commandId: '' }],
    ['commandId a number', { commandId: 7 }],
    ['commandId an object', { commandId: { id: 'a' } }],
    ['correlationId a number', { correlationId: 7 }],
    ['tenantId an object', { tenantId: {} }],
    ['metadata a string', { metadata: 'x' }],
    ['metadata an array', { metadata: [1] }],
    ['options a string', 'c-1'],
    ['options a number', 5],
  ])('refuses %s with INVALID_ARGUMENT and stores nothing', async (_name, options) => {
    const store = memoryStore();
    const rt = await createRuntime({ store, aggregates: [tally] });
    open.push(rt);
    const h = rt.get(tally, 'a');
    expect(await outcome(() => h.execute({ type: 'add' }, options as object))).toBe('INVALID_ARGUMENT');
    expect(await store.streamVersion('tally/a')).toBe(0);
  });

  it.each([
    ['null', null],
    ['a string', 'add'],
    ['an array', [{ type: 'add' }]],
    ['no type', {}],
    ['an empty type', { type: '' }],
    ['a numeric type', { type: 1 }],
  ])('refuses a command that is %s with INVALID_COMMAND and stores nothing', async (_name, cmd) => {
    const store = memoryStore();
    const rt = await createRuntime({ store, aggregates: [tally] });
    open.push(rt);
    expect(await outcome(() => rt.get(tally, 'a').execute(cmd as { type: 'add' }))).toBe('INVALID_COMMAND');
    expect(await store.streamVersion('tally/a')).toBe(0);
  });
});

describe('shutdown and store reads', () => {
  it.each([
    ['-1', -1],
    ['NaN', Number.NaN],
    ["'10'", '10'],
  ])(
    'shutdown refuses timeoutMs %s with INVALID_ARGUMENT, and a later good shutdown works',
    async (_name, t) => {
      const rt = await createRuntime({ aggregates: [tally] });
      expect(await outcome(() => rt.shutdown({ timeoutMs: t as number }))).toBe('INVALID_ARGUMENT');
      await rt.shutdown();
      expect(rt.closed).toBe(true);
    },
  );

  it.each([
    ['fromVersion -1', { fromVersion: -1 }],
    ['fromVersion 1.5', { fromVersion: 1.5 }],
    ['fromVersion NaN', { fromVersion: Number.NaN }],
    ['limit -1', { limit: -1 }],
    ['limit NaN', { limit: Number.NaN }],
    ["limit '3'", { limit: '3' }],
  ])('readStream refuses %s with INVALID_ARGUMENT', async (_name, opts) => {
    const store = memoryStore();
    expect(
      await outcome(async () => {
        for await (const _ of store.readStream('tally/a', opts as object)) break;
      }),
    ).toBe('INVALID_ARGUMENT');
  });

  it.each([
    ['fromPosition -1', { fromPosition: -1 }],
    ['fromPosition 0.5', { fromPosition: 0.5 }],
    ['fromPosition Infinity', { fromPosition: Number.POSITIVE_INFINITY }],
    ['limit -Infinity', { limit: Number.NEGATIVE_INFINITY }],
    ['limit 2.5', { limit: 2.5 }],
  ])('readAll refuses %s with INVALID_ARGUMENT', async (_name, opts) => {
    const store = memoryStore();
    expect(
      await outcome(async () => {
        for await (const _ of store.readAll(opts as object)) break;
      }),
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('options that no store or clock could honour', () => {
  it('createRuntime refuses an unknown timers option (a misspelt leaseMS would keep the default silently)', async () => {
    for (const timers of [{ leaseMS: 5_000 }, { toString: 1 }, { bogus: 1 }]) {
      await expect(
        createRuntime({ aggregates: [tally], timers: timers as NonNullable<RuntimeOptions['timers']> }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('unknown option'),
      });
    }
  });

  it('defineAggregate refuses an eventSchemaVersion no store can write (above 2^31 - 1); the limit itself is taken', () => {
    const spec = {
      type: 'versioned',
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'Added' }],
      evolve: (st: { n: number }) => st,
      eventSchemaVersion: 2 ** 31,
    };
    expect(() => defineAggregate(spec)).toThrow(InvalidArgument);
    expect(defineAggregate({ ...spec, eventSchemaVersion: 2 ** 31 - 1 }).eventSchemaVersion).toBe(
      2 ** 31 - 1,
    );
  });

  it('SimulatedClock.advance refuses NaN and a step back, and the clock keeps its time', () => {
    const clock = new SimulatedClock(100);
    for (const ms of [Number.NaN, -1, Number.NEGATIVE_INFINITY])
      expect(() => clock.advance(ms)).toThrow(InvalidArgument);
    expect(clock.now()).toBe(100);
  });
});

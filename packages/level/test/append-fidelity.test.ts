/**
 * What `append` resolves with is exactly what `readStream` and `readAll` return later, on a real
 * folder and after a reopen: same keys in the same order, same prototypes, same property
 * descriptors, Object.is on every leaf (so -0, NaN and friends are caught), under hostile event
 * data and metadata (Dates, Maps, NaN, -0, toJSON methods, getters, inherited and `__proto__`
 * keys, lone surrogates, class instances). An append the store cannot keep exactly is refused
 * with InvalidArgument and stores nothing, including data whose JSON (what toJSON returns) would
 * not read back as an event. The append builds its envelopes before the batch is written
 * (record.ts `envelopesOf`); this property is what allows that path.
 */
import { isActorfoldError } from '@actorfold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

class Tally {
  constructor(readonly count: number) {}
}

/** Hostile values by name, each built fresh from a small integer. */
const HOSTILE: Readonly<Record<string, (n: number) => unknown>> = {
  Date: (n) => new Date(Date.UTC(2025, 0, 1) + n),
  'invalid Date': () => new Date(Number.NaN),
  Map: (n) => new Map([['n', n]]),
  Set: (n) => new Set([n]),
  BigInt: (n) => BigInt(n),
  NaN: () => Number.NaN,
  Infinity: () => Number.POSITIVE_INFINITY,
  '-0': () => -0,
  undefined: () => undefined,
  function: () => () => 1,
  symbol: () => Symbol('s'),
  'sparse array': (n) => {
    const a = [n];
    a[2] = n;
    return a;
  },
  'lone surrogate': (n) => `x\uD800${n}`,
  'toJSON to other': (n) => ({ n, toJSON: () => ({ other: n, neg: -0 }) }),
  'toJSON to undefined': () => ({ toJSON: () => undefined }),
  'class instance': (n) => new Tally(n),
  'inherited field': (n) => Object.assign(Object.create({ inherited: n }) as object, { own: n }),
  'null prototype': (n) => Object.assign(Object.create(null) as object, { n }),
  '__proto__ key': (n) => JSON.parse(`{"__proto__": {"n": ${n}}, "a": 1}`) as unknown,
  'symbol key': (n) => ({ n, [Symbol('k')]: n }),
  'counting getter': () => {
    let calls = 0;
    return {
      get g() {
        calls++;
        return calls;
      },
    };
  },
  cycle: (n) => {
    const o: Record<string, unknown> = { n };
    o.self = o;
    return o;
  },
  'integer keys': (n) => ({ b: n, 2: 'two', a: n, 1: 'one' }),
};

const hostile = fc
  .tuple(fc.constantFrom(...Object.keys(HOSTILE)), fc.integer({ min: -50, max: 50 }))
  .map(([name, n]) => (HOSTILE[name] as (n: number) => unknown)(n));

const leaf = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

const value: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    { weight: 4, arbitrary: leaf },
    { weight: 2, arbitrary: hostile },
    { weight: 1, arbitrary: fc.array(tie('node'), { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 3 }) },
  ),
})).node;

/** How the event's data object carries its type and fields. */
const SHAPES = [
  'plain',
  'plain',
  'plain',
  'toJSON keeping type',
  'toJSON dropping type',
  'toJSON to a number',
  'type getter changing',
  'inherited type',
] as const;

function eventData(shape: (typeof SHAPES)[number], fields: Record<string, unknown>): object {
  switch (shape) {
    case 'plain':
      return { type: 'T', ...fields };
    case 'toJSON keeping type':
      return { type: 'T', ...fields, toJSON: () => ({ type: 'Stored', ...fields }) };
    case 'toJSON dropping type':
      return { type: 'T', ...fields, toJSON: () => fields };
    case 'toJSON to a number':
      return { type: 'T', toJSON: () => 7 };
    case 'type getter changing': {
      let calls = 0;
      return {
        get type() {
          calls++;
          return `T${calls}`;
        },
        ...fields,
      };
    }
    case 'inherited type':
      return Object.assign(Object.create({ type: 'T' }) as object, fields);
  }
}

const eventArb = fc.record({
  shape: fc.constantFrom(...SHAPES),
  fields: fc.dictionary(fc.constantFrom('v', 'w', '__proto__', '1', 'x\uDC00'), value, { maxKeys: 3 }),
  metadata: fc.option(
    fc.oneof(
      fc.dictionary(fc.string({ maxLength: 3 }), value, { maxKeys: 2 }),
      fc.constant({ toJSON: () => 'a string' }),
    ),
    { nil: undefined },
  ),
  timestamp: fc.option(fc.constantFrom('2026-01-02T03:04:05.678Z', '2026-01-02'), { nil: undefined }),
  schemaVersion: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
});

const appendArb = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  events: fc.array(eventArb, { maxLength: 3 }),
});

/** Where two values differ exactly (keys, order, prototypes, descriptors, Object.is leaves); undefined when they do not. */
function exactDiff(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (a === b) return `${path}: the append result and the read share an object`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) {
    return `${path}: keys [${ka.map(String)}] vs [${kb.map(String)}]`;
  }
  for (const k of ka) {
    const da = Object.getOwnPropertyDescriptor(a, k) as PropertyDescriptor;
    const db = Object.getOwnPropertyDescriptor(b, k) as PropertyDescriptor;
    const at = `${path}.${String(k)}`;
    if (
      da.enumerable !== db.enumerable ||
      da.writable !== db.writable ||
      da.configurable !== db.configurable ||
      'get' in da !== 'get' in db
    ) {
      return `${at}: property descriptors differ`;
    }
    const diff = exactDiff(da.value, db.value, at);
    if (diff !== undefined) return diff;
  }
  return undefined;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('levelStore append', () => {
  it('resolves with exactly what readStream and readAll return, or refuses with InvalidArgument and stores nothing', async () => {
    const path = freshFolder('fidelity');
    let store: LevelStore = await levelStore({ path });
    /** Every acknowledged envelope, with a deep copy of its first look, checked again after the reopen. */
    const acknowledged: Array<{ envelope: unknown }> = [];
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(appendArb, { minLength: 1, maxLength: 5 }), async (appends) => {
          run++;
          const from = await store.lastPosition();
          const versions = [0, 0, 0];
          // Issued in one synchronous run: they share a group-commit batch.
          const inputs = appends.map((a) =>
            a.events.map((e) => ({
              data: eventData(e.shape, e.fields),
              ...(e.metadata === undefined ? {} : { metadata: e.metadata as Record<string, unknown> }),
              ...(e.timestamp === undefined ? {} : { timestamp: e.timestamp }),
              ...(e.schemaVersion === undefined ? {} : { schemaVersion: e.schemaVersion }),
            })),
          );
          const settled = await Promise.allSettled(
            appends.map((a, i) => {
              const expectedVersion = versions[a.stream] as number;
              versions[a.stream] = expectedVersion + a.events.length;
              return store.append(`fid-${run}/${a.stream}`, inputs[i] as never, { expectedVersion });
            }),
          );
          // What the caller passed may change afterwards: the acknowledged envelopes must not.
          for (const events of inputs) for (const e of events) (e.data as Record<string, unknown>).later = 1;
          const accepted = [];
          for (const s of settled) {
            if (s.status === 'rejected') {
              const code = isActorfoldError(s.reason) ? s.reason.code : String(s.reason);
              expect(['INVALID_ARGUMENT', 'VERSION_CONFLICT']).toContain(code);
              continue;
            }
            accepted.push(...s.value);
          }
          const log = await collect(store.readAll({ fromPosition: from + 1 }));
          expect(log.length).toBe(accepted.length);
          for (const e of accepted) {
            const [inStream] = await collect(
              store.readStream(e.streamId, { fromVersion: e.version, limit: 1 }),
            );
            expect(exactDiff(e, inStream, 'append vs readStream')).toBeUndefined();
            const inLog = log.find((l) => l.position === e.position);
            expect(exactDiff(e, inLog, 'append vs readAll')).toBeUndefined();
            acknowledged.push({ envelope: e });
          }
        }),
        { numRuns: process.env.ACTORFOLD_SOAK ? 500 : 60 },
      );
      await store.close();
      store = await levelStore({ path });
      const all = await collect(store.readAll());
      expect(all.length).toBe(acknowledged.length);
      for (let i = 0; i < all.length; i++) {
        expect(
          exactDiff(acknowledged[i]?.envelope, all[i], `after reopen, position ${i + 1}`),
        ).toBeUndefined();
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});

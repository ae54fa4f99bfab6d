/**
 * What `execute` acknowledged is exactly what replay gives, for values the earlier hostile passes
 * did not feed in: getters and Proxies whose reads do not agree, frozen data, boxed primitives,
 * `toJSON` deep inside, huge strings, wide objects, JSON's odd characters. Each value is either
 * refused with INVALID_ARGUMENT before anything is stored, or the state the caller was told equals
 * the events `execute` answered with folded from scratch, and what a fresh runtime on the LevelDB
 * folder replays (with snapshots and without), under the JSON and the rich codec.
 */
import { type Codec, createRuntime, defineAggregate, type ExecuteResult, richCodec } from '@actorfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

type Put = { type: 'put'; value: unknown };
type Putted = { type: 'Put'; value: unknown };
interface Kept {
  /** Each event's value, as JSON text of what evolve read (so a getter is read exactly once here). */
  seen: unknown[];
}

function keeper(codec: Codec | undefined, snapshots: boolean) {
  return defineAggregate<Kept, Put, Putted>({
    type: 'keep',
    ...(codec === undefined ? {} : { codec }),
    ...(snapshots ? { snapshots: { every: 1, schemaVersion: 1 } } : {}),
    initialState: () => ({ seen: [] }),
    decide: (_s, cmd) => [{ type: 'Put', value: cmd.value }],
    // Copies what it reads (a pure fold that does not share the event's objects).
    evolve: (s, e) => ({ seen: [...s.seen, copy(e.value)] }),
  });
}

/** A copy of plain objects and arrays, read as any fold reads them (each property once); anything else shared. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (typeof v !== 'object' || v === null) return v;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
  return out;
}

/** An array whose item 0 is a getter giving another number on every read. */
function driftingItem(): unknown[] {
  let reads = 0;
  const a = [0];
  Object.defineProperty(a, 0, { enumerable: true, configurable: true, get: () => ++reads });
  return a;
}

/** A plain-looking object (a Proxy) whose descriptor says one value and whose reads say another. */
function lyingProxy(): object {
  let reads = 0;
  return new Proxy(
    { n: 0 },
    {
      get: (t, k, r) => (k === 'n' ? ++reads : Reflect.get(t, k, r)),
    },
  );
}

const VALUES: ReadonlyArray<[string, () => unknown]> = [
  ['an array whose item is an unstable getter', () => ({ xs: driftingItem() })],
  ['a Proxy whose reads disagree with its descriptors', () => ({ p: lyingProxy() })],
  ['a deep-frozen object', () => Object.freeze({ a: Object.freeze([1, Object.freeze({ b: 'c' })]) })],
  ['a boxed string', () => ({ s: new String('x') })],
  ['a boxed number', () => ({ n: new Number(1) })],
  ['toJSON deep inside', () => ({ a: [{ b: { toJSON: () => 'replaced' } }] })],
  ['a Date subclass', () => ({ d: new (class D extends Date {})(5) })],
  ['a 4 MiB string', () => 'x'.repeat(4 * 1024 * 1024)],
  [
    'an object of 20,000 keys',
    () => Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])),
  ],
  ['JSON’s odd characters', () => '\u2028\u2029"\\\b\f\n\r\t\u0001\u007f\uFEFF'],
  ['keys that look like indices', () => ({ '2': 'b', '1': 'a', '01': 'c', '4294967295': 'd', '-1': 'e' })],
  ['an array of 50,000 numbers', () => Array.from({ length: 50_000 }, (_, i) => i / 7)],
];

const open: Array<{ shutdown(o?: { timeoutMs?: number }): Promise<void> }> = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown({ timeoutMs: 2000 });
});

async function roundTrip(codec: Codec | undefined, name: string, make: () => unknown): Promise<string> {
  const path = freshFolder();
  const def = keeper(codec, true);
  const rt = await createRuntime({ store: await levelStore({ path, durability: 'os' }), aggregates: [def] });
  open.push(rt);
  let r: ExecuteResult<Kept>;
  try {
    r = await rt.get(def, 'k').execute({ type: 'put', value: make() });
  } catch (e) {
    expect((e as { code?: string }).code, name).toBe('INVALID_ARGUMENT');
    return 'refused';
  }
  // The caller was told the fold of the events it was answered with.
  const told = r.events.map((e) => (e.data as Putted).value);
  expect(r.state.seen, `${name}: state vs acknowledged events`).toStrictEqual(told);
  open.splice(open.indexOf(rt), 1);
  await rt.shutdown();
  for (const again of [keeper(codec, true), keeper(codec, false)]) {
    const rt2 = await createRuntime({
      store: await levelStore({ path, durability: 'os' }),
      aggregates: [again],
    });
    open.push(rt2);
    const replayed = await rt2.get(again, 'k').state();
    expect(replayed.version, name).toBe(r.version);
    expect(replayed.state, `${name}: replay vs acknowledged state`).toStrictEqual(r.state);
    open.splice(open.indexOf(rt2), 1);
    await rt2.shutdown();
  }
  return 'kept';
}

describe('hostile values: acknowledged equals replayed, on a LevelDB folder', () => {
  for (const [label, codec] of [
    ['json codec', undefined],
    ['rich codec', richCodec],
  ] as const) {
    describe(label, () => {
      for (const [name, make] of VALUES) {
        it(`${name}: kept exactly or refused with INVALID_ARGUMENT`, async () => {
          await roundTrip(codec, name, make);
        }, 60_000);
      }
    });
  }
});

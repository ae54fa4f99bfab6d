/**
 * Generated event payloads and aggregate states for the replay-fidelity property: JSON-ish data
 * with hostile values mixed in (what ordinary TypeScript code puts in events and states, and what
 * JSON does not keep as it is), and the comparison that says whether two states are the same.
 */
import fc from 'fast-check';

/** A class whose instances some code puts in state or events. */
export class Tally {
  constructor(readonly count: number) {}
}

/** Hostile values by name; each call builds a fresh one from a small integer. */
export const HOSTILE_VALUES: Readonly<Record<string, (n: number) => unknown>> = {
  Date: (n) => new Date(Date.UTC(2025, 0, 1) + n * 1000),
  'invalid Date': () => new Date(Number.NaN),
  Map: (n) =>
    new Map<string, unknown>([
      ['n', n],
      ['at', new Date(n)],
    ]),
  Set: (n) => new Set([n, 'x']),
  BigInt: (n) => BigInt(n) * 10n ** 20n,
  NaN: () => Number.NaN,
  Infinity: () => Number.POSITIVE_INFINITY,
  '-Infinity': () => Number.NEGATIVE_INFINITY,
  '-0': () => -0,
  undefined: () => undefined,
  'sparse array': (n) => {
    const a = [n];
    a[2] = n;
    return a;
  },
  'array with undefined': (n) => [n, undefined],
  'toJSON object': (n) => ({ n, toJSON: () => ({ other: n }) }),
  'class instance': (n) => new Tally(n),
  'inherited field': (n) => Object.assign(Object.create({ inherited: n }) as object, { own: n }),
  'null prototype': (n) => Object.assign(Object.create(null) as object, { n }),
  '__proto__ key': (n) => JSON.parse(`{"__proto__": {"n": ${n}}, "a": 1}`) as unknown,
  'symbol key': (n) => ({ n, [Symbol('k')]: n }),
  getter: (n) => ({
    get g() {
      return n;
    },
  }),
  cycle: (n) => {
    const o: Record<string, unknown> = { n };
    o.self = { back: o };
    return o;
  },
};

const NAMES = Object.keys(HOSTILE_VALUES);

/** One hostile value, fresh each time. */
export const hostileValue: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(...NAMES), fc.integer({ min: -1000, max: 1000 }))
  .map(([name, n]) => (HOSTILE_VALUES[name] as (n: number) => unknown)(n));

const leaf = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

/** JSON-ish data with a hostile value in about one node of five. */
export const payload: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: leaf },
    { weight: 2, arbitrary: hostileValue },
    { weight: 2, arbitrary: fc.array(tie('node'), { maxLength: 3 }) },
    {
      weight: 3,
      arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), {
        maxKeys: 3,
        noNullPrototype: true,
      }),
    },
  ),
})).node;

/**
 * Whether a state read back equals the state execute replied: the same types all the way down
 * (a Date is no string, a Map no object, NaN no null, a class instance no plain object), with
 * only the differences the strict JSON codec documents as harmless normalisations ignored: an
 * undefined-valued key counts as absent, -0 as 0, and a null-prototype object as a plain one.
 * Functions (which only a state evolve rebuilds can hold) are equal when their code is.
 */
export function sameState(
  a: unknown,
  b: unknown,
  path = 'state',
  onPath = new Map<object, object>(),
): string | undefined {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return undefined;
    // evolve makes a new function on every fold: the same code is the same function here.
    if (typeof a === 'function' && typeof b === 'function' && String(a) === String(b)) return undefined;
    return `${path}: ${show(a)} vs ${show(b)}`;
  }
  // A cycle: equal so far when both sides loop back to the same pair.
  const paired = onPath.get(a);
  if (paired !== undefined) return paired === b ? undefined : `${path}: the cycles differ`;
  onPath.set(a, b);
  const diff = compareObjects(a, b, path, onPath);
  onPath.delete(a);
  return diff;
}

function compareObjects(a: object, b: object, path: string, onPath: Map<object, object>): string | undefined {
  const protoA = plainProto(a);
  const protoB = plainProto(b);
  if (protoA !== protoB) {
    // `Object.create({ ... })` in evolve makes a new prototype on every fold: compare those by content.
    const anonymous = (p: unknown) => typeof p === 'object' && p !== null && !Object.hasOwn(p, 'constructor');
    if (!anonymous(protoA) || !anonymous(protoB)) return `${path}: ${kind(a)} vs ${kind(b)}`;
    const diff = sameState(protoA, protoB, `${path}.[[Prototype]]`, onPath);
    if (diff !== undefined) return diff;
  }
  if (a instanceof Date) {
    const [x, y] = [a.getTime(), (b as Date).getTime()];
    return x === y || (Number.isNaN(x) && Number.isNaN(y)) ? undefined : `${path}: ${show(a)} vs ${show(b)}`;
  }
  if (a instanceof Map || a instanceof Set) {
    const ea = [...a];
    const eb = [...(b as Map<unknown, unknown> | Set<unknown>)];
    if (ea.length !== eb.length) return `${path}: ${ea.length} vs ${eb.length} entries`;
    for (let i = 0; i < ea.length; i++) {
      const diff = sameState(ea[i], eb[i], `${path}.entries()[${i}]`, onPath);
      if (diff !== undefined) return diff;
    }
  }
  const ka = definedKeys(a);
  const kb = definedKeys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys [${ka}] vs [${kb}]`;
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return `${path}: length differs`;
  for (const k of ka) {
    const diff = sameState(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      `${path}.${k}`,
      onPath,
    );
    if (diff !== undefined) return diff;
  }
  return undefined;
}

function plainProto(o: object): unknown {
  const proto: unknown = Object.getPrototypeOf(o);
  return proto === null ? Object.prototype : proto;
}

function definedKeys(o: object): string[] {
  return Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
}

function kind(o: object): string {
  const proto = plainProto(o) as { constructor?: { name?: string } };
  return proto === Object.prototype ? 'a plain object' : `a ${proto.constructor?.name ?? 'custom object'}`;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v === undefined) return Object.is(v, -0) ? '-0' : String(v);
  if (v instanceof Date) return `Date(${v.getTime()})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

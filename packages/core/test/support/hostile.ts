/**
 * Generators and oracles for the codec properties: JSON-ish values with hostile values mixed in,
 * an exact structural comparison (prototypes, key order, -0, descriptors, shared references),
 * and a path walker that finds what a refusal's path points at.
 */
import fc from 'fast-check';

class Money {
  constructor(readonly cents: number) {}
}

/** Each builds a fresh hostile value, so runs never share one. */
const HOSTILE: ReadonlyArray<[name: string, make: (n: number) => unknown]> = [
  ['Date', (n) => new Date(n * 1000)],
  ['invalid Date', () => new Date(Number.NaN)],
  [
    'Map',
    (n) =>
      new Map<unknown, unknown>([
        ['k', n],
        [n, { at: new Date(n) }],
      ]),
  ],
  ['Set', (n) => new Set([n, 'x', 10n])],
  ['BigInt', (n) => BigInt(n) * 1_000_000_000_000n],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['-Infinity', () => Number.NEGATIVE_INFINITY],
  ['-0', () => -0],
  ['undefined', () => undefined],
  ['sparse array', (n) => sparse(n)],
  ['array with undefined', (n) => [n, undefined]],
  ['toJSON object', (n) => ({ n, toJSON: () => ({ other: n }) })],
  ['class instance', (n) => new Money(n)],
  ['RegExp', () => /a+/g],
  ['function', () => () => 1],
  ['symbol', () => Symbol('s')],
  ['inherited field', (n) => Object.assign(Object.create({ inherited: n }), { own: n })],
  ['null prototype', (n) => Object.assign(Object.create(null), { n })],
  ['__proto__ key', (n) => JSON.parse(`{"__proto__": {"n": ${n}}, "a": 1}`)],
  ['symbol key', (n) => ({ n, [Symbol('k')]: n })],
  [
    'getter',
    (n) => ({
      get g() {
        return n;
      },
    }),
  ],
  ['non-enumerable', (n) => Object.defineProperty({ a: n }, 'hidden', { value: n, enumerable: false })],
  ['array with extra key', (n) => Object.assign([n], { extra: n })],
  [
    'Array subclass',
    (n) => {
      class List extends Array<number> {}
      return List.from([n]);
    },
  ],
  [
    'cycle',
    (n) => {
      const o: Record<string, unknown> = { n };
      o.self = { back: o };
      return o;
    },
  ],
  [
    'shared reference',
    (n) => {
      const o = { n };
      return { a: o, b: [o] };
    },
  ],
  ['frozen', (n) => Object.freeze({ n, list: Object.freeze([n]) })],
];

function sparse(n: number): number[] {
  const a = [n];
  a[2] = n;
  return a;
}

export const hostileNames: readonly string[] = HOSTILE.map(([name]) => name);

/** One hostile value (a fresh one each time). */
export const hostileArb: fc.Arbitrary<unknown> = fc
  .tuple(fc.nat(HOSTILE.length - 1), fc.integer({ min: -1000, max: 1000 }))
  .map(([i, n]) => (HOSTILE[i] as (typeof HOSTILE)[number])[1](n));

const jsonLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

const key = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constantFrom('type', 'a.b', 'odd key', '__proto__', '0'),
);

/** JSON-ish values, with a hostile value in about one node of six; mostly objects at the top. */
const nodeArb: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: jsonLeaf },
    { weight: 2, arbitrary: hostileArb },
    { weight: 2, arbitrary: fc.array(tie('node'), { maxLength: 4 }) },
    { weight: 3, arbitrary: fc.dictionary(key, tie('node'), { maxKeys: 4, noNullPrototype: true }) },
  ),
})).node;

export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: nodeArb },
  { weight: 3, arbitrary: fc.dictionary(key, nodeArb, { minKeys: 1, maxKeys: 5, noNullPrototype: true }) },
);

/** Events: an own string `type` and JSON-ish fields with hostile values mixed in. */
export const eventArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom('Added', 'Stamped'),
    fc.dictionary(fc.string({ maxLength: 4 }), valueArb, { maxKeys: 4, noNullPrototype: true }),
  )
  .map(([type, fields]) => {
    const { type: _drop, ...rest } = fields;
    return { type, ...rest };
  });

/** How {@link exactlyEqual} compares. */
export interface Exactness {
  /** Shared or cyclic objects must be shared alike on both sides (a bijection); else trees are compared. */
  sharing?: boolean;
  /** A null-prototype object on the left may match a plain object on the right. */
  nullAsPlain?: boolean;
}

/**
 * Exact structural equality: same prototypes, same own keys in the same order (symbols included),
 * data properties only, numbers by Object.is, Dates by time, Maps and Sets by their entries in
 * order; with `sharing`, also the same sharing of objects.
 */
export function exactlyEqual(
  a: unknown,
  b: unknown,
  how: Exactness = {},
  pairs = new Map<object, object>(),
  reverse = new Map<object, object>(),
): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  const paired = pairs.get(a);
  const back = reverse.get(b);
  if (paired !== undefined || back !== undefined) return paired === b && back === a;
  const protoA: unknown = Object.getPrototypeOf(a);
  const protoB: unknown = Object.getPrototypeOf(b);
  if (protoA !== protoB && !(how.nullAsPlain && protoA === null && protoB === Object.prototype)) return false;
  pairs.set(a, b);
  reverse.set(b, a);
  const same = (x: unknown, y: unknown) => exactlyEqual(x, y, how, pairs, reverse);
  let equal: boolean;
  if (a instanceof Date) equal = Object.is(a.getTime(), (b as Date).getTime());
  else if (a instanceof Map || a instanceof Set) {
    const ea = [...a];
    const eb = [...(b as Map<unknown, unknown> | Set<unknown>)];
    equal = ea.length === eb.length && ea.every((e, i) => same(e, eb[i]));
  } else equal = true;
  equal &&= sameProps(a, b, same);
  // Without sharing, only the objects on the current path stay paired (to end cycles).
  if (!how.sharing) {
    pairs.delete(a);
    reverse.delete(b);
  }
  return equal;
}

function sameProps(a: object, b: object, same: (x: unknown, y: unknown) => boolean): boolean {
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => {
    const da = Object.getOwnPropertyDescriptor(a, k) as PropertyDescriptor;
    const db = Object.getOwnPropertyDescriptor(b, k) as PropertyDescriptor;
    if (!('value' in da) || !('value' in db) || da.enumerable !== db.enumerable) return false;
    return same(da.value, db.value);
  });
}

/** One step of a codec path: an own property (string or symbol, found by description) or a Map/Set step. */
type Step =
  | { kind: 'key'; key: string }
  | { kind: 'symbol'; description: string }
  | { kind: 'mapKey' | 'setValue'; index: number }
  | { kind: 'mapGet'; key: string };

const STEP =
  /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\[Symbol\(([^)]*)\)\]|\.keys\(\)\[(\d+)\]|\.values\(\)\[(\d+)\]|\.get\(([^)]*)\)/y;

/** The steps of `path` after `root`; throws when the path is not in the codec's format. */
export function parsePath(path: string, root: string): Step[] {
  if (!path.startsWith(root)) throw new Error(`path ${path} does not start with ${root}`);
  const steps: Step[] = [];
  STEP.lastIndex = root.length;
  while (STEP.lastIndex < path.length) {
    const at = STEP.lastIndex;
    const m = STEP.exec(path);
    if (m === null) throw new Error(`cannot parse path ${path} at ${at}`);
    if (m[1] !== undefined) steps.push({ kind: 'key', key: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: 'key', key: m[2] });
    else if (m[3] !== undefined) steps.push({ kind: 'key', key: JSON.parse(m[3]) as string });
    else if (m[4] !== undefined) steps.push({ kind: 'symbol', description: m[4] });
    else if (m[5] !== undefined) steps.push({ kind: 'mapKey', index: Number(m[5]) });
    else if (m[6] !== undefined) steps.push({ kind: 'setValue', index: Number(m[6]) });
    else steps.push({ kind: 'mapGet', key: m[7] as string });
  }
  return steps;
}

/** What a path points at: the holder, the property there (its descriptor, if any) and the objects on the way. */
export interface Target {
  holder: unknown;
  property: PropertyDescriptor | undefined;
  /** The value there (for a property: its value when it is a data property). */
  value: unknown;
  /** The objects the path went through, the holder included. */
  ancestors: object[];
}

/** Walks `steps` into `value` through own properties (never calling a getter) and Map/Set entries. */
export function follow(value: unknown, steps: readonly Step[]): Target {
  let holder: unknown;
  let property: PropertyDescriptor | undefined;
  let current: unknown = value;
  const ancestors: object[] = [];
  for (const s of steps) {
    if (typeof current !== 'object' || current === null) throw new Error('path goes through a non-object');
    ancestors.push(current);
    holder = current;
    property = undefined;
    if (s.kind === 'key' || s.kind === 'symbol') {
      const k =
        s.kind === 'key'
          ? s.key
          : Object.getOwnPropertySymbols(current).find((x) => x.description === s.description);
      if (k === undefined) throw new Error(`no symbol key ${s.kind === 'symbol' ? s.description : ''}`);
      property = Object.getOwnPropertyDescriptor(current, k);
      current = property !== undefined && 'value' in property ? property.value : undefined;
    } else if (s.kind === 'mapKey') current = [...(current as Map<unknown, unknown>).keys()][s.index];
    else if (s.kind === 'setValue') current = [...(current as Set<unknown>)][s.index];
    else if (s.kind === 'mapGet') {
      const { key } = s;
      const found = [...(current as Map<unknown, unknown>)].find(([k]) => showMapKey(k) === key);
      if (found === undefined) throw new Error(`no map entry ${key}`);
      current = found[1];
    }
  }
  return { holder, property, value: current, ancestors };
}

function showMapKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || key === null) return String(key);
  return typeof key === 'bigint' ? `${key}n` : '…';
}

/** What the path of a refusal points at, whatever codec refused: a property no codec keeps, or a value. */
export function propertyOffends(target: Target, lastStep: Step | undefined): boolean {
  const { holder, property } = target;
  if (lastStep?.kind === 'symbol') return true;
  if (lastStep?.kind !== 'key' || typeof holder !== 'object' || holder === null) return false;
  if (property === undefined) {
    // A hole: an index inside the array with no own property.
    return Array.isArray(holder) && /^\d+$/.test(lastStep.key) && Number(lastStep.key) < holder.length;
  }
  if (!('value' in property) || !property.enumerable) return true;
  return Array.isArray(holder) && !/^(?:0|[1-9]\d*)$/.test(lastStep.key);
}

/** Follows a refusal's path into `value`; the target and whether the path ended at a property step. */
export function targetOf(
  value: unknown,
  path: string,
  root: string,
): { target: Target; last: Step | undefined } {
  const steps = parsePath(path, root);
  return { target: follow(value, steps), last: steps.at(-1) };
}

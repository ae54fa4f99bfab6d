/**
 * The rich codec: keeps Date, Map, Set, BigInt, undefined, NaN, ±Infinity, -0 and repeated or
 * cyclic references, through superjson (chosen over devalue and seroval because its output keeps
 * the value's own JSON shape: an event stays `{ type, ...fields }` that the CLI, SQL and other
 * readers can still read). A value that is already exact JSON is stored as it is; otherwise the
 * superjson metadata sits beside the fields under the top-level key `$rich`.
 *
 * superjson turns what it does not know (class instances, invalid Dates, holes, functions) into
 * something else without a word, so a walk before it refuses all of that: what this codec
 * accepts, it gives back exactly.
 */
import { isProxy } from 'node:util/types';
import SuperJSON from 'superjson';
import {
  type Codec,
  describeValue,
  extraArrayKey,
  keyStep,
  lookupGetter,
  propertyStep,
  Refusal,
  withStep,
} from './codec.js';

/** The top-level key under which the superjson metadata is stored. */
const META = '$rich';

const HINT = {
  object: 'the rich codec keeps plain objects, arrays, Date, Map and Set; store its data instead',
  function: 'functions are not data',
  symbol: 'symbols are not data',
  hole: 'holes in arrays are not kept; use undefined or null',
  invalidDate: 'an invalid Date is not kept; use null',
  extra: 'properties added to a Date, Map, Set or array are not kept',
  symbolKey: 'symbol keys are not kept',
  hidden: 'non-enumerable properties are not kept',
  accessor: 'a getter would be stored as the value it returned once; store a plain value',
  proxy: 'a Proxy would be stored as what one read gave, evolve reads it again; store a plain copy',
  unsafeKey: 'superjson refuses this key as a prototype-pollution risk; rename it',
  reserved: `the top-level key '${META}' holds the rich codec's metadata; rename it`,
} as const;

const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

// An instance of our own: classes or symbols registered on superjson's shared default instance
// by other code do not change what this codec stores.
const superjson = new SuperJSON();

/** The metadata record stored under `$rich`: superjson's, plus the value itself when it is no plain object. */
interface RichMeta {
  meta: unknown;
  value?: unknown;
}

/** Keeps Date, Map, Set, BigInt, undefined, NaN, ±Infinity, -0 and shared or cyclic references. */
export const richCodec: Codec = Object.freeze({
  name: 'rich',
  encode(value: unknown, path: string): unknown {
    let rich: boolean;
    try {
      if (isPlainObject(value) && Object.hasOwn(value, META)) {
        throw withStep(new Refusal(`the key '${META}'`, HINT.reserved), keyStep(META));
      }
      rich = check(value, new Set());
    } catch (e) {
      if (e instanceof Refusal) throw e.toError('rich', path);
      throw e;
    }
    if (!rich) return value;
    const { json, meta } = superjson.serialize(value as Parameters<SuperJSON['serialize']>[0]);
    // Nothing to record (null-prototype objects only): superjson's plain copy is the data.
    if (meta === undefined) return json;
    if (isPlainObject(json) && isPlainObject(value)) return { ...json, [META]: { meta } };
    return { [META]: { meta, value: json } };
  },
  decode(data: unknown): unknown {
    if (!isPlainObject(data) || !Object.hasOwn(data, META)) return data;
    const { [META]: stored, ...fields } = data as Record<string, unknown>;
    const { meta, value } = stored as RichMeta;
    const json = Object.hasOwn(stored as object, 'value') ? value : fields;
    return superjson.deserialize({ json, meta } as Parameters<SuperJSON['deserialize']>[0]);
  },
});

/**
 * Refuses what superjson would not give back exactly; true when the value needs superjson
 * (anything JSON does not keep as it is). `seen` holds the objects walked so far: a repeated or
 * cyclic reference is walked once and kept by superjson's referential equalities.
 */
function check(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return false;
    case 'number':
      return !Number.isFinite(value) || Object.is(value, -0);
    case 'bigint':
    case 'undefined':
      return true;
    case 'function':
      throw new Refusal('a function', HINT.function);
    case 'symbol':
      throw new Refusal('a symbol', HINT.symbol);
    default:
      break;
  }
  if (value === null) return false;
  const object = value as object;
  if (seen.has(object)) return true;
  seen.add(object);
  if (isProxy(object)) throw new Refusal('a Proxy', HINT.proxy);
  const proto: unknown = Object.getPrototypeOf(object);
  // A null-prototype object goes through superjson too, which gives back a plain one live and on replay alike.
  if (proto === Object.prototype || proto === null) return checkObject(object, seen) || proto === null;
  if (proto === Array.prototype) return checkArray(object as unknown[], seen);
  if (proto === Date.prototype && object instanceof Date) {
    noExtraKeys(object);
    if (Number.isNaN(object.getTime())) throw new Refusal('an invalid Date', HINT.invalidDate);
    return true;
  }
  if (proto === Map.prototype && object instanceof Map) {
    noExtraKeys(object);
    let i = 0;
    for (const [k, v] of object) {
      walkStep(k, seen, `.keys()[${i}]`);
      walkStep(v, seen, `.get(${showKey(k)})`);
      i++;
    }
    return true;
  }
  if (proto === Set.prototype && object instanceof Set) {
    noExtraKeys(object);
    let i = 0;
    for (const v of object) walkStep(v, seen, `.values()[${i++}]`);
    return true;
  }
  throw new Refusal(describeValue(object), HINT.object);
}

function checkArray(array: readonly unknown[], seen: Set<object>): boolean {
  const extra = extraArrayKey(array);
  if (extra !== undefined) throw withStep(new Refusal('an added property', HINT.extra), propertyStep(extra));
  let rich = false;
  for (let i = 0; i < array.length; i++) {
    if (!(i in array)) throw withStep(new Refusal('a hole (sparse array)', HINT.hole), `[${i}]`);
    // A getter on an index would be read once for the store and again by evolve (cheaper to
    // look up than a descriptor per item; a setter alone always reads undefined, which is kept).
    if (lookupGetter.call(array, i) !== undefined)
      throw withStep(new Refusal('a getter', HINT.accessor), `[${i}]`);
    if (walkStep(array[i], seen, `[${i}]`)) rich = true;
  }
  return rich;
}

function checkObject(object: object, seen: Set<object>): boolean {
  let rich = false;
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === 'symbol')
      throw withStep(new Refusal('a symbol key', HINT.symbolKey), propertyStep(key));
    const d = Object.getOwnPropertyDescriptor(object, key) as PropertyDescriptor;
    if (!d.enumerable) throw withStep(new Refusal('a non-enumerable property', HINT.hidden), keyStep(key));
    if (d.get !== undefined || d.set !== undefined) {
      throw withStep(new Refusal(d.get ? 'a getter' : 'a setter', HINT.accessor), keyStep(key));
    }
    if (UNSAFE_KEYS.has(key)) throw withStep(new Refusal(`the key '${key}'`, HINT.unsafeKey), keyStep(key));
    if (walkStep(d.value, seen, keyStep(key))) rich = true;
  }
  return rich;
}

/** Walks a child value, adding its path step to a refusal. */
function walkStep(value: unknown, seen: Set<object>, s: string): boolean {
  try {
    return check(value, seen);
  } catch (e) {
    throw withStep(e, s);
  }
}

/** Refuses own properties on a Date, Map or Set (superjson keeps only their contents). */
function noExtraKeys(object: object): void {
  const [extra] = Reflect.ownKeys(object);
  if (extra !== undefined) throw withStep(new Refusal('an added property', HINT.extra), propertyStep(extra));
}

function showKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || key === null) return String(key);
  return typeof key === 'bigint' ? `${key}n` : '…';
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

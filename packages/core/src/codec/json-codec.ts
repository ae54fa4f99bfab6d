/**
 * The default codec: strict JSON. It checks that a value is data JSON keeps exactly, so that the
 * object `evolve` folds live equals what `JSON.parse` gives back on replay, and decodes by doing
 * nothing. The check runs on every event of every command: it walks the value once and returns a
 * value that is already exact as it is (no copy); only what it normalises is copied.
 */
import { isProxy } from 'node:util/types';
import {
  type Codec,
  describeValue,
  encodeEvent,
  extraArrayKey,
  keyStep,
  lookupGetter,
  propertyStep,
  Refusal,
  withStep,
} from './codec.js';

const HINT = {
  number: 'JSON keeps only finite numbers; store it as a string, or use the rich codec',
  bigint: 'JSON has no BigInt; store it as a string, or use the rich codec',
  object: 'JSON keeps only plain objects and arrays; store its data, or use the rich codec',
  toJSON: 'JSON would store what toJSON returns, not this object; store that data itself',
  function: 'functions are not data',
  symbol: 'symbols are not data',
  undefinedInArray: 'JSON stores undefined in an array as null; use null',
  hole: 'JSON stores a hole as null; use null',
  undefined: 'JSON has no undefined value',
  symbolKey: 'JSON drops symbol keys',
  hidden: 'JSON drops non-enumerable properties',
  accessor: 'JSON stores what a getter returned once, evolve would call it again; store a plain value',
  proxy: 'JSON stores what the Proxy gave one read, evolve reads it again; store a plain copy',
  cycle: 'JSON cannot hold a cycle',
  extra: 'JSON keeps only the items of an array',
} as const;

/**
 * The objects enclosing the one being walked, to refuse cycles. Shared by every call (no
 * allocation per encode); `encode` restores its length when a walk is abandoned.
 */
const ancestors: object[] = [];

/**
 * Strict JSON: refuses what JSON would change; normalises what JSON changes harmlessly (drops
 * undefined-valued keys, makes -0 0 and null-prototype objects plain), copying only then.
 */
export const jsonCodec: Codec = Object.freeze({
  name: 'json',
  encode(value: unknown, path: string): unknown {
    const depth = ancestors.length;
    try {
      if (value === undefined) throw new Refusal('undefined', HINT.undefined);
      return walk(value);
    } catch (e) {
      ancestors.length = depth;
      if (e instanceof Refusal) throw e.toError('json', path);
      throw e;
    }
  },
  decode(data: unknown): unknown {
    return data;
  },
});

/** The event `encodeJsonEvent` is walking, and the value of its own `type` once the walk read it. */
let walkedEvent: object | undefined;
let walkedType: unknown;

/**
 * `encodeEvent(jsonCodec, event, path, true)` with one property descriptor less per event: the
 * walk reads every own key's descriptor anyway and refuses getters, setters, hidden and symbol
 * keys, so once it accepts the event, the `type` it read there is an own, enumerable data
 * property; a non-empty string is all that is left to check. Anything else (a refusal, no own
 * string type) goes the checked way, which looks at the type first and so says why as it always did.
 */
export function encodeJsonEvent(event: unknown, path: string): unknown {
  if (typeof event === 'object' && event !== null) {
    walkedEvent = event;
    walkedType = undefined;
    try {
      const data = jsonCodec.encode(event, path);
      const type = walkedType;
      if (typeof type === 'string' && type.length > 0) return data;
    } catch {
      // Refused: the checked way below reports it.
    } finally {
      walkedEvent = undefined;
      walkedType = undefined;
    }
  }
  return encodeEvent(jsonCodec, event, path, true);
}

/** The value, or a copy with undefined-valued keys dropped and -0 made 0 (only then is a copy made). */
function walk(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (value === 0) return 0; // -0 === 0: JSON writes it as 0
      if (value - value !== 0) throw new Refusal(describeValue(value), HINT.number); // NaN, ±Infinity
      return value;
    case 'object':
      if (value === null) return value;
      return Array.isArray(value) ? walkArray(value) : walkObject(value);
    case 'bigint':
      throw new Refusal('BigInt', HINT.bigint);
    case 'function':
      throw new Refusal('a function', HINT.function);
    case 'symbol':
      throw new Refusal('a symbol', HINT.symbol);
    default:
      throw new Refusal(describeValue(value), HINT.undefined);
  }
}

function walkArray(array: readonly unknown[]): unknown[] {
  if (isProxy(array)) throw new Refusal('a Proxy', HINT.proxy);
  if (Object.getPrototypeOf(array) !== Array.prototype) {
    throw new Refusal(describeValue(array), HINT.object);
  }
  const extra = extraArrayKey(array);
  if (extra !== undefined)
    throw withStep(new Refusal('a property added to an array', HINT.extra), propertyStep(extra));
  enter(array);
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    // A getter on an index would be read once for the store and again by evolve (cheaper
    // to look up than a descriptor per item; a setter alone reads as undefined, refused below).
    if (lookupGetter.call(array, i) !== undefined) {
      throw withStep(new Refusal('a getter', HINT.accessor), `[${i}]`);
    }
    const item = array[i];
    if (item === undefined) {
      const found = i in array ? 'undefined' : 'a hole (sparse array)';
      throw withStep(new Refusal(found, i in array ? HINT.undefinedInArray : HINT.hole), `[${i}]`);
    }
    let out: unknown;
    try {
      out = walk(item);
    } catch (e) {
      throw withStep(e, `[${i}]`);
    }
    if (copy !== undefined) copy.push(out);
    else if (changed(item, out)) {
      copy = array.slice(0, i);
      copy.push(out);
    }
  }
  ancestors.pop();
  return copy ?? (array as unknown[]);
}

/** `Object.prototype.hasOwnProperty`: inside for-in, V8 reduces a call of it to a check of the key's cache. */
const isOwn = Object.prototype.hasOwnProperty;

function walkObject(object: object): object {
  if (isProxy(object)) throw new Refusal('a Proxy', HINT.proxy);
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) throw new Refusal(describeValue(object), HINT.object);
  enter(object);
  // A null-prototype object becomes a plain one, as JSON.parse gives back on replay.
  let copy: Record<string, unknown> | undefined = proto === null ? {} : undefined;
  let own = 0;
  // for-in walks V8's cached key list without allocating one. A getter is looked up rather than
  // read from a descriptor (a descriptor is an object per key, most of what a command's events
  // cost the codec); a setter alone reads as undefined, so only then is the descriptor needed.
  for (const key in object) {
    // Inherited (an enumerable key added to Object.prototype): JSON skips it too.
    if (!isOwn.call(object, key)) continue;
    own++;
    if (lookupGetter.call(object, key) !== undefined) {
      throw withStep(new Refusal('a getter', HINT.accessor), keyStep(key));
    }
    const item: unknown = (object as Record<string, unknown>)[key];
    if (item === undefined && Object.getOwnPropertyDescriptor(object, key)?.set !== undefined) {
      throw withStep(new Refusal('a setter', HINT.accessor), keyStep(key));
    }
    if (key === 'type' && object === walkedEvent) walkedType = item;
    let out: unknown;
    if (item === undefined) out = undefined;
    else if (key === 'toJSON' && typeof item === 'function') {
      throw withStep(new Refusal('a toJSON method', HINT.toJSON), keyStep(key));
    } else {
      try {
        out = walk(item);
      } catch (e) {
        throw withStep(e, keyStep(key));
      }
    }
    if (copy !== undefined) {
      if (out !== undefined) setOwn(copy, key, out);
    } else if (item === undefined || changed(item, out)) {
      copy = copyBefore(object, key);
      if (out !== undefined) setOwn(copy, key, out);
    }
  }
  // Keys for-in does not show: non-enumerable ones and symbols. Counting is cheaper than listing them all.
  if (Object.getOwnPropertyNames(object).length !== own || Object.getOwnPropertySymbols(object).length > 0) {
    throw hiddenKey(object);
  }
  ancestors.pop();
  return copy ?? object;
}

/** A plain copy of the object's own enumerable properties that come before `stop`. */
function copyBefore(object: object, stop: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key in object) {
    if (key === stop) break;
    if (Object.hasOwn(object, key)) setOwn(copy, key, (object as Record<string, unknown>)[key]);
  }
  return copy;
}

/** The refusal for the first symbol key or non-enumerable property of an object that has one. */
function hiddenKey(object: object): Refusal {
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === 'symbol')
      return withStep(new Refusal('a symbol key', HINT.symbolKey), propertyStep(key)) as Refusal;
    if (!Object.prototype.propertyIsEnumerable.call(object, key)) {
      return withStep(new Refusal('a non-enumerable property', HINT.hidden), keyStep(key)) as Refusal;
    }
  }
  return new Refusal('a hidden property', HINT.hidden);
}

/** True when the walk normalised the value: a new object, or -0 made 0 (which `!==` cannot see). */
function changed(item: unknown, out: unknown): boolean {
  return out !== item || (out === 0 && 1 / (item as number) < 0);
}

function enter(object: object): void {
  if (ancestors.includes(object))
    throw new Refusal('a cycle (a reference to an enclosing object)', HINT.cycle);
  ancestors.push(object);
}

/** Sets an own data property, also for the key `__proto__` (which plain assignment would not). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

/**
 * The codec boundary: how an aggregate's event data and snapshot state are kept in a store.
 * What `evolve` sees on the live path is `decode(encode(event))`, the same thing replay gives it,
 * so a value a codec cannot keep exactly is refused before anything is stored.
 */
import { InvalidArgument } from '../errors.js';

/** How an aggregate's event data and snapshot state are kept in a store. */
export interface Codec {
  /**
   * Recorded with what it encoded (event metadata key `codec`, snapshot `runtime.codec`) when it
   * is not 'json', so stored data stays readable when the aggregate's default changes.
   */
  readonly name: string;
  /**
   * A value → JSON-compatible data that the stores keep exactly. Throws `InvalidArgument` (code
   * INVALID_ARGUMENT) naming `path` and what was found (`events[0].at: Date`) for anything it
   * cannot keep exactly. For an event, the result keeps the same own string `type`. May return
   * its input unchanged when it is already exactly-JSON (no copy on the hot path).
   */
  encode(value: unknown, path: string): unknown;
  /** The stored JSON data → the value evolve / snapshot restore sees. */
  decode(data: unknown): unknown;
}

/**
 * A codec refused a value: `path` points at it (`events[0].items[2].at`), `found` says what it is
 * (`Date`, `NaN`, `getter`...). Its code is INVALID_ARGUMENT, like every input the API refuses.
 */
export class UnstorableValue extends InvalidArgument {
  /** Where the value sits, from the path the caller gave `encode`. */
  readonly path: string;
  /** What was found there. */
  readonly found: string;
  constructor(codec: string, path: string, found: string, hint: string) {
    super(`${path}: ${found} cannot be kept by the '${codec}' codec (${hint})`);
    this.path = path;
    this.found = found;
  }
}

/**
 * Thrown inside a codec's walk and caught at its top, where the path is known: each level on
 * the way up adds its step, so the walk builds no path string unless something is refused.
 */
export class Refusal {
  readonly found: string;
  readonly hint: string;
  /** Path steps, innermost first. */
  readonly steps: string[] = [];
  constructor(found: string, hint: string) {
    this.found = found;
    this.hint = hint;
  }

  /** The error to throw, with the steps appended to the caller's path. */
  toError(codec: string, path: string): UnstorableValue {
    let full = path;
    for (let i = this.steps.length - 1; i >= 0; i--) full += this.steps[i];
    return new UnstorableValue(codec, full, this.found, this.hint);
  }
}

/** Adds a path step to a refusal on its way up a walk; anything else passes through. */
export function withStep(e: unknown, step: string): unknown {
  if (e instanceof Refusal) e.steps.push(step);
  return e;
}

/**
 * The first own property of an array besides its indices and `length` (JSON drops such
 * properties), or undefined. Costs one key list per array; holes are left to the caller's walk.
 */
export function extraArrayKey(array: readonly unknown[]): string | symbol | undefined {
  const keys = Reflect.ownKeys(array);
  if (keys.length === array.length + 1) return undefined;
  return keys.find((k) => k !== 'length' && !(typeof k === 'string' && INDEX.test(k)));
}

const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * `Object.prototype.__lookupGetter__`: the getter of a key, own or inherited. The codecs ask it
 * of every array item, about 4× cheaper than a descriptor per item.
 */
export const lookupGetter = (
  Object.prototype as unknown as { __lookupGetter__(key: PropertyKey): (() => unknown) | undefined }
).__lookupGetter__;

/** The path step of a key: `.name` for identifiers, `["odd key"]` otherwise, `[Symbol(x)]` for a symbol. */
export function propertyStep(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${String(key)}]` : keyStep(key);
}

/** The path step of an object key: `.name` for identifiers, `["odd key"]` otherwise. */
export function keyStep(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** What a value that is not JSON data is, for messages: `Date`, `Map`, `class Money`, `NaN`, `BigInt`... */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return 'BigInt';
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'object': {
      if (value === null) return 'null';
      // Read through descriptors: a prototype's getters are not run while describing.
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === null || proto === Object.prototype) return 'an object';
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
      const name = typeof ctor === 'function' ? ctor.name : '';
      if (BUILT_INS.has(name) && value instanceof (ctor as abstract new () => object)) return name;
      return name ? `an instance of class ${name}` : 'an object with a custom prototype';
    }
    default:
      return typeof value;
  }
}

const BUILT_INS = new Set([
  'Date',
  'Map',
  'Set',
  'RegExp',
  'Array',
  'Error',
  'URL',
  'WeakMap',
  'WeakSet',
  'Promise',
  'ArrayBuffer',
  'DataView',
  'Uint8Array',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Uint8ClampedArray',
  'Buffer',
]);

/**
 * Encodes one event through `codec`, after checking what every codec relies on: the event is an
 * object whose `type` is an own, enumerable, non-empty string (not inherited, not a getter), and
 * the encoded data keeps that same `type` (guards custom codecs). `path` names the event
 * (`events[0]`). `keepsType` skips the check of the encoded type, for a codec known to keep it.
 */
export function encodeEvent(codec: Codec, event: unknown, path: string, keepsType = false): unknown {
  const type = ownType(event);
  if (typeof type !== 'string') {
    throw new UnstorableValue(codec.name, `${path}.type`, type.found, EVENT_TYPE_HINT);
  }
  const data = codec.encode(event, path);
  // `keepsType`: the caller knows the codec returns the event or a plain copy of it with every
  // string as it was (the JSON codec), so the type is kept and need not be read again.
  if (keepsType) return data;
  if (ownType(data) !== type) {
    throw new UnstorableValue(
      codec.name,
      `${path}.type`,
      'a type the codec did not keep',
      `its encoded data must keep the own string type ${JSON.stringify(type)}`,
    );
  }
  return data;
}

const EVENT_TYPE_HINT = 'an event needs an own, enumerable, non-empty string `type`';

/** The own enumerable string `type` of an event, or what stands in its place. */
function ownType(event: unknown): string | { found: string } {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { found: `${describeValue(event)} instead of an event object` };
  }
  const d = Object.getOwnPropertyDescriptor(event, 'type');
  if (d === undefined) return { found: 'type' in event ? 'an inherited type' : 'no type' };
  if (!('value' in d)) return { found: 'a getter' };
  if (!d.enumerable) return { found: 'a non-enumerable type' };
  const type: unknown = d.value;
  if (typeof type !== 'string') return { found: describeValue(type) };
  return type.length > 0 ? type : { found: 'an empty string' };
}

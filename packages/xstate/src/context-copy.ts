/**
 * Copies of a machine's context, so that an assigner that changes the context in place (an
 * array's `push`, a Map's `set`, `context.count++`) cannot reach a context it does not own:
 * the initial context that every process starts from, or the resident state the impurity check
 * takes a transition from twice. Plain objects, arrays, Maps, Sets and Dates are copied (also
 * symbol-keyed and non-enumerable properties, shared and cyclic references kept as such);
 * anything else (class instances, functions) is shared, as it cannot be copied faithfully.
 */
import type { AnyMachineSnapshot } from 'xstate';

/** A deep copy of the copyable parts of `value`. */
export function copyContext<T>(value: T): T {
  return copy(value, new Map()) as T;
}

/** The snapshot with another context, all else (state nodes, history, children) shared. */
export function withContext(snapshot: AnyMachineSnapshot, context: unknown): AnyMachineSnapshot {
  // A machine snapshot is a plain object whose methods read `this`: a spread is a working copy.
  return { ...snapshot, context } as AnyMachineSnapshot;
}

function copy(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Date.prototype && value instanceof Date) return new Date(value.getTime());
  if (proto === Map.prototype && value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(copy(k, seen), copy(v, seen));
    return out;
  }
  if (proto === Set.prototype && value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(copy(v, seen));
    return out;
  }
  const array = proto === Array.prototype && Array.isArray(value);
  if (!array && proto !== Object.prototype && proto !== null) return value;
  const out: object = array ? new Array((value as unknown[]).length) : Object.create(proto as object | null);
  seen.set(value, out);
  const keys = Reflect.ownKeys(value);
  if (keys.length === (array ? (value as unknown[]).length + 1 : Object.keys(value).length)) {
    // The common case, without property descriptors: an array of items only (no holes), or an
    // object of enumerable string keys (a getter's value is copied: live and replay alike).
    const from = value as Record<string, unknown>;
    const to = out as Record<string, unknown>;
    if (array) {
      for (let i = 0; i < (value as unknown[]).length; i++) to[i] = copy(from[i], seen);
    } else {
      for (const key of keys as string[]) {
        if (key === '__proto__') Object.defineProperty(to, key, { value: copy(from[key], seen), ...OWN });
        else to[key] = copy(from[key], seen);
      }
    }
    return out;
  }
  for (const key of keys) {
    if (array && key === 'length') continue;
    const d = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
    if ('value' in d) d.value = copy(d.value, seen);
    Object.defineProperty(out, key, d);
  }
  return out;
}

const OWN = { writable: true, enumerable: true, configurable: true } as const;

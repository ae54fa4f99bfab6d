/**
 * Where a state restored from a snapshot differs from the state it was taken of: the check that
 * keeps a snapshot from becoming the source of truth (invariant 7) when `snapshots.encode` and
 * `decode` are not inverses (a field dropped, an array that comes back empty) or a codec gives
 * back something else.
 *
 * Lenient where it cannot see or the codecs document a harmless normalisation, so that a good
 * snapshot is never refused: a null-prototype object equals a plain one, an undefined-valued key
 * an absent one and -0 equals 0 under `loose` (the JSON codec), two functions with the same code
 * are equal (evolve makes new closures), shared objects may come back as copies, and what is not
 * an own enumerable property (private fields, the contents of a WeakMap) is not compared.
 */

/** The path and what differs there, or undefined when `restored` gives `live` back. */
export function stateDifference(live: unknown, restored: unknown, loose: boolean): string | undefined {
  return differ(live, restored, 'state', loose, new Map());
}

function differ(
  a: unknown,
  b: unknown,
  path: string,
  loose: boolean,
  onPath: Map<object, object>,
): string | undefined {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    if (Object.is(a, b) || (loose && a === 0 && b === 0)) return undefined;
    if (typeof a === 'function' && typeof b === 'function' && String(a) === String(b)) return undefined;
    return `${path} is ${show(a)}, restored ${show(b)}`;
  }
  // A cycle: equal so far when both sides loop back to the same pair.
  const paired = onPath.get(a);
  if (paired !== undefined) return paired === b ? undefined : `${path}: the cycles differ`;
  onPath.set(a, b);
  const diff = differObjects(a, b, path, loose, onPath);
  onPath.delete(a);
  return diff;
}

function differObjects(
  a: object,
  b: object,
  path: string,
  loose: boolean,
  onPath: Map<object, object>,
): string | undefined {
  if (plainProto(a) !== plainProto(b)) return `${path} is ${show(a)}, restored ${show(b)}`;
  if (Array.isArray(a)) {
    const list = b as unknown[];
    if (a.length !== list.length) return `${path} has ${a.length} items, restored ${list.length}`;
    for (let i = 0; i < a.length; i++) {
      if (i in a !== i in list) return `${path}[${i}] is ${i in a ? 'an item' : 'a hole'}, restored not`;
      const d = differ(a[i], list[i], `${path}[${i}]`, loose, onPath);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (a instanceof Date) {
    const t = (b as Date).getTime();
    return Object.is(a.getTime(), t) ? undefined : `${path} is ${show(a)}, restored ${show(b)}`;
  }
  if (a instanceof Map || a instanceof Set) {
    const x = [...a.entries()];
    const y = [...(b as Map<unknown, unknown> | Set<unknown>).entries()];
    if (x.length !== y.length) return `${path} has ${x.length} entries, restored ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const d = differ(x[i], y[i], `${path}.entries()[${i}]`, loose, onPath);
      if (d !== undefined) return d;
    }
  }
  const keys = kept(a, loose);
  const other = kept(b, loose);
  for (const key of keys) {
    if (!other.has(key))
      return `${path}.${key} is ${show((a as Record<string, unknown>)[key])}, restored absent`;
    const d = differ(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
      loose,
      onPath,
    );
    if (d !== undefined) return d;
  }
  for (const key of other) {
    if (!keys.has(key))
      return `${path}.${key} is absent, restored ${show((b as Record<string, unknown>)[key])}`;
  }
  return undefined;
}

/** The own enumerable string keys compared: under `loose`, an undefined-valued key counts as absent. */
function kept(o: object, loose: boolean): Set<string> {
  const keys = new Set<string>();
  for (const key of Object.keys(o)) {
    if (!loose || (o as Record<string, unknown>)[key] !== undefined) keys.add(key);
  }
  return keys;
}

/** The prototype, with a null prototype counted as Object.prototype (both codecs give a plain object back). */
function plainProto(o: object): unknown {
  const proto: unknown = Object.getPrototypeOf(o);
  return proto === null ? Object.prototype : proto;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol' || v === undefined || v === null) return String(v);
  if (v instanceof Date) return `Date ${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Map) return `a Map of ${v.size}`;
  if (v instanceof Set) return `a Set of ${v.size}`;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return 'an object';
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== ''
    ? `an instance of ${name}`
    : 'an object with a custom prototype';
}

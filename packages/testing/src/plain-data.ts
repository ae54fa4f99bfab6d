/**
 * Structural equality and readable JSON for plain data (events, states, details), as the
 * given/when/then scenarios compare and print them.
 */

/** Structural equality of plain data (what events and states are); `undefined` properties count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
    );
  }
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    return [...a].every(([k, v]) => b.has(k) && deepEqual(v, b.get(k)));
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    return [...a].every((x) => b.has(x) || [...b].some((y) => deepEqual(x, y)));
  }
  const keysA = definedKeys(a);
  const keysB = definedKeys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every(
      (k) =>
        Object.hasOwn(b, k) &&
        deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

function definedKeys(o: object): string[] {
  return Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
}

/** JSON for messages; Maps, Sets, bigints and cycles do not make the message itself fail. */
export function show(value: unknown, space = 2): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, replacer, space) ?? String(value);
  } catch {
    return String(value);
  }
}

export function showInline(value: unknown): string {
  return show(value, 0);
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Map) return { Map: [...value] };
  if (value instanceof Set) return { Set: [...value] };
  return value;
}

export function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** A list with one item per line, each as one-line JSON: events stay easy to compare by eye. */
export function showList(items: readonly unknown[]): string {
  return items.length === 0 ? '[]' : `[\n${items.map((item) => `  ${showInline(item)}`).join(',\n')}\n]`;
}

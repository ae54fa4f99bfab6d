/**
 * The order of pending timers (`TimerStore.due`): earliest first, ties by streamId, then name,
 * in code point order, as the durable stores sort (LevelDB compares the keys' UTF-8 bytes,
 * PostgreSQL the "C" collation): a name with a character above U+FFFF sorts after one with
 * U+FFFF, which plain `<` (UTF-16 code units) puts the other way round.
 */
export function compareTimers(
  a: { readonly dueAt: number; readonly streamId: string; readonly name: string },
  b: { readonly dueAt: number; readonly streamId: string; readonly name: string },
): number {
  if (a.dueAt !== b.dueAt) return a.dueAt - b.dueAt;
  return compareCodePoints(a.streamId, b.streamId) || compareCodePoints(a.name, b.name);
}

/** Compares two strings in code point order (UTF-8 byte order), without allocating. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (U+D800..U+DFFF) above U+E000..U+FFFF: UTF-16 units then compare in code point order. */
function fixup(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

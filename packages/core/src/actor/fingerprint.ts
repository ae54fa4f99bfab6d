/**
 * A command's fingerprint: a short hash of its canonical JSON (object keys sorted), stored with
 * its events as `metadata.fingerprint`, so a commandId reused for a different command is told
 * apart from a retry of the same one. Not a security measure: it catches mistakes, not forgers.
 */
export function fingerprint(value: unknown): string {
  let text: string;
  try {
    text = canonicalJson(value, new Set());
  } catch {
    // A getter, toJSON or Proxy trap that throws: a fingerprint never fails its command, it only
    // tells commands apart, and such a command is told apart from readable ones.
    text = '<unreadable>';
  }
  // Two 32-bit FNV-1a lanes with different offsets and multipliers: 64 bits, in 16 hex digits.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return hex8(a) + hex8(b);
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * JSON with sorted keys. Values JSON cannot write, or writes like another value (NaN and the
 * infinities as null, -0 as 0), get spellings of their own that JSON text never contains (bare
 * `NaN`, `-0`, `1n`, `Map{`), so two commands a caller can tell apart are never taken as one retry.
 * Commands of plain JSON values keep the fingerprint they always had. Dates stay as their ISO
 * string (toJSON): a command sent as JSON over the admin API is the same command as in-process.
 */
function canonicalJson(value: unknown, path: Set<object>): string {
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : JSON.stringify(value);
      return String(value); // NaN, Infinity, -Infinity
    case 'object':
      break;
    default:
      return JSON.stringify(value) ?? 'null';
  }
  if (value === null) return 'null';
  if (path.has(value)) return '<cycle>';
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return canonicalJson(json.call(value), path);
  path.add(value);
  let out: string;
  if (value instanceof Map) {
    out = `Map{${canonicalJson([...value], path)}}`;
  } else if (value instanceof Set) {
    out = `Set{${canonicalJson([...value], path)}}`;
  } else if (Array.isArray(value)) {
    out = `[${value.map((v) => canonicalJson(v, path)).join(',')}]`;
  } else {
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      parts.push(`${JSON.stringify(key)}:${canonicalJson(v, path)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  path.delete(value);
  return out;
}

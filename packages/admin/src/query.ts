/** Strict readers for query parameters: anything malformed is a BAD_REQUEST naming the parameter. */
import { AdminError } from './admin-error.js';

/** An integer parameter within [min, max]; `fallback` when absent. */
export function intParam(
  q: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new AdminError(
      'BAD_REQUEST',
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** `true`/`1` or `false`/`0`; `false` when absent. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  if (raw === null || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new AdminError('BAD_REQUEST', `${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/** A non-empty string parameter, or undefined when absent. */
export function stringParam(q: URLSearchParams, name: string): string | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (raw === '') throw new AdminError('BAD_REQUEST', `${name} must not be empty`);
  return raw;
}

/** A comma-separated list parameter (`type=a,b`), or undefined when absent. */
export function listParam(q: URLSearchParams, name: string): string[] | undefined {
  const raw = stringParam(q, name);
  if (raw === undefined) return undefined;
  const items = raw.split(',').filter((s) => s.length > 0);
  if (items.length === 0) throw new AdminError('BAD_REQUEST', `${name} must name at least one value`);
  return items;
}

/**
 * Rejects parameters the route does not know, so a typo is an error rather than silently ignored,
 * and a parameter given twice (`?limit=1&limit=500`: which one a reader takes is a guess).
 */
export function onlyParams(q: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of q.keys()) {
    if (seen.has(name)) {
      throw new AdminError(
        'BAD_REQUEST',
        `query parameter ${JSON.stringify(name)} is given ${q.getAll(name).length} times; give it once`,
      );
    }
    seen.add(name);
    if (!allowed.includes(name)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new AdminError(
        'BAD_REQUEST',
        `unknown query parameter ${JSON.stringify(name)} (this route takes: ${known})`,
      );
    }
  }
}

/**
 * ISO-8601 timestamps on the append path, without the per-event Date work. Every command builds
 * one timestamp and every store checks the timestamp of every event it appends; under load most
 * appends of one millisecond share that timestamp, so one remembered millisecond and one
 * remembered valid string save a `Date` allocation, a `toISOString` and a `Date.parse` each.
 * Both caches hold exactly one entry: a hit returns what the uncached code would have returned.
 */

// Undefined until a first answer: no string matches before then (not even '').
let lastMs = Number.NaN;
let lastIso: string | undefined;
/** The last string `isIsoTimestamp` accepted. */
let lastValid: string | undefined;

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond asked. Throws RangeError
 * for a value that is no valid time, as `toISOString` does.
 */
export function isoTimestamp(ms: number): string {
  if (ms !== lastMs) {
    const iso = new Date(ms).toISOString();
    lastIso = iso;
    lastMs = ms;
    return iso;
  }
  return lastIso as string;
}

/**
 * Whether `value` is a timestamp exactly as `Date.prototype.toISOString` writes it
 * (`2026-01-02T03:04:05.678Z`; `+275760-09-13T00:00:00.000Z` beyond year 9999): the check stores
 * run on each event's own `timestamp`. One form only, UTC to the millisecond, so every store
 * gives the string back unchanged and every reader (in any time zone) reads the same instant
 * from it; `Date.parse` alone would also take '2026-01-02', '2026-01-02T03:04' (local time) or
 * 'Fri, 02 Jan 2026 03:04:05 GMT'. The last accepted string and the last one `isoTimestamp`
 * produced skip the parse.
 */
export function isIsoTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (value === lastValid || value === lastIso) return true;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || isoTimestamp(ms) !== value) return false;
  lastValid = value;
  return true;
}

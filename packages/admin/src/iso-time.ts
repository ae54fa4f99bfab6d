/**
 * Epoch milliseconds as an ISO 8601 UTC timestamp for the listings. Stores keep any safe integer
 * as a due time, and `new Date(ms).toISOString()` throws RangeError beyond ±8.64e15 ms: one such
 * stored timer would fail the whole listing. Within a Date's range this is exactly
 * `toISOString()`; beyond it the same proleptic Gregorian calendar goes on, with a signed year of
 * more than six digits (`+287396-10-12T08:59:00.991Z` for `Number.MAX_SAFE_INTEGER`).
 */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  if (!Number.isNaN(date.getTime())) return date.toISOString();
  return Number.isFinite(ms) ? calendarIso(Math.floor(ms)) : String(ms);
}

const DAY_MS = 86_400_000;

/**
 * `ms` (an integer) in the format of `toISOString`, computed without a Date: the day from
 * Howard Hinnant's `civil_from_days`, exact for every safe integer.
 */
export function calendarIso(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // civil_from_days: eras of 400 years (146,097 days) starting on March 1st of year 0.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const yyyy = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${yyyy}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(inDay % 1000, 3)}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

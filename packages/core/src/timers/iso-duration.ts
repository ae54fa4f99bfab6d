import { InvalidArgument } from '../errors.js';

/**
 * ISO-8601 durations (`PnYnMnWnDTnHnMnS`) for `ctx.timers.schedule(name, { after: 'PT15M' }, …)`.
 *
 * Hand-written rather than taken from npm: the small parsers there match the pattern anywhere in
 * the string (`'xP1Dy'` passes) and add calendar units in the machine's local time zone, so one
 * decision would give two due times on two machines. Here the whole string must match, and
 * calendar units are added in UTC, so the due time depends only on `ctx.now` and the text.
 */

/** A parsed ISO-8601 duration; every field is >= 0, only the smallest unit present may be fractional. */
export interface IsoDuration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

// Each unit optional and in order; a decimal fraction (with `.` or `,`) allowed on any unit, checked below.
const NUMBER = '(\\d+(?:[.,]\\d+)?)';
const PATTERN = new RegExp(
  `^P(?:${NUMBER}Y)?(?:${NUMBER}M)?(?:${NUMBER}W)?(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`,
);
const UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/**
 * Parses an ISO-8601 duration such as `'PT15M'`, `'P1D'`, `'P1Y2M'`, `'PT0.5S'` or `'P2W'`.
 * Throws InvalidArgument for anything else: a sign, an empty `'P'` or `'PT'`, units out of order,
 * a fraction on any but the smallest unit present.
 */
export function parseIsoDuration(text: string): IsoDuration {
  const match = typeof text === 'string' ? PATTERN.exec(text) : null;
  if (match === null || text.endsWith('T')) throw badDuration(text, 'expected PnYnMnWnDTnHnMnS');
  const values = match.slice(1);
  const present = values.flatMap((v, i) => (v === undefined ? [] : [i]));
  if (present.length === 0) throw badDuration(text, 'it names no unit');
  const last = present[present.length - 1] as number;
  const out: Record<(typeof UNITS)[number], number> = {
    years: 0,
    months: 0,
    weeks: 0,
    days: 0,
    hours: 0,
    minutes: 0,
    seconds: 0,
  };
  for (const i of present) {
    const raw = values[i] as string;
    const fractional = /[.,]/.test(raw);
    if (fractional && i !== last) throw badDuration(text, 'only its smallest unit may have a fraction');
    out[UNITS[i] as (typeof UNITS)[number]] = Number(raw.replace(',', '.'));
  }
  if (!Object.values(out).every(Number.isFinite)) throw badDuration(text, 'a number is too large');
  return out;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The epoch ms `duration` after `from` (epoch ms). Years and months move the UTC calendar date,
 * keeping the day of month where it exists and the month's last day otherwise (Jan 31 + P1M =
 * Feb 28 or 29), as Temporal's `add` does; fractional years and months add that share of 365
 * days and 30 days. Weeks are 7 days, days 24 hours (UTC has no daylight-saving shifts). Rounded
 * up to the millisecond, so a timer never comes due before its duration has passed.
 */
export function addIsoDuration(from: number, d: IsoDuration): number {
  let at = from;
  const wholeYears = Math.trunc(d.years);
  const wholeMonths = Math.trunc(d.months);
  if (wholeYears !== 0 || wholeMonths !== 0) at = addCalendarMonths(at, wholeYears * 12 + wholeMonths);
  const rest =
    (d.years - wholeYears) * 365 * DAY +
    (d.months - wholeMonths) * 30 * DAY +
    d.weeks * 7 * DAY +
    d.days * DAY +
    d.hours * HOUR +
    d.minutes * MINUTE +
    d.seconds * SECOND;
  return Math.ceil(at + rest);
}

/** Moves `at` by `months` calendar months in UTC, clamping the day to the target month's length. */
function addCalendarMonths(at: number, months: number): number {
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const targetYear = year + Math.floor(month / 12);
  const targetMonth = ((month % 12) + 12) % 12;
  const lastDay = new Date(utc(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  const timeOfDay = at - utc(year, date.getUTCMonth(), date.getUTCDate());
  return utc(targetYear, targetMonth, day) + timeOfDay;
}

/**
 * `Date.UTC(year, month, day)` for every year: Date.UTC reads years 0 to 99 as 1900 to 1999,
 * which moved a due time by centuries (or before the decision) for a clock in those years.
 */
function utc(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d.getTime();
}

function badDuration(text: unknown, why: string): InvalidArgument {
  const shown = typeof text === 'string' ? JSON.stringify(text) : String(text);
  return new InvalidArgument(`${shown} is not an ISO-8601 duration (${why}), e.g. 'PT15M', 'P1D', 'P1Y2M'`);
}

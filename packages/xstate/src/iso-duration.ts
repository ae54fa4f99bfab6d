/**
 * ISO-8601 durations (`PT15M`, `P2D`, `P1W`) as milliseconds, for delays a machine gives as
 * strings. Only components of fixed length are taken: weeks, days (24 h: the runtime's clock is
 * UTC, which has no daylight-saving days), hours, minutes and seconds (with a fraction). Years
 * and months have no fixed length, so a delay of `P1M` is refused rather than guessed: say `P30D`.
 */
import { InvalidArgument } from '@actorfold/core';

const PATTERN =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Whether `text` looks like an ISO-8601 duration (it may still be refused for years or months). */
export function isIsoDuration(text: string): boolean {
  return PATTERN.test(text);
}

/**
 * The length of an ISO-8601 duration in milliseconds.
 * @example isoDurationMs('PT1H30M') // 5_400_000
 */
export function isoDurationMs(text: string): number {
  const m = PATTERN.exec(text);
  if (m === null) throw new InvalidArgument(`'${text}' is not an ISO-8601 duration (e.g. PT15M, P2D)`);
  const [, years, months, weeks, days, hours, minutes, seconds] = m;
  if (years !== undefined || months !== undefined) {
    throw new InvalidArgument(
      `'${text}': years and months have no fixed length; give the delay in weeks, days, hours, minutes or seconds`,
    );
  }
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s.replace(',', '.')));
  return Math.round(
    n(weeks) * 7 * DAY + n(days) * DAY + n(hours) * HOUR + n(minutes) * MINUTE + n(seconds) * SECOND,
  );
}

/**
 * ISO-8601 durations (`PT15M`, `P2D`, `P1W`) as milliseconds, for delays a machine gives as
 * strings. xstate needs a delay as a number when the state is entered, before any clock is
 * known, so only units of fixed length are taken: weeks, days (24 h: the runtime's clock is
 * UTC, which has no daylight-saving days), hours, minutes and seconds. Years and months have no
 * fixed length, so a delay of `P1M` is refused rather than guessed: say `P30D`. Parsing is
 * core's (`parseIsoDuration`), so a delay means what `ctx.timers.schedule(…, { after })` means.
 */
import { addIsoDuration, InvalidArgument, parseIsoDuration } from '@actorfold/core';

/** Whether `text` is an ISO-8601 duration (it may still be refused for years or months). */
export function isIsoDuration(text: string): boolean {
  try {
    parseIsoDuration(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The length of an ISO-8601 duration in milliseconds.
 * @example isoDurationMs('PT1H30M') // 5_400_000
 */
export function isoDurationMs(text: string): number {
  const d = parseIsoDuration(text);
  if (d.years !== 0 || d.months !== 0) {
    throw new InvalidArgument(
      `'${text}': years and months have no fixed length; give the delay in weeks, days, hours, minutes or seconds`,
    );
  }
  return addIsoDuration(0, d);
}

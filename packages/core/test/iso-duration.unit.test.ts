import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addIsoDuration, parseIsoDuration } from '../src/index.js';

const T0 = Date.UTC(2026, 0, 31, 12, 30); // 2026-01-31T12:30:00Z
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('ISO-8601 durations', () => {
  it.each([
    ['PT15M', T0 + 15 * MIN],
    ['PT1H30M', T0 + 90 * MIN],
    ['PT0.5S', T0 + 500],
    ['PT1,5S', T0 + 1500],
    ['PT0.0001S', T0 + 1], // rounded up: never due before the duration has passed
    ['P1D', T0 + DAY],
    ['P2W', T0 + 14 * DAY],
    ['P1DT12H', T0 + 36 * HOUR],
    ['PT36H', T0 + 36 * HOUR],
    ['P1M', Date.UTC(2026, 1, 28, 12, 30)], // Jan 31 + 1 month: the last day of February
    ['P1Y', Date.UTC(2027, 0, 31, 12, 30)],
    ['P1Y1M', Date.UTC(2027, 1, 28, 12, 30)],
    ['P13M', Date.UTC(2027, 1, 28, 12, 30)],
    ['P0D', T0],
  ])('%s after 2026-01-31T12:30Z is due at the expected UTC instant', (text, expected) => {
    expect(new Date(addIsoDuration(T0, parseIsoDuration(text))).toISOString()).toBe(
      new Date(expected).toISOString(),
    );
  });

  it('keeps the day of month on leap days where it exists (Feb 29 + P1Y = Feb 28, + P4Y = Feb 29)', () => {
    const leap = Date.UTC(2028, 1, 29);
    expect(addIsoDuration(leap, parseIsoDuration('P1Y'))).toBe(Date.UTC(2029, 1, 28));
    expect(addIsoDuration(leap, parseIsoDuration('P4Y'))).toBe(Date.UTC(2032, 1, 29));
  });

  it.each([
    ['0099-12-15T06:00:00Z', 'P1M', '0100-01-15T06:00:00.000Z'],
    ['0050-01-31T10:00:00Z', 'P1M', '0050-02-28T10:00:00.000Z'],
    ['-000001-03-01T00:00:00Z', 'P1Y', '0000-03-01T00:00:00.000Z'],
    ['0004-02-29T00:00:00Z', 'P1Y', '0005-02-28T00:00:00.000Z'],
  ])(
    'moves calendar units in years 0 to 99 and before as in any other year: %s + %s = %s',
    (from, text, expected) => {
      // Date.UTC reads years 0 to 99 as 1900 to 1999: a clock there must not shift due times by centuries.
      expect(new Date(addIsoDuration(Date.parse(from), parseIsoDuration(text))).toISOString()).toBe(expected);
    },
  );

  it.each([
    ['', 'expected PnYnMnWnDTnHnMnS'],
    ['P', 'it names no unit'],
    ['PT', 'expected'],
    ['P1DT', 'expected'],
    ['1D', 'expected'],
    ['-P1D', 'expected'],
    ['P-1D', 'expected'],
    ['xP1Dy', 'expected'],
    ['P1H', 'expected'],
    ['PT1D', 'expected'],
    ['P1D1Y', 'expected'],
    ['pt15m', 'expected'],
    ['P1.5DT2H', 'only its smallest unit may have a fraction'],
    ['PT1.5H30M', 'only its smallest unit may have a fraction'],
    [' PT1M', 'expected'],
  ])('refuses %j with INVALID_ARGUMENT (%s)', (text, why) => {
    expect(() => parseIsoDuration(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseIsoDuration(text)).toThrow(why);
  });

  it('adds exactly the milliseconds of day and time units, whatever the start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.nat(400),
        fc.nat(48),
        fc.nat(120),
        fc.nat(7200),
        (from, d, h, m, s) => {
          const text = `P${d}DT${h}H${m}M${s}S`;
          expect(addIsoDuration(from, parseIsoDuration(text))).toBe(
            from + d * DAY + h * HOUR + m * MIN + s * 1000,
          );
        },
      ),
    );
  });
});

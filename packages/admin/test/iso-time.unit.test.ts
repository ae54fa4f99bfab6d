import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarIso, isoTime } from '../src/iso-time.js';

/** The last moment a Date can hold (and, negated, the first). */
const LAST_DATE_MS = 8.64e15;

describe('isoTime', () => {
  it('writes every moment a Date holds exactly as toISOString does, also by its own calendar', () => {
    const edges = [
      0,
      -1,
      1,
      LAST_DATE_MS,
      -LAST_DATE_MS,
      Date.UTC(0, 0, 1),
      Date.UTC(-1, 11, 31, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      Date.UTC(2000, 1, 29),
      Date.UTC(1900, 2, 1),
    ];
    for (const ms of edges) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      expect(calendarIso(ms)).toBe(new Date(ms).toISOString());
    }
    fc.assert(
      fc.property(fc.integer({ min: -LAST_DATE_MS, max: LAST_DATE_MS }), (ms) => {
        expect(calendarIso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('writes any safe integer beyond the range of a Date, with a year of more than six digits where needed, and never throws', () => {
    expect(isoTime(LAST_DATE_MS + 1)).toBe('+275760-09-13T00:00:00.001Z');
    expect(isoTime(-LAST_DATE_MS - 1)).toBe('-271821-04-19T23:59:59.999Z');
    // Checked against GNU date (date -u -d @9007199254740, @-9007199254741).
    expect(isoTime(Number.MAX_SAFE_INTEGER)).toBe('+287396-10-12T08:59:00.991Z');
    expect(isoTime(Number.MIN_SAFE_INTEGER)).toBe('-283457-03-21T15:00:59.009Z');
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (ms) => {
        expect(isoTime(ms)).toMatch(/^([+-]\d{6}|\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }),
    );
  });
});

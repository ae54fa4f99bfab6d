/**
 * The append path's remembered timestamps (store/iso-timestamp.ts) must answer exactly what the
 * uncached Date calls answer, whatever sequence of values they are asked about: a remembered
 * answer is never stale and never leaks from one value to another. And the stores' event checks
 * built on them still refuse every timestamp that is not exactly what toISOString writes, right
 * after accepting a good one.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { assertNewEvents, encodeNewEvents, InvalidArgument } from '../src/index.js';
import { isIsoTimestamp, isoTimestamp } from '../src/store/iso-timestamp.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 20_000 : 1_000;

/** Milliseconds toISOString accepts (±8.64e15), repeats likely, and a few it refuses. */
const msArb = fc.oneof(
  fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
  fc.constantFrom(0, 1, 1_764_671_000_000, 1_764_671_000_001),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 8_640_000_000_000_001),
);

/**
 * Strings Date.parse reads and strings it does not, with the ISO form of recent times repeated,
 * and other forms of the same instants that Date.parse reads but toISOString does not write.
 */
const textArb = fc.oneof(
  fc.string(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ noInvalidDate: true })
    .chain((d) =>
      fc.constantFrom(
        d.toISOString().replace('.000Z', 'Z'),
        d.toISOString().replace('Z', '+00:00'),
        d.toISOString().toLowerCase(),
        d.toISOString().slice(0, 10),
        d.toUTCString(),
        String(d.getTime()),
      ),
    ),
  fc.constantFrom(
    '2026-12-02T10:00:00.000Z',
    '2026-12-02T10:00:00.000Z ',
    '2026-12-02T10:00:00Z',
    '2026-12-02T10:00:00.0000Z',
    '2026-12-02T10:00',
    '2026-12-02',
    '+002026-12-02T10:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    'not a date',
    '',
    'Dec 2 2026',
  ),
);

/** What the stores accept as an event's timestamp: exactly the text toISOString writes for it. */
function canonical(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const ms = Date.parse(v);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === v;
}

function reference(ms: number): string | RangeError {
  try {
    return new Date(ms).toISOString();
  } catch (e) {
    return e as RangeError;
  }
}

describe('remembered timestamps on the append path', () => {
  it('a fresh module accepts no string before it has parsed one, not even the empty string', async () => {
    vi.resetModules();
    const fresh = await import('../src/store/iso-timestamp.js');
    expect(fresh.isIsoTimestamp('')).toBe(false);
    expect(fresh.isIsoTimestamp('2026-12-02T10:00:00.000Z')).toBe(true);
    expect(fresh.isIsoTimestamp('')).toBe(false);
  });

  it('isoTimestamp returns what new Date(ms).toISOString() returns, and throws where it throws, for any sequence', () => {
    fc.assert(
      fc.property(fc.array(msArb, { maxLength: 30 }), (values) => {
        for (const ms of values) {
          const want = reference(ms);
          if (want instanceof RangeError) expect(() => isoTimestamp(ms)).toThrow(RangeError);
          else expect(isoTimestamp(ms)).toBe(want);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('isIsoTimestamp accepts exactly what toISOString writes, for any sequence of values, interleaved with isoTimestamp calls', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(textArb, fc.constantFrom(undefined, null, 42, {})), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 4_000_000_000_000 }), { maxLength: 30 }),
        (values, times) => {
          values.forEach((v, i) => {
            const t = times[i];
            if (t !== undefined) isoTimestamp(t);
            expect(isIsoTimestamp(v)).toBe(canonical(v));
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('assertNewEvents refuses an unreadable or non-canonical timestamp right after accepting a canonical one', () => {
    const good = '2026-12-02T10:00:00.000Z';
    assertNewEvents('s-1', [{ data: { type: 'A' }, timestamp: good }]);
    // The same instant, readable by Date.parse, in other forms.
    for (const other of [
      '2026-12-02T10:00:00Z',
      '2026-12-02T10:00:00.000+00:00',
      'Wed, 02 Dec 2026 10:00:00 GMT',
    ])
      expect(() => assertNewEvents('s-1', [{ data: { type: 'A' }, timestamp: other }])).toThrow(
        InvalidArgument,
      );
    expect(() => assertNewEvents('s-1', [{ data: { type: 'A' }, timestamp: `${good}x` }])).toThrow(
      InvalidArgument,
    );
    expect(() => assertNewEvents('s-1', [{ data: { type: 'A' }, timestamp: 'nope' }])).toThrow(
      InvalidArgument,
    );
  });

  it('encodeNewEvents encodes a shared metadata object once per run of events and each other object on its own', () => {
    const shared = { tag: 'a' };
    const other = { tag: 'b' };
    const encoded = encodeNewEvents(
      's-1',
      [
        { data: { type: 'A' }, metadata: shared },
        { data: { type: 'A' }, metadata: shared },
        { data: { type: 'A' }, metadata: other },
        { data: { type: 'A' } },
        { data: { type: 'A' }, metadata: shared },
      ],
      () => 0,
    );
    expect(encoded.map((e) => e.metadata)).toEqual([
      '{"tag":"a"}',
      '{"tag":"a"}',
      '{"tag":"b"}',
      '{}',
      '{"tag":"a"}',
    ]);
    expect(encoded.every((e) => e.timestamp === '1970-01-01T00:00:00.000Z')).toBe(true);
  });

  it('encodeNewEvents still refuses metadata JSON cannot hold, in any event of the append', () => {
    const shared = { ok: true };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() =>
      encodeNewEvents(
        's-1',
        [
          { data: { type: 'A' }, metadata: shared },
          { data: { type: 'A' }, metadata: cyclic },
        ],
        () => 0,
      ),
    ).toThrow(/events\[1\]\.metadata is not JSON-serializable/);
  });
});

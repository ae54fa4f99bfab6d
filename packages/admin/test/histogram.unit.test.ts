/** The bucketed histogram: cumulative buckets that agree with counting the observations directly. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../src/index.js';

/** The exposition's sample lines as name+labels → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('Histogram', () => {
  it('counts in each bucket exactly the observations at or below its bound, per label set', () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b'),
            // Values on the bounds too: that is where an off-by-one hides.
            fc.oneof(fc.constantFrom(...buckets), fc.double({ min: 0, max: 5, noNaN: true })),
          ),
          {
            maxLength: 200,
          },
        ),
        (observations) => {
          const h = new Histogram('t_seconds', 'test', buckets);
          for (const [type, v] of observations) h.observe(v, { type });
          const got = samples(h.render());
          for (const type of new Set(observations.map(([t]) => t))) {
            const mine = observations.filter(([t]) => t === type).map(([, v]) => v);
            for (const le of buckets) {
              expect(got.get(`t_seconds_bucket{type="${type}",le="${le}"}`)).toBe(
                mine.filter((v) => v <= le).length,
              );
            }
            expect(got.get(`t_seconds_bucket{type="${type}",le="+Inf"}`)).toBe(mine.length);
            expect(got.get(`t_seconds_count{type="${type}"}`)).toBe(mine.length);
            expect(got.get(`t_seconds_sum{type="${type}"}`)).toBeCloseTo(
              mine.reduce((a, b) => a + b, 0),
              9,
            );
          }
        },
      ),
    );
  });

  it('escapes label values as the text format asks', () => {
    const h = new Histogram('t', 'test', [1]);
    h.observe(0.5, { path: 'a"b\\c\nd' });
    expect(h.render()).toContain('t_count{path="a\\"b\\\\c\\nd"} 1\n');
  });
});

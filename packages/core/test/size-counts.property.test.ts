/**
 * The commands-per-batch metric counts sizes exactly (observability/size-counts.ts) instead of
 * recording each into Node's HDR histogram: whatever sizes are recorded, its summary must be the
 * one the HDR histogram gave (count, min, max, mean and the percentiles), for sizes in the range
 * the histogram keeps exactly (below 2,048; a batch holds at most `maxBatchCommands`).
 */
import { createHistogram } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SizeCounts } from '../src/observability/size-counts.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 20_000 : 1_000;

/** Batch sizes: mostly small, repeats likely, the occasional large one (and 0, counted as 1). */
const sizesArb = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2_047 }), fc.constant(256)),
  { maxLength: 300 },
);

describe('SizeCounts', () => {
  it('summarises any sequence of sizes exactly as the HDR histogram did', () => {
    fc.assert(
      fc.property(sizesArb, fc.double({ min: 0, max: 100, noNaN: true }), (sizes, p) => {
        const counts = new SizeCounts();
        const hdr = createHistogram();
        for (const n of sizes) {
          counts.record(n);
          hdr.record(Math.max(1, n));
        }
        const summary = counts.summary();
        expect(counts.count).toBe(sizes.length);
        if (sizes.length === 0) {
          expect(summary).toEqual({ count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 });
          return;
        }
        expect(summary).toEqual({
          count: hdr.count,
          min: hdr.min,
          max: hdr.max,
          mean: expect.closeTo(hdr.mean, 9),
          p50: hdr.percentile(50),
          p90: hdr.percentile(90),
          p99: hdr.percentile(99),
        });
        // Any percentile, not only the three the summary shows (p > 0: HDR reads 0 as the minimum).
        if (p > 0) expect(counts.percentile(p)).toBe(hdr.percentile(p));
      }),
      { numRuns: RUNS },
    );
  });
});

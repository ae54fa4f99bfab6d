import type { SizeSummary } from './metrics.js';

/**
 * Exact counts of small whole numbers (the commands per batch): one array slot per value, so
 * recording one is an increment instead of a call into Node's HDR histogram. A batch is recorded
 * once, and with load spread over many aggregates nearly every command is a batch of its own.
 * The summary reads percentiles as HDR histograms do (the smallest value whose cumulative count
 * reaches `p`% of the total, rounded to the nearest count), and is exact: the same figures an HDR
 * histogram gives for values below 2,048, its exact range at three significant digits.
 */
export class SizeCounts {
  /** `counts[v]`: how often `v` was recorded (index 0 unused). Grows to the largest value seen. */
  readonly #counts: number[] = [0];
  #total = 0;
  #sum = 0;
  #min = 0;
  #max = 0;

  /** Records `n` (a whole number; anything below 1 counts as 1, as the histogram did). */
  record(n: number): void {
    const v = Math.max(n, 1);
    const counts = this.#counts;
    while (counts.length <= v) counts.push(0);
    counts[v] = (counts[v] as number) + 1;
    if (this.#total === 0 || v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    this.#total++;
    this.#sum += v;
  }

  /** Values recorded so far. */
  get count(): number {
    return this.#total;
  }

  summary(): SizeSummary {
    if (this.#total === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    return {
      count: this.#total,
      min: this.#min,
      max: this.#max,
      mean: this.#sum / this.#total,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
    };
  }

  /** The smallest value at or below which `p`% of the recorded values lie (0 when none). */
  percentile(p: number): number {
    const wanted = Math.max(1, Math.floor((Math.min(p, 100) / 100) * this.#total + 0.5));
    let seen = 0;
    for (let v = this.#min; v <= this.#max; v++) {
      seen += this.#counts[v] as number;
      if (seen >= wanted) return v;
    }
    return this.#max;
  }
}

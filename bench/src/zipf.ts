/**
 * Zipf-skewed choice of aggregates: the k-th most popular (0-based) is drawn with probability
 * proportional to 1 / (k + 1)^s. With s = 1 over 1,000 aggregates the hottest one gets about
 * 13 % of the commands and the ten hottest about 39 %: a few busy accounts among many quiet ones,
 * as real workloads look. Seeded, so every contestant sees the same sequence.
 */

/** A sampler of indexes in [0, n) drawing its uniform numbers from `random`. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k] = (cdf[k] as number) / sum;
  return () => {
    const u = random();
    // The first k with cdf[k] >= u, by binary search.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** The share of all draws that goes to the `top` most popular of `n` (for the method text). */
export function zipfShare(n: number, s: number, top: number): number {
  let all = 0;
  let head = 0;
  for (let k = 0; k < n; k++) {
    const w = 1 / (k + 1) ** s;
    all += w;
    if (k < top) head += w;
  }
  return head / all;
}

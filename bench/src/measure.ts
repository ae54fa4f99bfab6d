import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';

/** Bench sizes: the real run, or `--quick` to prove the harness works in a second or two. */
export interface BenchOptions {
  quick: boolean;
}

/** Fails early, with the command to use, when the process was started without `--expose-gc`. */
export function requireGc(): () => void {
  const collect = globalThis.gc;
  if (typeof collect !== 'function') {
    throw new Error('run with `node --expose-gc --import tsx src/run.ts` (npm run bench does)');
  }
  return () => collect();
}

/**
 * Live heap once it has settled: a full collection after a turn of the event loop (so objects
 * freed by settled promises and weak callbacks are gone too), repeated until two reads in a row
 * agree within 1 KiB, at most 8 times (then the smaller of the last two). A read right after one
 * collection can still count 30-450 KB that is no live object (a background compile in flight,
 * memory the next collection gives back), which at 2,000 actors is over 200 B each.
 */
export async function settledHeap(): Promise<number> {
  const collect = requireGc();
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; ; round++) {
    await tick();
    collect();
    const now = process.memoryUsage().heapUsed;
    if (Math.abs(now - last) <= 1024 || round === 7) return Math.min(now, last);
    last = now;
  }
}

const GC_ENTRY_DELAY_MS = 20;

/** Main-thread GC pause time seen so far, in ms (observed only once `timed` was first called). */
let gcPauseMs = 0;
let gcObserver: PerformanceObserver | undefined;

/** Wall time of one timed run, and how much of it the main thread spent paused for GC. */
export interface Timing {
  ms: number;
  gcMs: number;
}

/** Times `fn`, after a collection so that earlier garbage is not billed to it. */
export async function timed(fn: () => Promise<void>): Promise<Timing> {
  if (gcObserver === undefined) {
    gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcPauseMs += e.duration;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
  }
  requireGc()();
  // GC entries reach observers a few event-loop turns later: let the forced collection's entry
  // land before counting, and the run's last entries after it.
  await sleep(GC_ENTRY_DELAY_MS);
  const gcBefore = gcPauseMs;
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  await sleep(GC_ENTRY_DELAY_MS);
  return { ms, gcMs: gcPauseMs - gcBefore };
}

/** Stops observing GC, so nothing of the harness outlives the run. */
export function stopTiming(): void {
  gcObserver?.disconnect();
  gcObserver = undefined;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A small seeded PRNG (mulberry32), so every contestant sees the same "random" sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

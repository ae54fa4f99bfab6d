/**
 * The closed-loop load every throughput scenario uses, so that every contestant is driven and
 * timed the same way: `callers` concurrent callers, each awaiting its command before sending the
 * next, until a command count or a deadline. Every command's latency is taken around the awaited
 * call (send to reply), so queueing in the runtime's mailboxes and the store's batches counts.
 */
import { timed } from './measure.js';

/** What a caller sends: command number `seq` (0-based, global across callers) from caller `caller`. */
export type Send = (caller: number, seq: number) => Promise<unknown>;

export interface LoadOptions {
  callers: number;
  /** Stop after this many commands, or stop sending once this many milliseconds have passed. */
  until: { commands: number } | { ms: number };
  send: Send;
}

export interface LoadResult {
  commands: number;
  /** Wall time from the first send to the last reply. */
  ms: number;
  perSecond: number;
  /** Latency percentiles in milliseconds (nearest rank). */
  p50: number;
  p99: number;
  /** Main-thread GC pause within the run, in milliseconds. */
  gcMs: number;
}

/** Per-command latencies, grown as needed; percentiles by sorting a copy once at the end. */
export class Latencies {
  #ms = new Float64Array(4096);
  #n = 0;

  record(ms: number): void {
    if (this.#n === this.#ms.length) {
      const bigger = new Float64Array(this.#ms.length * 2);
      bigger.set(this.#ms);
      this.#ms = bigger;
    }
    this.#ms[this.#n++] = ms;
  }

  get count(): number {
    return this.#n;
  }

  /** Nearest-rank percentiles, `ps` in (0, 100]. */
  percentiles(ps: readonly number[]): number[] {
    const sorted = this.#ms.slice(0, this.#n).sort();
    return ps.map((p) => {
      if (sorted.length === 0) return Number.NaN;
      const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
      return sorted[rank - 1] as number;
    });
  }
}

/** Runs the load once, after a forced collection (see `timed`). */
export async function closedLoop(opts: LoadOptions): Promise<LoadResult> {
  const latencies = new Latencies();
  const limit = 'commands' in opts.until ? opts.until.commands : Number.POSITIVE_INFINITY;
  const durationMs = 'ms' in opts.until ? opts.until.ms : Number.POSITIVE_INFINITY;
  let issued = 0;
  const { ms, gcMs } = await timed(async () => {
    const deadline = performance.now() + durationMs;
    const caller = async (c: number) => {
      while (issued < limit && performance.now() < deadline) {
        const seq = issued++;
        const start = performance.now();
        await opts.send(c, seq);
        latencies.record(performance.now() - start);
      }
    };
    await Promise.all(Array.from({ length: opts.callers }, (_, c) => caller(c)));
  });
  const [p50, p99] = latencies.percentiles([50, 99]) as [number, number];
  return { commands: latencies.count, ms, perSecond: (latencies.count * 1000) / ms, p50, p99, gcMs };
}

/**
 * How subscriptions and projections ride out a store outage. A store call that fails with a
 * transient error (StoreError IO or CONNECTION: a server restarting, a dropped connection, a
 * failed read) is tried again after a bounded, jittered, exponential backoff, from the same
 * position, for as long as it takes. Anything else (CORRUPT_DATA, a closed store, a bug) is
 * rethrown at once, and so is the last failure when the caller stops or the runtime shuts down.
 */
import type { Logger } from 'pino';
import { isTransientStoreError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { LogTail } from './log-tail.js';

/** The delays between retries: doubling from `initialMs` up to `maxMs`. */
export interface RetryBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 100, maxMs: 5_000 };

/**
 * The delay before retry number `attempt` (1-based): `initialMs · 2^(attempt-1)`, capped at
 * `maxMs`, then jittered to between half and all of that, so that many subscribers that failed
 * together do not retry in step.
 */
export function backoffDelay(
  backoff: RetryBackoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Told about one retried call: each failure (with the retry's number and delay), then its end. */
export interface RetryObserver {
  retrying(error: Error, attempt: number, delayMs: number): void;
  /** The call succeeded after failing, or was given up. */
  ended(): void;
}

/** One runtime's retrying: its backoff, its metrics and its log. */
export class StoreRetry {
  readonly #tail: LogTail;
  readonly #backoff: RetryBackoff;
  readonly #metrics: Metrics;
  readonly #logger: Logger;

  constructor(tail: LogTail, backoff: RetryBackoff, metrics: Metrics, logger: Logger) {
    this.#tail = tail;
    this.#backoff = backoff;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /**
   * Runs `fn` (a store call made for `what`), again after a backoff while it fails with a
   * transient store error. Rethrows any other failure, and the last one once `signal` aborted or
   * the runtime closed.
   */
  async run<T>(
    what: string,
    fn: () => Promise<T>,
    signal?: AbortSignal,
    observer?: RetryObserver,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await fn();
        if (attempt > 1) this.#ended(what, attempt, observer, true);
        return result;
      } catch (error) {
        if (!isTransientStoreError(error) || signal?.aborted === true || this.#tail.closed) {
          if (attempt > 1) this.#ended(what, attempt, observer, false);
          throw error;
        }
        const delayMs = backoffDelay(this.#backoff, attempt);
        if (attempt === 1) this.#metrics.retrying++;
        this.#metrics.counters.storeRetries++;
        // The first failure is news; the ones after it are the same outage going on.
        this.#logger[attempt === 1 ? 'warn' : 'debug'](
          { err: error, attempt, delayMs },
          `${what} failed; retrying`,
        );
        observer?.retrying(error as Error, attempt, delayMs);
        await this.#tail.pause(delayMs, signal);
      }
    }
  }

  #ended(what: string, attempt: number, observer: RetryObserver | undefined, ok: boolean): void {
    this.#metrics.retrying--;
    if (ok) this.#logger.info({ attempts: attempt }, `${what} succeeded again`);
    observer?.ended();
  }
}

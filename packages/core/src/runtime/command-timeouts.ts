import type { Clock, TimerHandle } from '../clock.js';
import { CommandTimeout } from '../errors.js';

/** What a caller waits on with a deadline: a request, or a command still being validated. */
export interface TimedRequest {
  readonly streamId: string;
  deadline: number;
  readonly settled: boolean;
  fail(error: unknown): void;
}

/**
 * Fails requests whose caller has waited `timeoutMs`, with one timer for all of them.
 * Every request gets the same timeout, so arrival order is deadline order: a FIFO with a
 * moving head replaces a per-command timer. Settled requests are dropped from the head as new
 * ones arrive, so under steady load the queue holds about what is in flight.
 */
export class CommandTimeouts {
  #queue: TimedRequest[] = [];
  #head = 0;
  #timer: TimerHandle | null = null;
  /** Without timeouts: the list length at which settled requests are swept out. */
  #sweepAt = 1024;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #onTimeout: () => void;

  /** `timeoutMs` of 0 or Infinity disables timeouts. */
  constructor(clock: Clock, timeoutMs: number, onTimeout: () => void) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  /** Requests listed (some may be answered already and not yet dropped). */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  get enabled(): boolean {
    return this.#timeoutMs > 0 && Number.isFinite(this.#timeoutMs);
  }

  /**
   * Starts the caller's clock for a request just queued. Without timeouts the request is still
   * listed (no timer), so that shutdown can answer a caller whose command never finishes.
   * `now`: a clock reading taken since the caller called, if the dispatch has one (NaN: none).
   */
  watch(request: TimedRequest, now = Number.NaN): void {
    this.#dropSettled();
    this.#queue.push(request);
    if (!this.enabled) {
      // No deadlines: a request that never finishes would hold every later one at the head, so
      // the settled ones are swept out whenever the list doubles (amortised O(1) per request).
      if (this.#queue.length >= this.#sweepAt) this.#sweep();
      return;
    }
    request.deadline = (Number.isNaN(now) ? this.#clock.now() : now) + this.#timeoutMs;
    if (this.#timer === null) this.#arm();
  }

  /** Cancels the timer and fails every request not yet answered with `error` (shutdown). */
  clear(error: Error): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    const left = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const request of left) request.fail(error);
  }

  #arm(): void {
    this.#dropSettled();
    const first = this.#queue[this.#head];
    if (first === undefined) return;
    const delay = Math.max(0, first.deadline - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = null;
    const now = this.#clock.now();
    for (;;) {
      this.#dropSettled();
      const first = this.#queue[this.#head];
      if (first === undefined || first.deadline > now) break;
      this.#head++;
      this.#onTimeout();
      first.fail(new CommandTimeout(first.streamId, this.#timeoutMs));
    }
    this.#arm();
  }

  #sweep(): void {
    this.#queue = this.#queue.slice(this.#head).filter((r) => !r.settled);
    this.#head = 0;
    this.#sweepAt = Math.max(1024, this.#queue.length * 2);
  }

  #dropSettled(): void {
    const q = this.#queue;
    while (this.#head < q.length && (q[this.#head] as TimedRequest).settled) this.#head++;
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * When to restart a crashed daemon: exponential backoff between consecutive crashes, reset after
 * a run that stayed up long enough, and a budget of restarts per sliding time window past which
 * the supervisor gives up (a daemon that crashes in a loop needs a human, not more restarts).
 * Pure and driven by an injected clock, so it is tested without waiting.
 */

export interface RestartPolicyOptions {
  /** Delay before the first restart after a stable run. Default 250 ms. */
  initialDelayMs?: number;
  /** Each consecutive crash multiplies the delay by this. Default 2. */
  factor?: number;
  /** The delay never exceeds this. Default 30 000 ms. */
  maxDelayMs?: number;
  /** At most this many restarts within `windowMs`. Default 5. */
  maxRestarts?: number;
  /** Default 60 000 ms. */
  windowMs?: number;
  /** A run that stayed ready this long resets the backoff. Default 30 000 ms. */
  stableAfterMs?: number;
}

/** What to do after a crash. */
export type RestartDecision =
  | { restart: true; delayMs: number; attempt: number; restartsInWindow: number }
  | { restart: false; restartsInWindow: number };

export class RestartPolicy {
  readonly #o: Required<RestartPolicyOptions>;
  readonly #now: () => number;
  /** Times of the restarts granted within the window, oldest first. */
  #restarts: number[] = [];
  /** Crashes since the last stable run. */
  #consecutive = 0;

  constructor(options: RestartPolicyOptions = {}, now: () => number = Date.now) {
    this.#o = {
      initialDelayMs: options.initialDelayMs ?? 250,
      factor: options.factor ?? 2,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      maxRestarts: options.maxRestarts ?? 5,
      windowMs: options.windowMs ?? 60_000,
      stableAfterMs: options.stableAfterMs ?? 30_000,
    };
    this.#now = now;
  }

  /**
   * Records a crash of a run that had been ready for `upForMs` (undefined: never became ready)
   * and decides whether and when to restart.
   */
  onCrash(upForMs: number | undefined): RestartDecision {
    const now = this.#now();
    const o = this.#o;
    if (upForMs !== undefined && upForMs >= o.stableAfterMs) this.#consecutive = 0;
    this.#restarts = this.#restarts.filter((t) => now - t < o.windowMs);
    if (this.#restarts.length >= o.maxRestarts)
      return { restart: false, restartsInWindow: this.#restarts.length };
    const delayMs = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** this.#consecutive);
    this.#consecutive++;
    this.#restarts.push(now);
    return { restart: true, delayMs, attempt: this.#consecutive, restartsInWindow: this.#restarts.length };
  }
}

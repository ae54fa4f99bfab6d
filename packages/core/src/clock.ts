/**
 * Time, injected. Idle eviction, command timeouts and slow-command warnings read the clock
 * through this interface, so tests drive them with a {@link SimulatedClock} instead of sleeping.
 */
import { InvalidArgument } from './errors.js';

/** The longest delay Node's timers keep (a longer one fires after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** An opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  /** Milliseconds since an arbitrary origin, never decreasing. */
  now(): number;
  /** Runs `fn` once after `ms`. A runtime timer must never keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now()` and unref'd Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface SimulatedTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that falls due, in
 * time order, synchronously; await a tick afterwards to let the work they start settle.
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<SimulatedTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: SimulatedTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as SimulatedTimer);
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they arm fire too if due). */
  advance(ms: number): void {
    // NaN or a step back would leave the clock at NaN or running backwards.
    if (typeof ms !== 'number' || !(ms >= 0)) {
      throw new InvalidArgument(`SimulatedClock.advance: ms must be a number >= 0, got ${String(ms)}`);
    }
    const target = this.#now + ms;
    for (;;) {
      let next: SimulatedTimer | undefined;
      for (const t of this.#timers) {
        if (
          t.at <= target &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = target;
  }

  /** How many timers are armed. */
  get pendingTimers(): number {
    return this.#timers.size;
  }
}

/**
 * Wakes subscribers when the global log grows. Every wake-up source (the store's `onAppend`,
 * this runtime's own appends, a poll timer for stores that cannot notify) bumps one counter;
 * a subscriber remembers the counter before it reads and, after reading nothing new, waits for
 * the counter to move. An append that lands between its read and its wait is therefore never
 * missed (no lost wake-up), and waiting costs nothing while nobody subscribes.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { EventStore } from '../store/store.js';

/** How often subscribers re-read a store that cannot tell them about appends. */
const POLL_MS = 1_000;

export class LogTail {
  #seq = 0;
  #closed = false;
  #waiters = new Set<() => void>();
  #lastPosition = 0;
  #stopListening: (() => void) | undefined;
  #poll: TimerHandle | undefined;
  readonly #clock: Clock;
  readonly #store: EventStore;

  constructor(store: EventStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * A counter that moves whenever the log may have grown; read it before reading the log, then
   * `wait` with it. Reading it starts listening, so an append right after is counted.
   */
  mark(): number {
    this.#listen();
    return this.#seq;
  }

  /** The newest position seen by a notification (0 before any); a lower bound of the store's. */
  get lastPosition(): number {
    return this.#lastPosition;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The log grew (to `position`, when known). */
  notify(position = 0): void {
    if (position > this.#lastPosition) this.#lastPosition = position;
    this.#seq++;
    const waiters = this.#waiters;
    if (waiters.size === 0) return;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once the counter has moved past `seen` (from `mark()`), the tail closed, or `signal`
   * aborted.
   */
  wait(seen: number, signal?: AbortSignal): Promise<void> {
    if (this.#seq !== seen || this.#closed || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Wakes every waiter for the last time and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening?.();
    if (this.#poll !== undefined) this.#clock.clearTimeout(this.#poll);
    this.notify();
  }

  /** This runtime appended up to `position`: news only for a store that does not notify by itself. */
  appended(position: number): void {
    if (this.#store.onAppend === undefined) this.notify(position);
  }

  #listen(): void {
    if (this.#stopListening !== undefined || this.#poll !== undefined || this.#closed) return;
    const store = this.#store;
    if (store.onAppend !== undefined) {
      this.#stopListening = store.onAppend((position) => this.notify(position));
      return;
    }
    // Polls only while someone waits; woken subscribers re-read and mark (re-arming it) again.
    this.#poll = this.#clock.setTimeout(() => {
      this.#poll = undefined;
      if (!this.#closed && this.#waiters.size > 0) this.notify();
    }, POLL_MS);
  }
}

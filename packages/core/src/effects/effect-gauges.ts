import type { Clock } from '../clock.js';
import type { TimerStore } from '../timers/timer.js';
import { isEffectTimerName } from './effect.js';
import { readRequest } from './effect-record.js';

/**
 * The store-wide effect gauges (`effectsPending`, `effectsOldestAgeMs`), refreshed at most once a
 * second when metrics are read, like `timersPending`. The timer store has no index by name
 * prefix, so a refresh lists every pending timer once (O(timers), in the background; the gauges
 * keep their last values meanwhile and through a store outage).
 */
export class EffectGauges {
  readonly #store: TimerStore;
  readonly #clock: Clock;
  #pending = 0;
  #oldestRequestedAt: number | undefined = undefined;
  #countedAt = Number.NEGATIVE_INFINITY;
  #counting = false;

  constructor(store: TimerStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Effects not yet settled, as last counted (refreshing when the count is over a second old). */
  pending(): number {
    this.#refresh();
    return this.#pending;
  }

  /** The age of the oldest effect not yet settled, as last counted; 0 when none. */
  oldestAgeMs(): number {
    this.#refresh();
    const at = this.#oldestRequestedAt;
    return at === undefined ? 0 : Math.max(0, this.#clock.now() - at);
  }

  #refresh(): void {
    if (this.#counting || this.#clock.now() - this.#countedAt < 1000) return;
    this.#counting = true;
    this.#countedAt = this.#clock.now();
    void this.#count().finally(() => {
      this.#counting = false;
    });
  }

  async #count(): Promise<void> {
    let pending = 0;
    let oldest: number | undefined;
    try {
      for await (const record of this.#store.list()) {
        if (!isEffectTimerName(record.name)) continue;
        pending++;
        // A record that is not an effect's (written past the runtime) counts, but has no age.
        const at = readRequest(record)?.requestedAt;
        if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
      }
    } catch {
      return; // the gauges keep their last values through a store outage
    }
    this.#pending = pending;
    this.#oldestRequestedAt = oldest;
  }
}

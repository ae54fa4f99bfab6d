import type { DecideContext } from '../aggregate/aggregate.js';
import type { DecideEffects, EffectRef } from '../effects/effect.js';
import { type EffectCatalog, NO_EFFECTS } from '../effects/effect-catalog.js';
import { EffectRecorder } from '../effects/effect-recorder.js';
import type { EventMetadata } from '../store/store.js';
import type { DecideTimers, FiredTimer } from '../timers/timer.js';
import { TimerRecorder } from '../timers/timer-recorder.js';

/**
 * The DecideContext the runtime gives decide, one per command. `now`, `timers` and `effects` are
 * created on first use, so a command that reads no time and schedules nothing pays for no `Date`
 * and no recorder. `timers` and `effects` record into one TimerRecorder (effect records are timer
 * records), so the append applies their changes in call order.
 */
export class RuntimeDecideContext implements DecideContext {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  /** The metadata stored with the decision's events (the runtime's; decide gets a frozen copy). */
  readonly stored: Readonly<EventMetadata>;
  #metadata: Readonly<EventMetadata> | undefined = undefined;
  readonly firedTimer: FiredTimer | undefined;
  /** The effect whose result this command is; undefined for every other command. */
  readonly settledEffect: EffectRef | undefined;
  readonly #catalog: EffectCatalog;
  /** The decision's time in epoch ms; its `Date` is made only when decide reads `now`. */
  readonly #nowMs: number;
  #now: Date | undefined = undefined;
  #recorder: TimerRecorder | undefined = undefined;
  #effects: EffectRecorder | undefined = undefined;
  #closed = false;

  constructor(
    aggregateType: string,
    aggregateId: string,
    version: number,
    now: number,
    metadata: Readonly<EventMetadata>,
    firedTimer: FiredTimer | undefined,
    catalog: EffectCatalog = NO_EFFECTS,
    settledEffect: EffectRef | undefined = undefined,
  ) {
    this.aggregateType = aggregateType;
    this.aggregateId = aggregateId;
    this.version = version;
    this.#nowMs = now;
    this.stored = metadata;
    this.firedTimer = firedTimer;
    this.#catalog = catalog;
    this.settledEffect = settledEffect;
  }

  /**
   * The metadata that will be stored with the events, read-only: a frozen copy made on first
   * read (none when already frozen). The stored object itself is never handed to decide, so a
   * decide that writes to it (a commandId, `codec`, a value JSON cannot keep) cannot change what
   * is stored: in strict mode the write throws, and the command fails with DECIDE_FAILED.
   */
  get metadata(): Readonly<EventMetadata> {
    if (this.#metadata === undefined) {
      const m = this.stored;
      this.#metadata = Object.isFrozen(m) ? m : Object.freeze({ ...m });
    }
    return this.#metadata;
  }

  /** When the command started, from the runtime's clock: one `Date` per decision, made on first read. */
  get now(): Date {
    if (this.#now === undefined) this.#now = new Date(this.#nowMs);
    return this.#now;
  }

  /** The decision's time in epoch ms (as `now` reads, should decide have changed that `Date`). */
  #time(): number {
    return this.#now === undefined ? this.#nowMs : this.#now.getTime();
  }

  get timers(): DecideTimers {
    if (this.#recorder === undefined) {
      this.#recorder = new TimerRecorder(this.#time());
      if (this.#closed) this.#recorder.close();
    }
    return this.#recorder;
  }

  get effects(): DecideEffects {
    if (this.#effects === undefined) {
      const timers = this.timers as TimerRecorder;
      this.#effects = new EffectRecorder(timers, this.#catalog, this.#time());
    }
    return this.#effects;
  }

  /** Ends the decision: `timers` and `effects` refuse every later call (decide kept the context). */
  close(): void {
    this.#closed = true;
    this.#recorder?.close();
  }

  /** What decide asked of `timers`, if it used them at all. */
  get recorder(): TimerRecorder | undefined {
    return this.#recorder;
  }
}

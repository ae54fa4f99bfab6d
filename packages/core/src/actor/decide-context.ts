import type { DecideContext } from '../aggregate/aggregate.js';
import type { DecideEffects, EffectRef } from '../effects/effect.js';
import { type EffectCatalog, NO_EFFECTS } from '../effects/effect-catalog.js';
import { EffectRecorder } from '../effects/effect-recorder.js';
import type { EventMetadata } from '../store/store.js';
import type { DecideTimers, FiredTimer } from '../timers/timer.js';
import { TimerRecorder } from '../timers/timer-recorder.js';

/**
 * The DecideContext the runtime gives decide. `timers` and `effects` are created on first use,
 * so a command that schedules nothing pays for no recorder; both record into one TimerRecorder
 * (effect records are timer records), so the append applies their changes in call order.
 */
export class RuntimeDecideContext implements DecideContext {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly now: Date;
  readonly metadata: Readonly<EventMetadata>;
  readonly firedTimer: FiredTimer | undefined;
  /** The effect whose result this command is; undefined for every other command. */
  readonly settledEffect: EffectRef | undefined;
  readonly #catalog: EffectCatalog;
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
    this.now = new Date(now);
    this.metadata = metadata;
    this.firedTimer = firedTimer;
    this.#catalog = catalog;
    this.settledEffect = settledEffect;
  }

  get timers(): DecideTimers {
    if (this.#recorder === undefined) {
      this.#recorder = new TimerRecorder(this.now.getTime());
      if (this.#closed) this.#recorder.close();
    }
    return this.#recorder;
  }

  get effects(): DecideEffects {
    if (this.#effects === undefined) {
      const timers = this.timers as TimerRecorder;
      this.#effects = new EffectRecorder(timers, this.#catalog, this.now.getTime());
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

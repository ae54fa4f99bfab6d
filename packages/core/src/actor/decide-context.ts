import type { DecideContext } from '../aggregate/aggregate.js';
import type { DecideEffects, EffectRef } from '../effects/effect.js';
import { InvalidArgument } from '../errors.js';
import type { EventMetadata } from '../store/store.js';
import type { DecideTimers, FiredTimer } from '../timers/timer.js';
import { TimerRecorder } from '../timers/timer-recorder.js';

/**
 * The DecideContext the runtime gives decide. `timers` is created on first use, so a command
 * that schedules nothing pays for no recorder.
 */
export class RuntimeDecideContext implements DecideContext {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly now: Date;
  readonly metadata: Readonly<EventMetadata>;
  readonly firedTimer: FiredTimer | undefined;
  #recorder: TimerRecorder | undefined = undefined;

  constructor(
    aggregateType: string,
    aggregateId: string,
    version: number,
    now: number,
    metadata: Readonly<EventMetadata>,
    firedTimer: FiredTimer | undefined,
  ) {
    this.aggregateType = aggregateType;
    this.aggregateId = aggregateId;
    this.version = version;
    this.now = new Date(now);
    this.metadata = metadata;
    this.firedTimer = firedTimer;
  }

  get timers(): DecideTimers {
    if (this.#recorder === undefined) this.#recorder = new TimerRecorder(this.now.getTime());
    return this.#recorder;
  }

  /** The effect whose result this command is. CONTRACT STUB: set by the effects work. */
  get settledEffect(): EffectRef | undefined {
    return undefined;
  }

  /** CONTRACT STUB: replaced by the effect recorder. */
  get effects(): DecideEffects {
    throw new InvalidArgument('durable effects are not implemented yet');
  }

  /** What decide asked of `timers`, if it used them at all. */
  get recorder(): TimerRecorder | undefined {
    return this.#recorder;
  }
}

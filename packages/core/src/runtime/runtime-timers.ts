/**
 * The runtime's durable timers as operators see them (`runtime.timers()`: list, count, fire or
 * cancel one by hand), and the delivery of a due timer to its aggregate's actor or, for an effect
 * record, to the effect runner.
 */
import type { Logger } from 'pino';
import { CancelTimerRequest, FireRequest, type FireResult } from '../actor/request.js';
import type { AnyAggregate } from '../aggregate/aggregate.js';
import { isEffectTimerName, RUN_EFFECT } from '../effects/effect.js';
import { deliverable } from '../effects/effect-record.js';
import type { EffectRunner } from '../effects/effect-runner.js';
import { InvalidArgument, UnknownAggregate } from '../errors.js';
import type { Counters } from '../observability/metrics.js';
import { parseStreamId } from '../store/store.js';
import { assertStreamId } from '../store/store-input.js';
import type { TimerQuery, TimerRecord, TimerStore } from '../timers/timer.js';
import { assertTimerName } from '../timers/timer-recorder.js';
import type { FiringOutcome } from '../timers/timer-service.js';
import type { Dispatcher } from './handle.js';

/**
 * An operator's view of the runtime's durable timers (`runtime.timers()`): what is pending, and
 * firing or cancelling one by hand, in order with the aggregate's commands.
 */
export interface RuntimeTimers {
  /** Pending timers matching the query (stream, due before, limit), earliest due first. */
  list(query?: TimerQuery): AsyncIterable<TimerRecord>;
  /** The stream's pending timer of that name, or undefined. */
  get(streamId: string, name: string): Promise<TimerRecord | undefined>;
  /** How many timers are pending in the store. */
  count(): Promise<number>;
  /**
   * Fires the pending timer now, whatever its due time, through its aggregate's actor (exactly
   * as when it comes due). Fails with InvalidArgument when the stream has no such timer.
   */
  fire(streamId: string, name: string): Promise<FireResult>;
  /** Cancels the pending timer through its aggregate's actor; false when there was none. */
  cancel(streamId: string, name: string): Promise<boolean>;
}

/** What the timers need of their runtime. */
export interface TimerParts {
  readonly store: TimerStore;
  readonly dispatcher: Dispatcher;
  readonly counters: Counters;
  /** The registered definition of an aggregate type; throws UnknownAggregate for another type. */
  definition(type: string, id: string): AnyAggregate;
}

/** `runtime.timers()` over the runtime's timer store. */
export function createRuntimeTimers(parts: TimerParts): RuntimeTimers {
  const { store, dispatcher, counters } = parts;
  /** The registered aggregate of a stream and its id (UnknownAggregate, InvalidArgument otherwise). */
  const aggregateOf = (streamId: string, name: string) => {
    assertStreamId(streamId);
    assertTimerName(name);
    const { aggregateType, aggregateId } = parseStreamId(streamId);
    return { def: parts.definition(aggregateType, aggregateId), id: aggregateId };
  };
  const dispatch = (streamId: string, name: string, make: () => FireRequest | CancelTimerRequest) => {
    const { def, id } = aggregateOf(streamId, name);
    return dispatcher.dispatch(def, id, make());
  };
  // Effect records are timers with reserved names: left out here (see effects()). The store has
  // no index by name, so list skips them as it reads, and count reads every pending timer.
  return {
    list: (query) => withoutEffects(store.list(query)),
    get: (streamId, name) => {
      assertTimerName(name);
      return store.get(streamId, name);
    },
    count: async () => {
      let n = 0;
      for await (const _timer of withoutEffects(store.list())) n++;
      return n;
    },
    fire: async (streamId, name) => {
      aggregateOf(streamId, name);
      const timer = await store.get(streamId, name);
      if (timer === undefined) throw new InvalidArgument(`${streamId} has no pending timer '${name}'`);
      const result = (await dispatch(streamId, name, () => new FireRequest(timer))) as FireResult;
      if (result.outcome === 'fired' || result.outcome === 'nothing') counters.timersFired++;
      else if (result.outcome === 'refused') counters.timersFailed++;
      return result;
    },
    cancel: async (streamId, name) =>
      (await dispatch(streamId, name, () => new CancelTimerRequest(streamId, name))) as boolean,
  };
}

/** What delivering a due timer needs of its runtime. */
export interface DeliveryParts {
  readonly store: TimerStore | undefined;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly aggregates: ReadonlyMap<string, AnyAggregate>;
  /** The effect runner; undefined when the store has no `timers.reschedule`. */
  readonly effects: EffectRunner | undefined;
  firstTime(key: string): boolean;
}

/**
 * Delivers a timer to its aggregate's actor; a timer of a type this runtime does not serve is
 * removed. An effect record waiting to run goes to the effect runner instead, never to an actor;
 * an effect's result is delivered without the request its record keeps for operators.
 */
export async function deliverTimer(parts: DeliveryParts, record: TimerRecord): Promise<FiringOutcome> {
  const runner = parts.effects;
  if (record.command.type === RUN_EFFECT) {
    if (runner === undefined) {
      // Written by another runtime through this store's append; this one cannot record outcomes.
      if (parts.firstTime('effects-without-reschedule'))
        parts.logger.error(
          { streamId: record.streamId, timer: record.name },
          'an effect record is due, but this store has no timers.reschedule: effects do not run here',
        );
      return { outcome: 'stale', version: record.version };
    }
    return runner.fire(record);
  }
  // An effect's result: delivered in turn with operators' retries of it, as stored now.
  if (runner !== undefined && isEffectTimerName(record.name))
    return runner.deliver(record, (stored) => toActor(parts, deliverable(stored)));
  return toActor(parts, isEffectTimerName(record.name) ? deliverable(record) : record);
}

/** Hands a timer to its aggregate's actor; one of a type this runtime does not serve is removed. */
async function toActor(parts: DeliveryParts, timer: TimerRecord): Promise<FiringOutcome> {
  const { aggregateType, aggregateId } = parseStreamId(timer.streamId);
  const def = parts.aggregates.get(aggregateType);
  if (def === undefined) {
    const error = new UnknownAggregate(aggregateType, [...parts.aggregates.keys()]);
    await parts.store?.remove(timer.streamId, timer.name, timer.version);
    parts.logger.error(
      { err: error, streamId: timer.streamId, timer: timer.name },
      'timer of an aggregate type this runtime does not serve: removed without firing',
    );
    return { outcome: 'refused', version: 0, error };
  }
  // No command timeout: the service tracks its firings itself, and a firing queued behind a busy
  // mailbox is not late enough to give up on (it would only be retried).
  return parts.dispatcher.dispatch(def, aggregateId, new FireRequest(timer), false) as Promise<FireResult>;
}

/** The timers of `records` that are not effect records. */
async function* withoutEffects(records: AsyncIterable<TimerRecord>): AsyncIterable<TimerRecord> {
  for await (const record of records) if (!isEffectTimerName(record.name)) yield record;
}

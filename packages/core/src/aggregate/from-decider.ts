/**
 * The Decider shape many TypeScript event-sourcing libraries share (`decide(command, state)`,
 * `evolve(state, event)`, `initialState()`), adapted to `defineAggregate`.
 */

import { InvalidArgument } from '../errors.js';
import type { DomainEvent } from '../store/store.js';
import {
  type AggregateDefinition,
  type AggregateSpec,
  type Command,
  type DecideContext,
  defineAggregate,
} from './aggregate.js';

/** What `decide` may return: one event or several, now or later. */
export type DecisionResult<E> = E | readonly E[] | Promise<E | readonly E[]>;

/** A Decider: pure functions over commands, events and a state, as Emmett and others write them. */
export interface Decider<S, C extends Command, E extends DomainEvent> {
  /** The events a command leads to in a state: one, an array (`[]`: nothing happens), or a promise of either. Throws to refuse. */
  decide(command: C, state: S, context: DecideContext): DecisionResult<E>;
  /** Folds one event into the state. */
  evolve(state: S, event: E): S;
  initialState(): S;
}

/**
 * `fromDecider`'s options: the aggregate's `type`, and any other optional field of
 * `defineAggregate`'s spec (snapshots, validateCommand, eventSchemaVersion, ...), passed on as they are.
 */
export type FromDeciderOptions<S, C extends Command, E extends DomainEvent> = { type: string } & Partial<
  Omit<AggregateSpec<S, C, E>, 'type' | 'decide' | 'evolve' | 'initialState'>
>;

/**
 * Defines an aggregate from a Decider. `decide` may return one event or an array, synchronously
 * or as a promise; a synchronous decide stays synchronous (no extra await).
 * @example
 * const cart = fromDecider(
 *   { decide: (command, state) => ({ type: 'ItemAdded', sku: command.sku }), evolve, initialState },
 *   { type: 'cart' },
 * );
 */
export function fromDecider<S, C extends Command, E extends DomainEvent>(
  decider: Decider<S, C, E>,
  options: FromDeciderOptions<S, C, E>,
): AggregateDefinition<S, C, E> {
  if (typeof decider !== 'object' || decider === null) {
    throw new InvalidArgument('fromDecider needs a decider object with decide, evolve and initialState');
  }
  for (const fn of ['decide', 'evolve', 'initialState'] as const) {
    if (typeof decider[fn] !== 'function') {
      throw new InvalidArgument(`fromDecider '${options?.type}': decider.${fn} must be a function`);
    }
  }
  const decide = (state: S, command: C, ctx: DecideContext) => toEvents(decider.decide(command, state, ctx));
  return defineAggregate<S, C, E>({
    ...options,
    initialState: () => decider.initialState(),
    evolve: (state, event) => decider.evolve(state, event),
    // A promise is passed on for the runtime to await, which `AggregateSpec.decide` allows.
    decide: decide as AggregateSpec<S, C, E>['decide'],
  });
}

/** Normalises a decision to an array of events, or a promise of one. */
function toEvents<E>(result: DecisionResult<E>): readonly E[] | Promise<readonly E[]> {
  if (Array.isArray(result)) return result;
  if (isPromiseLike(result)) return Promise.resolve(result).then(single);
  return single(result as E | readonly E[]);
}

function single<E>(result: E | readonly E[]): readonly E[] {
  if (Array.isArray(result)) return result;
  if (result === undefined || result === null) {
    throw new TypeError(`decide returned ${result}: return an event, an array of events, or [] for none`);
  }
  return [result as E];
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

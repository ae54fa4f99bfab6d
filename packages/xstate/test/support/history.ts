/** Builds event histories by running commands through decide and evolve, as the runtime would. */
import type { AggregateDefinition, Command, DomainEvent } from '@actorfold/core';
import { WITH_PURITY_CHECK } from '../../src/purity-hook.js';
import { decideContext, T0 } from './runtime.js';

/** One command of a history, optionally at its own time (default: T0 plus one minute per step). */
export type Step<C> = C | { command: C; at: string };

/**
 * The events the commands record in order, plus the state they lead to. Throws if one is refused,
 * or if a statechart's transition is not pure (each one runs with `checkPurity` on).
 */
export function history<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
  steps: readonly Step<C>[],
): { events: E[]; state: S } {
  const def = purityChecked(definition);
  let state = def.initialState();
  const events: E[] = [];
  for (const [i, step] of steps.entries()) {
    const timed = 'at' in step && 'command' in step;
    const command = timed ? (step as { command: C }).command : (step as C);
    const now = timed ? new Date((step as { at: string }).at) : new Date(T0 + i * 60_000);
    for (const e of def.decide(state, command, decideContext(events.length, now))) {
      events.push(e);
      state = def.evolve(state, e);
    }
  }
  return { events, state };
}

/** Events as the store gives them back: JSON copies (so evolve cannot reuse what decide computed). */
export function stored<E>(events: readonly E[]): E[] {
  return JSON.parse(JSON.stringify(events)) as E[];
}

/** Folds events with evolve from the initial state: a full replay. */
export function replay<S, C extends Command, E extends DomainEvent>(
  def: AggregateDefinition<S, C, E>,
  events: readonly E[],
): S {
  let state = def.initialState();
  for (const e of events) state = def.evolve(state, e);
  return state;
}

/** The definition with `checkPurity` on, when it is a statechart's. */
function purityChecked<D extends object>(def: D): D {
  const variant = (def as { [WITH_PURITY_CHECK]?: () => D })[WITH_PURITY_CHECK];
  return variant === undefined ? def : variant.call(def);
}

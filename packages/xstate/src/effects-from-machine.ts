/**
 * `effectsFromMachine`: the effect implementations of a statechart's invoked promise logic, for
 * `createRuntime({ effects: { implementations } })`. decide only requests an invoke's effect
 * (by its `src` name); the runtime runs what is registered under that name, after the request
 * is stored, so neither decide nor replay ever calls the promise creator.
 */
import { type EffectContext, type EffectImplementation, InvalidArgument } from '@actorfold/core';
import type { AnyActorLogic, AnyStateMachine } from 'xstate';
import { promiseInvokes } from './invoked-logic.js';

/** Where a statechart definition keeps its machines (every workflow version), for effectsFromMachine. */
export const MACHINES: unique symbol = Symbol.for('@actorfold/xstate.machines');

/**
 * What an invoked promise creator receives when it runs as a durable effect: xstate's `input`
 * and `signal` (aborted on timeout, when the process leaves the invoking state, and at
 * shutdown), plus the effect's context (`idempotencyKey` to pass to the outside system,
 * `attempt`). There is no `self` or `system`: the effect runs in no actor.
 * @example
 * const charge = fromPromise<Receipt, ChargeInput>(async ({ input, signal, ...rest }) => {
 *   const { effect } = rest as unknown as InvokedEffectArgs<ChargeInput>;
 *   return psp.charge(input, { idempotencyKey: effect.idempotencyKey, signal });
 * });
 */
export interface InvokedEffectArgs<I = unknown> {
  readonly input: I;
  readonly signal: AbortSignal;
  readonly effect: EffectContext;
  /** Refuses: an effect has no parent to emit to (record facts with the machine's own emit). */
  readonly emit: (event: unknown) => never;
}

/** Something `effectsFromMachine` reads invoked promise logic from. */
export type InvokingSource = AnyStateMachine | { readonly [MACHINES]: readonly AnyStateMachine[] };

type PromiseCreator = (args: InvokedEffectArgs) => unknown;

/**
 * The effect implementations of the promise logic that machines invoke by name, keyed by that
 * name (the invoke's `src`): each calls the promise creator with `{ input, signal, effect }`.
 * Takes `fromMachine` definitions (every workflow version) or machines. Throws InvalidArgument
 * when two of them give one name different promise creators: register that name yourself.
 * @example
 * const runtime = await createRuntime({
 *   store,
 *   aggregates: [checkout],
 *   effects: { implementations: { ...effectsFromMachine(checkout), chargeCard: { run: charge, maxAttempts: 3 } } },
 * });
 */
export function effectsFromMachine(
  ...sources: readonly InvokingSource[]
): Record<string, EffectImplementation> {
  const logicByName = new Map<string, AnyActorLogic>();
  for (const source of sources) {
    for (const { src: name, logic } of invokesOf(source)) {
      const known = logicByName.get(name);
      if (known !== undefined && known !== logic && known.config !== logic.config) {
        throw new InvalidArgument(
          `effectsFromMachine: two machines invoke '${name}' with different promise logic; ` +
            'register the implementation of that name yourself in effects.implementations',
        );
      }
      logicByName.set(name, logic);
    }
  }
  const implementations: Record<string, EffectImplementation> = {};
  for (const [name, logic] of logicByName) {
    // An own property whatever the name: a src called '__proto__' must not set the prototype.
    Object.defineProperty(implementations, name, {
      value: implementationOf(name, logic),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return implementations;
}

function invokesOf(source: InvokingSource): Array<{ src: string; logic: AnyActorLogic }> {
  const machines =
    typeof source === 'object' && source !== null && MACHINES in source ? source[MACHINES] : [source];
  return machines.flatMap((machine) => {
    if (typeof machine !== 'object' || machine === null || typeof machine.root !== 'object') {
      throw new InvalidArgument('effectsFromMachine takes fromMachine definitions or xstate machines');
    }
    return [...promiseInvokes(machine).values()];
  });
}

function implementationOf(name: string, logic: AnyActorLogic): EffectImplementation {
  const create = logic.config as PromiseCreator;
  return (input: unknown, effect: EffectContext) =>
    Promise.resolve(
      create({
        input,
        signal: effect.signal,
        effect,
        emit: () => {
          throw Object.assign(
            new InvalidArgument(
              `effect '${name}' called emit(): a durable effect has no parent actor; return the result instead`,
            ),
            { retryable: false },
          );
        },
      }),
    );
}

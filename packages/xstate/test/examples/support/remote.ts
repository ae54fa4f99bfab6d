/**
 * The actor logic a ported machine names in `setup({ actors })`: promise logic whose body is
 * never run by the machine. A statechart aggregate only takes xstate's pure transitions, so an
 * invoke becomes a durable effect and the runtime calls the implementation registered under
 * the same name (the simulated service). The body fails loudly should anything start it.
 */
import { fromPromise, type PromiseActorLogic } from 'xstate';

/** Started where it should not be: outside the runtime's effect runner. */
export class RemoteStartedInMachine extends Error {
  readonly code = 'REMOTE_STARTED_IN_MACHINE';
  override readonly name = 'RemoteStartedInMachine';
}

/** Promise logic typed by its input and output, implemented by the runtime's registered effect. */
export function remote<I, O = void>(): PromiseActorLogic<O, I> {
  return fromPromise<O, I>(() =>
    Promise.reject(
      new RemoteStartedInMachine('a workflow service runs as an effect, never inside the machine'),
    ),
  );
}

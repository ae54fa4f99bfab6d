/**
 * Tells whether the running code was called by a projection's handler, so that the projection
 * can refuse a wait that would only end after that handler returns: a handler awaiting its own
 * projection's stop(), rebuild() or waitFor() of its own event would wait for itself forever.
 *
 * Cost: while an AsyncLocalStorage is enabled, Node (20 and 22) runs a hook for every promise
 * the process creates. This one is enabled only while some projection handler is in flight and
 * disabled when the last one settles, so a runtime whose projections are caught up pays nothing,
 * and one that is catching up pays the hook on the promises created meanwhile.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** One handler call. `settled` once it returned: code it started and left running is no longer "in" it. */
interface HandlerCall {
  readonly owner: object;
  settled: boolean;
}

const scope = new AsyncLocalStorage<HandlerCall | undefined>();
/** Handler calls in flight, over every projection of the process. */
let inFlight = 0;

/** Calls `handler` as `owner`'s handler and waits for what it returns. */
export async function callHandler<T>(owner: object, handler: () => T): Promise<Awaited<T>> {
  const call: HandlerCall = { owner, settled: false };
  inFlight++;
  try {
    return await scope.run(call, handler);
  } finally {
    call.settled = true;
    if (--inFlight === 0) scope.disable();
  }
}

/** True when the running code was called by a handler of `owner` that has not returned yet. */
export function inHandlerOf(owner: object): boolean {
  const call = scope.getStore();
  return call !== undefined && call.owner === owner && !call.settled;
}

/**
 * Runs `fn` as if no handler had called it: the runtime's own shutdown stops every projection,
 * and a handler awaiting `runtime.shutdown()` only holds it up for its timeout, as any handler
 * that does not return does.
 */
export function outsideHandlers<T>(fn: () => T): T {
  // run() would enable the storage, and nothing would disable it again.
  return inFlight === 0 ? fn() : scope.run(undefined, fn);
}

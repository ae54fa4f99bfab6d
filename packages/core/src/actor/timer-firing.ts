import type { Logger } from 'pino';
import { ActorCrashed, InvalidArgument, isRejection, isVersionConflict } from '../errors.js';
import type { EventStore } from '../store/store.js';
import type { TimerChange, TimerRecord } from '../timers/timer.js';
import type { ActorHost } from './actor-host.js';
import type { CancelTimerRequest, ExecuteResult, FireRequest, TimerCommand } from './request.js';

/**
 * The actor's timer requests, outside the actor shell: whether a firing may still run, what
 * becomes of it once its command was decided, and an operator's cancel. The actor calls these in
 * its mailbox, so each is serialised with the aggregate's commands.
 */

/** True when the stream still has this timer pending with this version (not fired, cancelled or rescheduled). */
export async function stillPending(store: EventStore, timer: TimerRecord): Promise<boolean> {
  const pending = await store.timers?.get(timer.streamId, timer.name);
  return pending !== undefined && pending.version === timer.version;
}

/**
 * Replies to a firing once its command ran (in a batch, which counted, logged and settled it).
 * Returns the conflict when another writer appended first: the actor, caught up by the batch,
 * checks the timer again, as that append may have cancelled it.
 * A firing that decided nothing, or that its aggregate refused, removes its timer: a refused
 * firing would be refused again, so retrying it forever helps nobody; it is logged.
 */
export async function settleFiring(
  host: ActorHost,
  request: FireRequest,
  command: TimerCommand,
  version: number,
  log: () => Logger,
): Promise<'done' | Error> {
  const { timer } = request;
  let result: ExecuteResult | undefined;
  let error: unknown;
  if (!command.settled) error = new ActorCrashed(timer.streamId, new Error('the firing was not decided'));
  else {
    try {
      result = await command.promise;
    } catch (e) {
      error = e;
    }
  }
  if (result !== undefined) {
    if (result.events.length > 0 && !result.deduplicated) {
      request.succeed({ outcome: 'fired', version: result.version });
      return 'done';
    }
    // Decided nothing (or a repeat of a firing that had): the timer is over.
    if (!(await removeTimer(host, request))) return 'done';
    request.succeed({ outcome: 'nothing', version });
    return 'done';
  }
  if (isVersionConflict(error)) return error as Error;
  if (!isRefusalOfDecide(error)) {
    // The store failed (or the actor's state is in doubt): the timer stays pending, fired again later.
    request.fail(error);
    return 'done';
  }
  if (!(await removeTimer(host, request))) return 'done';
  const level = isRejection(error) ? 'warn' : 'error';
  log()[level](
    { err: error, timer: timer.name, timerVersion: timer.version, command: timer.command.type },
    'timer firing refused; the timer is removed',
  );
  request.succeed({ outcome: 'refused', version, error });
  return 'done';
}

/** Removes the fired timer (if still at its version); false, with the request failed, when the store failed. */
async function removeTimer(host: ActorHost, request: FireRequest): Promise<boolean> {
  const { timer } = request;
  try {
    await host.store.timers?.remove(timer.streamId, timer.name, timer.version);
    return true;
  } catch (error) {
    request.fail(error);
    return false;
  }
}

/** Refusals that come from decide itself (a bug in it, an invalid timer call, an unstorable event), not from the store. */
function isRefusalOfDecide(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'DECIDE_FAILED' ||
    code === 'INVALID_ARGUMENT' ||
    code === 'REJECTED' ||
    code === 'IDEMPOTENCY_CONFLICT'
  );
}

/** An operator's cancel: removes the pending timer `name` of the actor's stream; true when there was one. */
export async function cancelTimer(host: ActorHost, request: CancelTimerRequest): Promise<void> {
  const timers = host.store.timers;
  if (timers === undefined) {
    request.fail(new InvalidArgument('the store keeps no timers'));
    return;
  }
  let removed: boolean;
  try {
    const pending = await timers.get(request.streamId, request.name);
    removed = pending !== undefined && (await timers.remove(request.streamId, request.name, pending.version));
  } catch (error) {
    request.fail(error);
    return;
  }
  if (removed) host.timersWritten(request.streamId, [{ op: 'cancel', name: request.name }]);
  request.succeed(removed);
}

/**
 * The append options of a decision: its timer changes go into the same append as its events.
 * A store without timers would drop them silently if it ignored the option, so the decision is
 * refused here instead, before anything is written.
 */
export function appendOptions(
  store: EventStore,
  streamId: string,
  expectedVersion: number,
  timers: readonly TimerChange[] | undefined,
): { expectedVersion: number; timers?: readonly TimerChange[] } {
  if (timers === undefined) return { expectedVersion };
  if (store.timers === undefined) {
    throw new InvalidArgument(
      `${streamId}: decide scheduled or cancelled a timer, but the store keeps no timers (it has no \`timers\`)`,
    );
  }
  return { expectedVersion, timers };
}

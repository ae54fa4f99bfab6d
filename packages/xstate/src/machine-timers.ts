/**
 * How a statechart's delayed transitions become durable timers. xstate builds `after` from a
 * delayed `raise` of `xstate.after.<delay>.<state id>` on entry to the state (with that id) and a
 * `cancel` of it on exit; the pure `transition` returns both as actions to execute, in order,
 * instead of running them. decide turns them into timer requests written with the decision's
 * event: entering a state schedules its timers, leaving cancels them. When one is due the
 * runtime delivers the delayed event as a command, which decide records like any other, so
 * replay (evolve) re-runs the recorded transition and never schedules or reads a clock.
 */
import type { Command, DecideContext } from '@actorfold/core';
import type { ExecutableActionObject } from 'xstate';

/** The prefix of the events (and timer names) of delayed transitions. */
export const AFTER_PREFIX = 'xstate.after.';

/** The domain event type that records a delayed transition taken. */
export const DELAY_ELAPSED = 'DelayElapsed';

/** One change to a process's timers, in the order the transition made it. */
export type TimerRequest =
  | { readonly op: 'schedule'; readonly name: string; readonly afterMs: number; readonly command: Command }
  | { readonly op: 'cancel'; readonly name: string };

/** Whether a command is the firing of a delayed transition (`xstate.after.…`). */
export function isDelayedEvent(type: unknown): boolean {
  return typeof type === 'string' && type.startsWith(AFTER_PREFIX);
}

/** Whether a delayed `raise` is the one of an `after` transition (which this package maps). */
export function isAfterRaise(params: unknown): boolean {
  const p = params as { event?: { type?: unknown } } | undefined;
  return isDelayedEvent(p?.event?.type);
}

/** The timer requests among a transition's actions (delayed raises of `after` and their cancels). */
export function timerRequestsOf(actions: readonly ExecutableActionObject[]): TimerRequest[] {
  const requests: TimerRequest[] = [];
  for (const action of actions) {
    if (action.type === 'xstate.raise') {
      const { event, id, delay } = action.params as { event: { type: string }; id?: string; delay?: unknown };
      if (!isDelayedEvent(event.type) || typeof delay !== 'number') continue;
      // The timer's name is the delayed event's id: the state node's id and the delay, the
      // same on every run of the machine, so the cancel on exit finds it.
      requests.push({
        op: 'schedule',
        name: id ?? event.type,
        afterMs: delay,
        command: { type: event.type },
      });
    } else if (action.type === 'xstate.cancel') {
      const { sendId } = action.params as { sendId?: unknown };
      if (isDelayedEvent(sendId)) requests.push({ op: 'cancel', name: sendId as string });
    }
  }
  return requests;
}

/**
 * Hands the requests to the decision's timers, in order: a state left and entered again in one
 * step cancels and then schedules its timer again (from this decision's version on).
 */
export function applyTimerRequests(ctx: DecideContext, requests: readonly TimerRequest[]): void {
  const { timers } = ctx;
  for (const r of requests) {
    if (r.op === 'schedule') timers.schedule(r.name, { after: r.afterMs }, r.command);
    else timers.cancel(r.name);
  }
}

/**
 * Whether a delayed event arrived as its own timer's firing (`ctx.firedTimer`, set by the
 * runtime only). Anything else is a client sending `xstate.after.…` itself, which would take
 * the transition early.
 */
export function isTimerFiring(ctx: DecideContext, type: string): boolean {
  return ctx.firedTimer?.name === type;
}

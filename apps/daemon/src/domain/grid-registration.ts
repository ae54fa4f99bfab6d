/**
 * The supplier switch's registration, sent to the grid operator through a durable effect: a
 * plain-TypeScript layer around the statechart, as a process manager without xstate would do it.
 *
 * The statechart emits `registrationSent` when it takes a request (its outbox). This layer turns
 * that emission into the effect `grid.requestSwitch`, requested in the same decision, so it is
 * stored atomically with the request's event: the runtime then calls the grid operator (at least
 * once, retried with back-off, the idempotency key passed along so the operator can deduplicate)
 * and delivers the operator's receipt back as the command `recordGridReceipt`, exactly once. A
 * switch that leaves `requested` before the receipt arrived (confirmed, rejected, cancelled, or
 * its answer period over) cancels the registration: it is not retried again, and aborted if an
 * attempt is running.
 */
import {
  type AggregateDefinition,
  type Command,
  type DecideContext,
  type DomainEvent,
  defineAggregate,
  reject,
} from '@actorfold/core';
import type { StatechartEvent } from '@actorfold/xstate';
import type { RecordGridReceipt } from './supplier-switch.js';

/** The effect's registered name: the daemon registers the grid operator's client under it. */
export const GRID_REQUEST_SWITCH = 'grid.requestSwitch';
/** The effect's id within its switch: a process sends one registration. */
export const REGISTRATION_EFFECT = 'registration';
/** The command type the receipt is delivered as. */
export const RECORD_GRID_RECEIPT: RecordGridReceipt['type'] = 'recordGridReceipt';

/** What the grid operator receives: the registration of a market location for a switch. */
export interface GridRegistration {
  meteringPoint: string;
  newSupplier: string;
  oldSupplier: string;
  gridOperator: string;
  switchDate: string;
}

/** The commands whose events take a switch out of `requested` (besides its answer period's timer). */
const LEAVING_REQUESTED: ReadonlySet<string> = new Set(['confirmSwitch', 'rejectSwitch', 'cancelSwitch']);

/**
 * The supplier-switch process with its registration sent through the effect `grid.requestSwitch`.
 * Same type, state and events as `definition`: only decide differs, by what it asks of
 * `ctx.effects` (the events it returns are the statechart's own).
 */
export function withGridRegistration<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
): AggregateDefinition<S, C, E> {
  const decide = (state: S, command: C, ctx: DecideContext) => {
    // The schema already refuses it from clients; this also covers code that skips validation.
    if (command.type === RECORD_GRID_RECEIPT && ctx.settledEffect === undefined)
      reject('receipt-only', `'${RECORD_GRID_RECEIPT}' is delivered by the registration effect only`);
    const decided = definition.decide(state, command, ctx);
    return Array.isArray(decided)
      ? effectsOf(decided as readonly E[], command, ctx)
      : Promise.resolve(decided).then((events) => effectsOf(events, command, ctx));
  };
  return defineAggregate({ ...definition, decide });
}

/** Requests or cancels the registration effect as the decided events call for; returns them unchanged. */
function effectsOf<E extends DomainEvent>(
  events: readonly E[],
  command: Command,
  ctx: DecideContext,
): readonly E[] {
  for (const e of events as readonly DomainEvent[] as readonly StatechartEvent[]) {
    const sent = e.emitted?.some((x) => x.type === 'registrationSent') === true;
    if (sent && e.command.type === 'requestSwitch') {
      const { meteringPoint, newSupplier, oldSupplier, gridOperator, switchDate } =
        e.command as unknown as GridRegistration;
      const registration: GridRegistration = {
        meteringPoint,
        newSupplier,
        oldSupplier,
        gridOperator,
        switchDate,
      };
      ctx.effects.request(GRID_REQUEST_SWITCH, registration, {
        id: REGISTRATION_EFFECT,
        resultType: RECORD_GRID_RECEIPT,
      });
    } else if (
      ctx.settledEffect === undefined &&
      (LEAVING_REQUESTED.has(command.type) || ctx.firedTimer !== undefined)
    ) {
      // Nothing when the receipt came already (the effect is settled then).
      ctx.effects.cancel(REGISTRATION_EFFECT);
    }
  }
  return events;
}

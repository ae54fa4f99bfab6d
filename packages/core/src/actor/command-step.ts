import type { AnyAggregate, Command, DecideContext } from '../aggregate/aggregate.js';
import { DecideFailed, InvalidArgument, isRejection, VersionConflict } from '../errors.js';
import { type DomainEvent, type EventMetadata, isDomainEvent } from '../store/store.js';
import type { DedupeWindow } from './dedupe.js';
import { Refused } from './refused.js';
import type { CommandRequest } from './request.js';

/**
 * The runtime's command step: the one place where a command's fate is decided, as pure
 * functions of the aggregate's state, version and dedupe window and the request. The actor
 * does the I/O around it (refresh before, append and reply after).
 */

/** Append these events; `state` is the aggregate's state after them. */
export interface Append {
  readonly kind: 'append';
  readonly events: readonly DomainEvent[];
  readonly state: unknown;
}

/** Nothing to do: the command decided no event. */
export interface Nothing {
  readonly kind: 'nothing';
}

/** The commandId was accepted before; `at` is where its events start (`<= 0`: none, at version `-at`). */
export interface Duplicate {
  readonly kind: 'duplicate';
  readonly at: number;
}

/** What becomes of a command: append / nothing to do / duplicate / refused. */
export type StepOutcome = Append | Nothing | Duplicate | Refused;

const NOTHING: Nothing = Object.freeze({ kind: 'nothing' });

/**
 * Decides one execute or inject request at `version`. Throws only when `evolve` throws: the
 * state can then no longer be trusted, which is the actor's crash, not the command's refusal.
 * Events are folded before anything is stored, so an event evolve cannot fold never reaches
 * the stream and a failed append leaves the state untouched (invariant 4).
 */
export function commandStep(
  def: AnyAggregate,
  id: string,
  streamId: string,
  state: unknown,
  version: number,
  dedupe: DedupeWindow | null,
  request: CommandRequest,
  metadata: EventMetadata,
  now: number,
): StepOutcome {
  const { commandId, expectedVersion } = request.options;
  if (commandId !== undefined && dedupe !== null) {
    const at = dedupe.get(commandId);
    if (at !== undefined) return { kind: 'duplicate', at };
  }
  if (expectedVersion !== undefined && expectedVersion !== version) {
    return new Refused(new VersionConflict(streamId, expectedVersion, version), true);
  }
  const events =
    request.kind === 'inject'
      ? request.events
      : decide(def, streamId, state, request.command, {
          aggregateType: def.type,
          aggregateId: id,
          version,
          now: new Date(now),
          metadata,
        });
  if (events instanceof Refused) return events;
  if (events.length === 0) return NOTHING;
  let next = state;
  for (const e of events) next = def.evolve(next, e);
  return { kind: 'append', events, state: next };
}

/** Runs decide; a rejection or a bug becomes a Refused outcome. */
function decide(
  def: AnyAggregate,
  streamId: string,
  state: unknown,
  command: Command,
  ctx: DecideContext,
): readonly DomainEvent[] | Refused {
  let events: readonly DomainEvent[];
  try {
    events = def.decide(state, command, ctx);
  } catch (error) {
    if (isRejection(error)) return new Refused(error, true);
    return new Refused(new DecideFailed(streamId, error), false, error);
  }
  if (!Array.isArray(events) || !events.every(isDomainEvent)) {
    const why = new InvalidArgument(
      'decide must return an array of objects with a string `type` (non-empty)',
    );
    return new Refused(new DecideFailed(streamId, why), false);
  }
  return events;
}

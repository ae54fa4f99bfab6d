/**
 * The domain event that records one accepted command of a statechart process, and the machine
 * event that the command becomes: the command plus the time it was accepted.
 */
import { type Command, InvalidArgument } from '@actorfold/core';
import type { EventObject } from 'xstate';

/**
 * A machine event as the machine receives it: the command plus `acceptedAt`, the ISO-8601 time
 * the runtime accepted it. Declare the machine's events with it so guards and assigners can use
 * the time deterministically (never `Date.now()`, which replay would see differently).
 * @example
 * setup({ types: { events: {} as WithAcceptedAt<SwitchCommand> } })
 */
export type WithAcceptedAt<C extends Command> = C & { readonly acceptedAt: string };

/** The commands of a machine whose events are declared `WithAcceptedAt<C>`: its events without `acceptedAt`. */
export type CommandOfEvent<E> = E extends EventObject ? Omit<E, 'acceptedAt'> & Pick<E, 'type'> : never;

/** An event a machine emitted, when the machine does not declare its emitted events' types. */
export interface EmittedEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** The domain event recording one accepted command (`X`: the machine's emitted events). */
// #region statechart-event (shown in docs/statecharts.md)
export interface StatechartEvent<C extends Command = Command, X extends EventObject = EmittedEvent> {
  /** Past tense of the command type (`confirmSwitch` → `SwitchConfirmed`), or as named in `eventTypes`. */
  readonly type: string;
  /** The command as accepted (as JSON data: what replay gives the machine again). */
  readonly command: C;
  /** When the runtime accepted the command (`ctx.now`, ISO-8601 UTC); the machine saw it as `event.acceptedAt`. */
  readonly acceptedAt: string;
  /** Set on the first event of a process only: the workflow version it runs on from then on. */
  readonly workflowVersion?: string;
  /** The events the machine emitted (`emit` actions) while taking the command; absent when none. */
  readonly emitted?: readonly X[];
}
// #endregion statechart-event

/** The machine event of a recorded command. */
export function machineEventOf(command: Command, acceptedAt: string): WithAcceptedAt<Command> {
  return { ...command, acceptedAt };
}

/** Builds the event to record; optional fields only when they hold something. */
export function recordOf(
  type: string,
  command: Command,
  acceptedAt: string,
  workflowVersion: string | undefined,
  emitted: readonly EventObject[],
): StatechartEvent {
  return {
    type,
    command,
    acceptedAt,
    ...(workflowVersion === undefined ? {} : { workflowVersion }),
    ...(emitted.length === 0 ? {} : { emitted }),
  };
}

/** Checks the shape of a stored event before replaying it (a malformed one crashes the actor). */
export function readRecord(aggregateType: string, event: unknown): StatechartEvent {
  const e = event as Partial<Record<keyof StatechartEvent, unknown>> | null;
  const problem =
    typeof e !== 'object' || e === null
      ? 'not an object'
      : typeof e.command !== 'object' || e.command === null || typeof (e.command as Command).type !== 'string'
        ? '`command` is not an object with a string `type`'
        : typeof e.acceptedAt !== 'string'
          ? '`acceptedAt` is not a string'
          : e.workflowVersion !== undefined && typeof e.workflowVersion !== 'string'
            ? '`workflowVersion` is not a string'
            : undefined;
  if (problem !== undefined) {
    throw new InvalidArgument(
      `${aggregateType}: cannot replay event ${JSON.stringify(e?.type)}: ${problem}; ` +
        'statechart aggregates record only events they made themselves (see docs/statecharts.md)',
    );
  }
  return event as StatechartEvent;
}

/**
 * The value as the store will give it back: a JSON round trip. Deciding on exactly this makes
 * the live transition and every later replay see the same event (no Dates, no undefined).
 */
export function asJsonData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Where a value would change through a JSON round trip (a Date, a Map, a class instance, a
 * non-finite number, undefined in an array), or undefined when it survives it unchanged.
 * Undefined object properties are allowed: they simply vanish.
 */
export function notJsonData(value: unknown, path = '$'): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (item === undefined) return `${path}[${i}] is undefined`;
      const problem = notJsonData(item, `${path}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}`;
    }
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const problem = notJsonData(item, `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return `${path} is a ${typeof value}`;
}

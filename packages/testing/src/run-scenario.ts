/**
 * Runs one given/when/then scenario to its outcome, the way the runtime would run the command
 * but without a store: fold the history with evolve, validate, decide, fold decide's events.
 */
import {
  type AggregateDefinition,
  type AnyAggregate,
  type Command,
  type DecideContext,
  type DomainEvent,
  EffectRecorder,
  type EventMetadata,
  InvalidCommand,
  isActorfoldError,
  isRejection,
  type Rejection,
  TimerRecorder,
  upcast,
} from '@actorfold/core';
import { domainRejection } from './domain-rejection.js';
import { indent, showInline, showList } from './plain-data.js';
import { firstDifference, purityChecked, replayCopy, withClockMovedOn } from './purity-check.js';
import { ScenarioFailure } from './scenario-failure.js';

/** The DecideContext a scenario gives decide; every field has a deterministic default. */
export interface ScenarioOptions {
  /** `ctx.aggregateId`. Default `'test'`. */
  aggregateId?: string;
  /** `ctx.now`. Default `2025-01-01T00:00:00Z`, so tests do not depend on the wall clock. */
  now?: Date;
  /** `ctx.metadata`. Default `{}`. */
  metadata?: EventMetadata;
  /**
   * Decide twice and fold each event twice (the second time a copy, with the clock moved on), and
   * fail the scenario when the results differ (see purity-check.ts). Default true; turn it off
   * only for a test that shows an impurity on purpose.
   */
  checkPurity?: boolean;
}

/** What an accepted command led to. */
export interface ScenarioResult<S, E> {
  /** What decide returned. */
  readonly events: readonly E[];
  /** The state after folding those events with evolve. */
  readonly state: S;
  /** `ctx.version` plus the number of events. */
  readonly version: number;
}

const DEFAULT_NOW = '2025-01-01T00:00:00Z';

/** One event of a scenario's history, as stored: its data and its schema version. */
export interface HistoryEvent {
  readonly event: DomainEvent;
  readonly schemaVersion: number;
}

/** Everything a scenario knows before its command: the definition, the history and the context. */
export interface Setup<S, C extends Command, E extends DomainEvent> {
  readonly definition: AggregateDefinition<S, C, E>;
  /** Set by givenState; otherwise the history starts at `initialState()`. */
  readonly start: { readonly state: S } | undefined;
  readonly version: number;
  /** The history, in order: each event with the schema version it is stored at. */
  readonly events: readonly HistoryEvent[];
  readonly aggregateId: string;
  readonly now: Date;
  readonly metadata: EventMetadata;
  readonly checkPurity: boolean;
}

/** The context fields of a Setup, with their defaults. */
export function contextOf(
  options: ScenarioOptions,
): Pick<Setup<never, never, never>, 'aggregateId' | 'now' | 'metadata' | 'checkPurity'> {
  const now = options.now ?? new Date(DEFAULT_NOW);
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError(`scenario option 'now' must be a valid Date`);
  const checkPurity = options.checkPurity ?? true;
  if (typeof checkPurity !== 'boolean')
    throw new TypeError(`scenario option 'checkPurity' must be a boolean`);
  return { aggregateId: options.aggregateId ?? 'test', now, metadata: options.metadata ?? {}, checkPurity };
}

/** How a scenario's command ended, before any expectation looks at it. */
export type Outcome<S, E> =
  | { readonly kind: 'accepted'; readonly result: ScenarioResult<S, E> }
  | { readonly kind: 'rejected'; readonly error: Rejection }
  | { readonly kind: 'invalid'; readonly error: InvalidCommand }
  | { readonly kind: 'decide-threw'; readonly error: unknown }
  | {
      readonly kind: 'evolve-threw';
      readonly error: unknown;
      readonly events: readonly E[];
      readonly index: number;
    };

/** Folds the history, validates the command, decides, and folds decide's events. */
export async function runScenario<S, C extends Command, E extends DomainEvent>(
  setup: Setup<S, C, E>,
  command: C,
  title: () => string,
): Promise<Outcome<S, E>> {
  const definition = setup.checkPurity ? purityChecked(setup.definition) : setup.definition;
  let state = setup.start === undefined ? definition.initialState() : setup.start.state;
  for (const [i, { event, schemaVersion }] of setup.events.entries()) {
    let read: readonly E[];
    try {
      // Exactly as replay reads it: through the definition's upcasters, once.
      read = (
        schemaVersion === definition.eventSchemaVersion
          ? [event]
          : upcast(definition as AnyAggregate, event, schemaVersion, {
              aggregateId: setup.aggregateId,
              version: setup.version + i + 1,
            })
      ) as readonly E[];
    } catch (error) {
      throw new ScenarioFailure(
        `${title()}\ngiven event #${i + 1} ${showInline(event)} at schema version ${schemaVersion} cannot be read: ${messageOf(error)}`,
        { cause: error },
      );
    }
    for (const e of read) {
      try {
        state = definition.evolve(state, e);
      } catch (error) {
        throw new ScenarioFailure(
          `${title()}\nevolve threw on given event #${i + 1} ${showInline(e)}: ${messageOf(error)}`,
          { cause: error },
        );
      }
    }
  }
  const version = setup.version + setup.events.length;
  const validated = await validate(definition, command, title);
  if (validated instanceof InvalidCommand) return { kind: 'invalid', error: validated };
  const contextFor = (): DecideContext => {
    const ctx = {
      aggregateType: definition.type,
      aggregateId: setup.aggregateId,
      version,
      now: new Date(setup.now.getTime()),
      // Frozen as the runtime's is: a decide that writes to it fails here as it would live.
      metadata: Object.freeze({ ...setup.metadata }),
    };
    // Not enumerable: a decide that copies ctx into an event copies data, not the recorder.
    const timers = new TimerRecorder(setup.now.getTime());
    Object.defineProperty(ctx, 'timers', { value: timers });
    // Effects are recorded, never run, in a scenario: any effect name is accepted.
    Object.defineProperty(ctx, 'effects', {
      value: new EffectRecorder(timers, undefined, setup.now.getTime()),
    });
    return ctx as DecideContext;
  };
  let events: readonly E[];
  try {
    // Awaited: decide may return a promise; its rejection counts as a throw.
    events = await definition.decide(state, validated.command, contextFor());
  } catch (error) {
    if (isImpure(error)) throw new ScenarioFailure(`${title()}\n${messageOf(error)}`, { cause: error });
    if (setup.checkPurity) await decideAgain(definition, state, validated.command, contextFor, error, title);
    const rejection = isRejection(error) ? error : domainRejection(definition, error);
    return rejection === undefined ? { kind: 'decide-threw', error } : { kind: 'rejected', error: rejection };
  }
  if (!Array.isArray(events)) {
    const error = new TypeError(`decide must return an array of events, got ${showInline(events)}`);
    return { kind: 'decide-threw', error };
  }
  if (setup.checkPurity) await decideAgain(definition, state, validated.command, contextFor, events, title);
  for (const [index, event] of events.entries()) {
    const before = state;
    try {
      state = definition.evolve(state, event);
    } catch (error) {
      return { kind: 'evolve-threw', error, events, index };
    }
    if (setup.checkPurity) evolveAgain(definition, before, event, index, state, title);
  }
  return { kind: 'accepted', result: { events, state, version: version + events.length } };
}

/** The error code of @actorfold/xstate's ImpureMachine: the definition's own check found an impurity. */
function isImpure(error: unknown): boolean {
  return isActorfoldError(error) && (error.code as string) === 'IMPURE_MACHINE';
}

/** Decides a second time, with the clock moved on; fails the scenario when the outcome differs. */
async function decideAgain<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
  state: S,
  command: C,
  contextFor: () => DecideContext,
  first: readonly E[] | unknown,
  title: () => string,
): Promise<void> {
  let second: unknown;
  try {
    second = await withClockMovedOn(() => definition.decide(state, command, contextFor()));
  } catch (error) {
    second = error;
  }
  const outcome = (x: unknown) =>
    Array.isArray(x)
      ? x
      : isRejection(x)
        ? { rejected: x.reason, details: x.details }
        : { threw: messageOf(x) };
  const difference = firstDifference(outcome(first), outcome(second), 'decide');
  if (difference === undefined) return;
  throw new ScenarioFailure(
    `${title()}\ndecide is not pure: the command ${showInline(command)} gave two different results when ` +
      `decided twice on the same state (${difference}). decide must read only the state, the command ` +
      'and ctx (ctx.now for the time, ids from the command or the state): the runtime may decide again, ' +
      'and replay must agree with what was acknowledged',
  );
}

/** Folds an event a second time (a copy, as replay gives it, with the clock moved on) and compares. */
function evolveAgain<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
  before: S,
  event: E,
  index: number,
  after: S,
  title: () => string,
): void {
  let again: unknown;
  try {
    again = withClockMovedOn(() => definition.evolve(before, replayCopy(event)));
  } catch (error) {
    again = { threw: messageOf(error) };
  }
  const difference = firstDifference(after, again, 'state');
  if (difference === undefined) return;
  throw new ScenarioFailure(
    `${title()}\nevolve is not pure: folding event #${index + 1} ${showInline(event)} twice into the same ` +
      `state gave two different states (${difference}). evolve must read only the state and the event, ` +
      'or replay rebuilds a state other than the one execute returned',
  );
}

/** Mirrors the runtime: the validator's output is the command decide sees; it must have a string `type`. */
async function validate<C extends Command>(
  definition: AggregateDefinition<unknown, C, DomainEvent>,
  command: C,
  title: () => string,
): Promise<{ command: C } | InvalidCommand> {
  let value: unknown = command;
  const validator = definition.validateCommand;
  if (validator !== undefined) {
    let result: Awaited<ReturnType<(typeof validator)['~standard']['validate']>>;
    try {
      result = await validator['~standard'].validate(command);
    } catch (error) {
      throw new ScenarioFailure(`${title()}\nvalidateCommand threw: ${messageOf(error)}`, { cause: error });
    }
    if (result.issues !== undefined) {
      const summary = result.issues.map((i) => i.message).join('; ');
      return new InvalidCommand(`${definition.type}: invalid command: ${summary}`, result.issues);
    }
    value = result.value;
  }
  const isCommand =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === 'string';
  if (!isCommand) return new InvalidCommand('a command must be an object with a string `type`');
  return { command: value as C };
}

/** What happened, as the second half of a failure message. */
export function describeOutcome<S, E extends DomainEvent>(outcome: Outcome<S, E>): string {
  switch (outcome.kind) {
    case 'accepted': {
      const { events } = outcome.result;
      return events.length === 0
        ? 'but decide returned no events'
        : `but decide returned:\n${indent(showList(events))}`;
    }
    case 'rejected': {
      const { error } = outcome;
      const details = error.details === undefined ? '' : `\n  details: ${showInline(error.details)}`;
      return `but decide rejected it: ${error.message}${details}`;
    }
    case 'invalid':
      return `but the command is invalid: ${outcome.error.message}`;
    case 'decide-threw':
      return `but decide threw: ${messageOf(outcome.error)}`;
    case 'evolve-threw': {
      const event = outcome.events[outcome.index];
      return (
        `but evolve threw on event #${outcome.index + 1} ${showInline(event)}: ${messageOf(outcome.error)}\n` +
        `decide returned:\n${indent(showList(outcome.events))}`
      );
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

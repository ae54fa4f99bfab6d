/**
 * Runs one given/when/then scenario to its outcome, the way the runtime would run the command
 * but without a store: fold the history with evolve, validate, decide, fold decide's events.
 */
import {
  type AggregateDefinition,
  type Command,
  type DecideContext,
  type DomainEvent,
  type EventMetadata,
  InvalidCommand,
  isRejection,
  type Rejection,
} from '@actorfold/core';
import { domainRejection } from './domain-rejection.js';
import { indent, showInline, showList } from './plain-data.js';
import { ScenarioFailure } from './scenario-failure.js';

/** The DecideContext a scenario gives decide; every field has a deterministic default. */
export interface ScenarioOptions {
  /** `ctx.aggregateId`. Default `'test'`. */
  aggregateId?: string;
  /** `ctx.now`. Default `2025-01-01T00:00:00Z`, so tests do not depend on the wall clock. */
  now?: Date;
  /** `ctx.metadata`. Default `{}`. */
  metadata?: EventMetadata;
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

/** Everything a scenario knows before its command: the definition, the history and the context. */
export interface Setup<S, C extends Command, E extends DomainEvent> {
  readonly definition: AggregateDefinition<S, C, E>;
  /** Set by givenState; otherwise the history starts at `initialState()`. */
  readonly start: { readonly state: S } | undefined;
  readonly version: number;
  readonly events: readonly E[];
  readonly aggregateId: string;
  readonly now: Date;
  readonly metadata: EventMetadata;
}

/** The context fields of a Setup, with their defaults. */
export function contextOf(
  options: ScenarioOptions,
): Pick<Setup<never, never, never>, 'aggregateId' | 'now' | 'metadata'> {
  const now = options.now ?? new Date(DEFAULT_NOW);
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError(`scenario option 'now' must be a valid Date`);
  return { aggregateId: options.aggregateId ?? 'test', now, metadata: options.metadata ?? {} };
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
  const { definition } = setup;
  let state = setup.start === undefined ? definition.initialState() : setup.start.state;
  for (const [i, event] of setup.events.entries()) {
    try {
      state = definition.evolve(state, event);
    } catch (error) {
      throw new ScenarioFailure(
        `${title()}\nevolve threw on given event #${i + 1} ${showInline(event)}: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }
  const version = setup.version + setup.events.length;
  const validated = await validate(definition, command, title);
  if (validated instanceof InvalidCommand) return { kind: 'invalid', error: validated };
  const ctx: DecideContext = {
    aggregateType: definition.type,
    aggregateId: setup.aggregateId,
    version,
    now: new Date(setup.now.getTime()),
    metadata: { ...setup.metadata },
  };
  let events: readonly E[];
  try {
    // Awaited: decide may return a promise; its rejection counts as a throw.
    events = await definition.decide(state, validated.command, ctx);
  } catch (error) {
    const rejection = isRejection(error) ? error : domainRejection(definition, error);
    return rejection === undefined ? { kind: 'decide-threw', error } : { kind: 'rejected', error: rejection };
  }
  if (!Array.isArray(events)) {
    const error = new TypeError(`decide must return an array of events, got ${showInline(events)}`);
    return { kind: 'decide-threw', error };
  }
  for (const [index, event] of events.entries()) {
    try {
      state = definition.evolve(state, event);
    } catch (error) {
      return { kind: 'evolve-threw', error, events, index };
    }
  }
  return { kind: 'accepted', result: { events, state, version: version + events.length } };
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

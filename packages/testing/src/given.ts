/**
 * Given/when/then for aggregates, without a store or a runtime: fold the given events with
 * `evolve`, pass the command through `validateCommand` and `decide`, fold what decide returned,
 * and compare the outcome with what the test expects. It depends on no test runner: a wrong
 * expectation rejects with a {@link ScenarioFailure}, a plain Error every runner reports.
 * Every scenario also decides twice and folds each event twice (purity-check.ts): an aggregate
 * whose replay would differ from what execute returned fails, whatever the test expected.
 */
import type { AggregateDefinition, Command, DomainEvent, InvalidCommand, Rejection } from '@actorfold/core';
import { deepEqual, indent, show, showInline, showList } from './plain-data.js';
import {
  contextOf,
  describeOutcome,
  messageOf,
  type Outcome,
  runScenario,
  type ScenarioOptions,
  type ScenarioResult,
  type Setup,
} from './run-scenario.js';
import { ScenarioFailure } from './scenario-failure.js';

/** Options of {@link givenState}. */
export interface GivenStateOptions extends ScenarioOptions {
  /** The stream version the state stands for, before any `.given(events)`. Default 0. */
  version?: number;
}

/** Matches an error's message (substring or RegExp), or asserts on the error (returning false fails). */
export type ErrorMatcher = string | RegExp | ((error: unknown) => unknown);

/** The history of a scenario: what happened to the aggregate before the command. */
export interface Given<S, C extends Command, E extends DomainEvent> {
  /** Adds more events to the history (a new scenario; this one is unchanged). */
  given(events: readonly E[]): Given<S, C, E>;
  /**
   * Adds events as a definition at `schemaVersion` stored them (older than this one's
   * `eventSchemaVersion`, typically): each is read through the definition's upcasters exactly as
   * replay reads it, and counts as one stream version whatever it becomes (several events, or none).
   * @example
   * await given(accountV2)
   *   .givenAtSchema(1, [{ type: 'Deposited', amount: 5 }])
   *   .when({ type: 'withdraw', amount: 5 })
   *   .then([{ type: 'Withdrawn', amount: 5, currency: 'EUR' }]);
   */
  givenAtSchema(schemaVersion: number, events: readonly DomainEvent[]): Given<S, C, E>;
  /** The command under test. Nothing runs until one of the `then*` expectations is called. */
  when(command: C): When<S, E>;
}

/**
 * The expectations of a scenario. Each runs the scenario and returns a promise (validation may
 * be async) that rejects with a {@link ScenarioFailure} when the expectation does not hold.
 */
export interface When<S, E extends DomainEvent> {
  /** Decide returned exactly these events (deep equality; `undefined` properties are ignored). */
  then(expected: readonly E[]): Promise<ScenarioResult<S, E>>;
  /** Decide called `reject(reason)`; `details`, when given, is a value compared deeply or a function asserting on it. */
  thenRejects(reason: string, details?: unknown): Promise<Rejection>;
  /** Decide accepted the command and returned no events. */
  thenNothingHappens(): Promise<ScenarioResult<S, E>>;
  /** Decide accepted the command; the state after its events equals `expected`, or passes the check (returning false fails). */
  thenState(expected: S | ((state: S) => unknown)): Promise<ScenarioResult<S, E>>;
  /** Decide, or evolve on one of decide's events, threw something other than a Rejection (a bug). */
  thenFails(matcher?: ErrorMatcher): Promise<unknown>;
  /** `validateCommand` refused the command (or it is not an object with a string `type`): INVALID_COMMAND. */
  thenInvalid(matcher?: ErrorMatcher): Promise<InvalidCommand>;
}

/**
 * Starts a scenario from the aggregate's initial state and the given events. S, C and E are
 * inferred from the definition, so events and commands are typechecked. `options.checkPurity`
 * (default true) fails the scenario when decide or evolve gives two results for the same input.
 * @example
 * await given(account, [{ type: 'Opened', owner: 'ada' }])
 *   .when({ type: 'deposit', amount: 5 })
 *   .then([{ type: 'Deposited', amount: 5 }]);
 * await given(account).when({ type: 'withdraw', amount: 5 }).thenRejects('not-open');
 */
export function given<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
  events: readonly NoInfer<E>[] = [],
  options: ScenarioOptions = {},
): Given<S, C, E> {
  const schemaVersion = definition.eventSchemaVersion;
  const history = events.map((event) => ({ event, schemaVersion }));
  return new GivenStage({ definition, start: undefined, version: 0, events: history, ...contextOf(options) });
}

/**
 * Starts a scenario from a state instead of events (`ctx.version` is `options.version`, default 0).
 * @example
 * await givenState(account, { status: 'open', owner: 'ada', balance: 5 })
 *   .when({ type: 'close' })
 *   .thenRejects('balance-not-zero');
 */
export function givenState<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
  state: NoInfer<S>,
  options: GivenStateOptions = {},
): Given<S, C, E> {
  const version = options.version ?? 0;
  if (!Number.isInteger(version) || version < 0)
    throw new TypeError(`givenState: version must be a non-negative integer, got ${version}`);
  return new GivenStage({ definition, start: { state }, version, events: [], ...contextOf(options) });
}

class GivenStage<S, C extends Command, E extends DomainEvent> implements Given<S, C, E> {
  readonly #setup: Setup<S, C, E>;

  constructor(setup: Setup<S, C, E>) {
    this.#setup = setup;
  }

  given(events: readonly E[]): Given<S, C, E> {
    return this.givenAtSchema(this.#setup.definition.eventSchemaVersion, events);
  }

  givenAtSchema(schemaVersion: number, events: readonly DomainEvent[]): Given<S, C, E> {
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1)
      throw new TypeError(`givenAtSchema: schemaVersion must be a positive integer, got ${schemaVersion}`);
    const added = events.map((event) => ({ event, schemaVersion }));
    return new GivenStage({ ...this.#setup, events: [...this.#setup.events, ...added] });
  }

  when(command: C): When<S, E> {
    return new WhenStage(this.#setup, command);
  }
}

class WhenStage<S, C extends Command, E extends DomainEvent> implements When<S, E> {
  readonly #setup: Setup<S, C, E>;
  readonly #command: C;
  #outcome: Promise<Outcome<S, E>> | undefined;

  constructor(setup: Setup<S, C, E>, command: C) {
    this.#setup = setup;
    this.#command = command;
  }

  // biome-ignore lint/suspicious/noThenProperty: `.then(events)` is the given/when/then vocabulary; awaiting a When without an expectation is caught below.
  then(expected: readonly E[]): Promise<ScenarioResult<S, E>> {
    // A When looks like a thenable, so `await given(a).when(c)` calls this with (resolve, reject).
    // Throwing here rejects that await, instead of letting it hang or pass unchecked.
    if (typeof expected === 'function')
      throw new ScenarioFailure(
        `${this.#title()}\nhas no expectation: call .then(events), .thenRejects(reason), .thenNothingHappens(), ` +
          '.thenState(check), .thenFails() or .thenInvalid() instead of awaiting .when(command) itself',
      );
    return this.#expect((outcome) => {
      if (outcome.kind === 'accepted' && deepEqual(outcome.result.events, expected)) return outcome.result;
      return this.#fail(`expected events:\n${indent(showList(expected))}`, outcome, { expected });
    });
  }

  thenRejects(reason: string, details?: unknown): Promise<Rejection> {
    return this.#expect((outcome) => {
      const expectation = `expected a rejection with reason '${reason}'`;
      if (outcome.kind !== 'rejected' || outcome.error.reason !== reason) {
        const compare =
          outcome.kind === 'rejected' ? { expected: reason, actual: outcome.error.reason } : undefined;
        return this.#fail(expectation, outcome, compare);
      }
      const actual = outcome.error.details;
      if (details === undefined) return outcome.error;
      const check = typeof details === 'function' ? (details as (details: unknown) => unknown) : undefined;
      if (check === undefined ? deepEqual(actual, details) : check(actual) !== false) return outcome.error;
      return this.#fail(
        `${expectation} and details:\n${indent(show(details))}`,
        outcome,
        check === undefined ? { expected: details, actual } : undefined,
      );
    });
  }

  thenNothingHappens(): Promise<ScenarioResult<S, E>> {
    return this.#expect((outcome) => {
      if (outcome.kind === 'accepted' && outcome.result.events.length === 0) return outcome.result;
      return this.#fail('expected nothing to happen (decide returning no events)', outcome, { expected: [] });
    });
  }

  thenState(expected: S | ((state: S) => unknown)): Promise<ScenarioResult<S, E>> {
    return this.#expect((outcome) => {
      if (outcome.kind !== 'accepted') return this.#fail('expected the command to be accepted', outcome);
      const { state } = outcome.result;
      if (typeof expected === 'function') {
        const check = expected as (state: S) => unknown;
        if (check(state) !== false) return outcome.result;
        throw new ScenarioFailure(
          `${this.#title()}\nthe state check returned false for:\n${indent(show(state))}`,
        );
      }
      if (deepEqual(state, expected)) return outcome.result;
      throw new ScenarioFailure(
        `${this.#title()}\nexpected the state:\n${indent(show(expected))}\nbut it is:\n${indent(show(state))}`,
        { expected, actual: state },
      );
    });
  }

  thenFails(matcher?: ErrorMatcher): Promise<unknown> {
    return this.#expect((outcome) => {
      const expectation = `expected decide or evolve to throw${matcher === undefined ? '' : ` ${showMatcher(matcher)}`}`;
      if (outcome.kind === 'decide-threw' || outcome.kind === 'evolve-threw') {
        if (matcher === undefined || matches(outcome.error, matcher)) return outcome.error;
      }
      return this.#fail(expectation, outcome);
    });
  }

  thenInvalid(matcher?: ErrorMatcher): Promise<InvalidCommand> {
    return this.#expect((outcome) => {
      if (outcome.kind === 'invalid' && (matcher === undefined || matches(outcome.error, matcher)))
        return outcome.error;
      const suffix = matcher === undefined ? '' : ` ${showMatcher(matcher)}`;
      return this.#fail(`expected the command to be invalid (INVALID_COMMAND)${suffix}`, outcome);
    });
  }

  /** Runs the scenario once (every expectation shares the outcome) and checks it. */
  async #expect<T>(check: (outcome: Outcome<S, E>) => T): Promise<T> {
    this.#outcome ??= runScenario(this.#setup, this.#command, () => this.#title());
    return check(await this.#outcome);
  }

  #fail(
    expectation: string,
    outcome: Outcome<S, E>,
    compare?: { expected: unknown; actual?: unknown },
  ): never {
    const actual = compare && 'actual' in compare ? compare.actual : actualValue(outcome);
    throw new ScenarioFailure(`${this.#title()}\n${expectation}\n${describeOutcome(outcome)}`, {
      ...(compare === undefined || actual === NOT_COMPARABLE ? {} : { expected: compare.expected, actual }),
      ...('error' in outcome ? { cause: outcome.error } : {}),
    });
  }

  #title(): string {
    const { definition, start, events, aggregateId } = this.#setup;
    const current = definition.eventSchemaVersion;
    const types = `[${events.map(({ event, schemaVersion: v }) => (v === current ? event.type : `${event.type}@v${v}`)).join(', ')}]`;
    let history = start === undefined ? types : `state ${showInline(start.state)}`;
    if (start === undefined && events.length === 0) history = 'no events';
    else if (start !== undefined && events.length > 0) history += ` then ${types}`;
    return `${definition.type} '${aggregateId}' given ${history}, when ${showInline(this.#command)}:`;
  }
}

const NOT_COMPARABLE = Symbol('not comparable');

/** The value to diff against an expectation: the events when decide accepted the command. */
function actualValue<S, E>(outcome: Outcome<S, E>): unknown {
  return outcome.kind === 'accepted' ? outcome.result.events : NOT_COMPARABLE;
}

function matches(error: unknown, matcher: ErrorMatcher): boolean {
  if (typeof matcher === 'function') return matcher(error) !== false;
  const message = messageOf(error);
  return typeof matcher === 'string' ? message.includes(matcher) : matcher.test(message);
}

function showMatcher(matcher: ErrorMatcher): string {
  if (typeof matcher === 'string') return `with a message containing ${JSON.stringify(matcher)}`;
  return matcher instanceof RegExp ? `with a message matching ${matcher}` : 'passing the given check';
}

import type { Interceptor } from '../actor/interceptors.js';
import { assertInterceptors } from '../actor/interceptors.js';
import type { Codec } from '../codec/codec.js';
import { codecByName } from '../codec/codec-by-name.js';
import { jsonCodec } from '../codec/json-codec.js';
import type { DecideEffects, EffectRef } from '../effects/effect.js';
import { InvalidArgument } from '../errors.js';
import type { DomainEvent, EventMetadata } from '../store/store.js';
import { assertStorableId, MAX_SCHEMA_VERSION } from '../store/store-input.js';
import type { DecideTimers, FiredTimer } from '../timers/timer.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { compileUpcasters, registerUpcasters, type Upcaster } from './upcaster.js';

/** A command: any object with a string `type`. */
export interface Command {
  readonly type: string;
}

/** What decide may know besides state and command. */
export interface DecideContext {
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The stream version decide sees (after refresh). */
  readonly version: number;
  /** When the command started, from the runtime's clock. */
  readonly now: Date;
  /** The metadata that will be stored with the events (commandId, correlationId, ...): a frozen copy, read-only. */
  readonly metadata: Readonly<EventMetadata>;
  /**
   * Schedules and cancels the aggregate's durable timers. What decide asks for here is written in
   * the same store append as the events it returns, so a decision that changes timers must also
   * return at least one event (otherwise the command is refused with INVALID_ARGUMENT).
   */
  readonly timers: DecideTimers;
  /** The timer whose firing this command is; undefined for every other command. */
  readonly firedTimer?: FiredTimer | undefined;
  /**
   * Requests and cancels durable effects (calls to the outside world, run by the runtime after
   * the decision is stored, their results delivered back as commands). Written in the same append
   * as the events decide returns, so a decision that uses them must return at least one event.
   */
  readonly effects: DecideEffects;
  /** The effect whose result this command is (see `EffectResult`); undefined for every other command. */
  readonly settledEffect?: EffectRef | undefined;
}

/** When and how an aggregate's state is snapshotted. */
export interface SnapshotPolicy<S> {
  /** Save a snapshot once at least this many events were appended since the last one; 0: only on eviction and by `runtime.snapshot()`. */
  every: number;
  /** Bump when the encoded shape changes: snapshots of another version are ignored and the stream replayed. */
  schemaVersion: number;
  /** Snapshots kept per stream, newest first. Default 2. */
  keep?: number;
  /** Also snapshot on eviction when any event is not yet covered. Default true. */
  onEvict?: boolean;
  /** Turns state into JSON-compatible data. Default: the state as is. */
  encode?(state: S): unknown;
  /**
   * Inverse of encode; a throw makes the runtime ignore the snapshot and replay. Default: as is.
   * Checked before each save: a snapshot that would not restore the state exactly is not saved.
   */
  decode?(data: unknown): S;
}

/** What decide returns: the new events, now or as a promise. */
export type Decision<E extends DomainEvent> = readonly E[] | Promise<readonly E[]>;

/**
 * What `defineAggregate` takes. `D` is what this aggregate's decide returns (inferred: a
 * definition whose decide is synchronous keeps a synchronous type).
 */
export interface AggregateSpec<
  S,
  C extends Command,
  E extends DomainEvent,
  D extends Decision<E> = Decision<E>,
> {
  /** Names the streams: `${type}/${id}`. Non-empty, without `/`. */
  type: string;
  initialState(): S;
  /**
   * Pure: returns the new events (`[]` = no-op), or a promise of them, or throws through
   * `reject()` (or an error `domainErrors` names). A synchronous decide costs no extra await; a
   * rejected promise is handled exactly like a throw.
   */
  decide(state: S, command: C, ctx: DecideContext): D;
  /**
   * Pure fold of one event into the state. Must not mutate its input state, nor the event: the
   * store writes the event after the fold, so a changed event is what replay folds again.
   */
  evolve(state: S, event: E): S;
  snapshots?: SnapshotPolicy<S>;
  /** Any Standard Schema validator (zod, valibot, arktype...); its output is the command decide sees. */
  validateCommand?: StandardSchemaV1<unknown, C>;
  /**
   * Stored as each event's `schemaVersion`. Default 1. Bump it when an event's shape changes and
   * add `upcasters` that bring events stored under the older versions up to it.
   */
  eventSchemaVersion?: number;
  /**
   * How events stored under an older `schemaVersion` are read: each upcaster turns one event type
   * at version n into version n + 1 (or another type, several events, or `[]` for none), chained
   * up to `eventSchemaVersion` on every read (recovery, subscriptions, projections, the CLI).
   * Stored events are never rewritten. A type without an upcaster for a version keeps its shape
   * through it. See docs/upcasting.md.
   */
  upcasters?: readonly Upcaster[];
  /**
   * Which errors thrown by decide are refusals rather than bugs: error classes, or a predicate.
   * A match becomes a `Rejection` (REJECTED) whose `reason` is the error's string `code` if it
   * has one, else its `name`, with the error's message; logged at debug, not error.
   */
  domainErrors?: DomainErrors;
  /**
   * How event data and snapshot state are kept in the store. Default `jsonCodec` (strict JSON:
   * anything JSON would change is refused before it is stored); `richCodec` keeps Date, Map,
   * Set and BigInt. Evolve sees exactly what replay will give it: the decoded encoding.
   */
  codec?: Codec;
  /**
   * This aggregate's interceptors (hooks before decide, after an append, on a refusal). They run
   * inside the runtime's: see `Interceptor` for the order and the at-most-once rules.
   */
  interceptors?: readonly Interceptor<S, C, E>[];
}

/** The errors an aggregate's decide throws to refuse a command (see `AggregateSpec.domainErrors`). */
export type DomainErrors =
  | ReadonlyArray<abstract new (...args: never[]) => Error>
  | ((error: unknown) => boolean);

const DEFINITION = Symbol.for('actorfold.aggregate');

/** A validated, frozen aggregate definition, ready to register with a runtime. */
export interface AggregateDefinition<
  S = unknown,
  C extends Command = Command,
  E extends DomainEvent = DomainEvent,
  D extends Decision<E> = Decision<E>,
> extends Readonly<AggregateSpec<S, C, E, D>> {
  readonly [DEFINITION]: true;
  readonly eventSchemaVersion: number;
  readonly codec: Codec;
}

/** Any aggregate definition, whatever its state, command and event types (methods are bivariant). */
export type AnyAggregate = AggregateDefinition<unknown, Command, DomainEvent>;

/** The state type of a definition. */
export type StateOf<D> = D extends AggregateDefinition<infer S, Command, DomainEvent> ? S : never;
/** The command type of a definition. */
export type CommandOf<D> = D extends AggregateDefinition<unknown, infer C, DomainEvent> ? C : never;
/** The event type of a definition. */
export type EventOf<D> = D extends AggregateDefinition<unknown, Command, infer E> ? E : never;

/**
 * Defines an aggregate from `initialState`, a pure `decide` and a pure `evolve`. The spec may be
 * an object literal or an instance of a class implementing AggregateSpec (its methods keep their
 * `this`).
 * @example
 * const counter = defineAggregate<{ n: number }, { type: 'add'; by: number }, { type: 'Added'; by: number }>({
 *   type: 'counter',
 *   initialState: () => ({ n: 0 }),
 *   decide: (_s, c) => [{ type: 'Added', by: c.by }],
 *   evolve: (s, e) => ({ n: s.n + e.by }),
 * });
 */
export function defineAggregate<
  S,
  C extends Command,
  E extends DomainEvent,
  D extends Decision<E> = Decision<E>,
>(spec: AggregateSpec<S, C, E, D>): AggregateDefinition<S, C, E, D> {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgument('defineAggregate needs a spec object');
  const { type } = spec;
  if (typeof type !== 'string' || type.length === 0 || type.includes('/')) {
    throw new InvalidArgument(
      `aggregate type must be a non-empty string without '/', got ${JSON.stringify(type)}`,
    );
  }
  assertStorableId('aggregate type', type);
  for (const fn of ['initialState', 'decide', 'evolve'] as const) {
    if (typeof spec[fn] !== 'function')
      throw new InvalidArgument(`aggregate '${type}': ${fn} must be a function`);
  }
  const eventSchemaVersion = spec.eventSchemaVersion ?? 1;
  // Every store refuses a schemaVersion above MAX_SCHEMA_VERSION: every append would fail.
  if (!isPositiveInt(eventSchemaVersion) || eventSchemaVersion > MAX_SCHEMA_VERSION) {
    throw new InvalidArgument(
      `aggregate '${type}': eventSchemaVersion must be an integer from 1 to ${MAX_SCHEMA_VERSION}`,
    );
  }
  const chain = compileUpcasters(type, spec.upcasters, eventSchemaVersion);
  const snap = spec.snapshots;
  if (snap !== undefined) {
    if (!Number.isInteger(snap.every) || snap.every < 0) {
      throw new InvalidArgument(
        `aggregate '${type}': snapshots.every must be an integer >= 0 (0: only on eviction or by hand)`,
      );
    }
    if (!Number.isInteger(snap.schemaVersion)) {
      throw new InvalidArgument(`aggregate '${type}': snapshots.schemaVersion must be an integer`);
    }
    if (snap.keep !== undefined && !isPositiveInt(snap.keep)) {
      throw new InvalidArgument(`aggregate '${type}': snapshots.keep must be a positive integer`);
    }
  }
  const domainErrors = spec.domainErrors;
  if (
    domainErrors !== undefined &&
    typeof domainErrors !== 'function' &&
    !(Array.isArray(domainErrors) && domainErrors.every((c) => typeof c === 'function'))
  ) {
    throw new InvalidArgument(
      `aggregate '${type}': domainErrors must be an array of error classes or a predicate function`,
    );
  }
  assertInterceptors(`aggregate '${type}': interceptors`, spec.interceptors);
  const codec = spec.codec ?? jsonCodec;
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof codec.name !== 'string' ||
    codec.name.length === 0 ||
    typeof codec.encode !== 'function' ||
    typeof codec.decode !== 'function'
  ) {
    throw new InvalidArgument(`aggregate '${type}': codec must have a name, encode() and decode()`);
  }
  // Readers without this definition (projections, subscriptions, the CLI) decode stored data by
  // the codec name recorded with it: a codec of one's own under a built-in name would be misread.
  const builtIn = codecByName(codec.name);
  if (builtIn !== undefined && builtIn !== codec) {
    throw new InvalidArgument(
      `aggregate '${type}': codec name '${codec.name}' is the built-in ${codec.name} codec's; give your own codec a name of its own`,
    );
  }
  const validator = spec.validateCommand;
  if (validator !== undefined && typeof validator?.['~standard']?.validate !== 'function') {
    throw new InvalidArgument(`aggregate '${type}': validateCommand must be a Standard Schema validator`);
  }
  const definition = Object.freeze({
    ...spec,
    ...inheritedFields(spec),
    eventSchemaVersion,
    codec,
    [DEFINITION]: true as const,
  });
  registerUpcasters(definition, chain);
  return definition;
}

const SPEC_FIELDS = [
  'type',
  'initialState',
  'decide',
  'evolve',
  'snapshots',
  'validateCommand',
  'eventSchemaVersion',
  'upcasters',
  'domainErrors',
  'codec',
  'interceptors',
] as const;
const SPEC_METHODS: ReadonlySet<string> = new Set(['initialState', 'decide', 'evolve']);

/**
 * The spec's fields that a spread would not copy: those it inherits, as an instance of a class
 * that implements AggregateSpec does its methods. Methods are bound to the spec, so they keep
 * their `this` (private fields, helpers); an object literal's own fields are taken as they are.
 */
function inheritedFields(spec: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of SPEC_FIELDS) {
    if (Object.hasOwn(spec, key)) continue;
    const value: unknown = (spec as Record<string, unknown>)[key];
    if (value === undefined) continue;
    fields[key] = SPEC_METHODS.has(key) ? (value as (...args: unknown[]) => unknown).bind(spec) : value;
  }
  return fields;
}

/** True for a value returned by `defineAggregate` (or a package building on it, such as @actorfold/xstate). */
export function isAggregateDefinition(value: unknown): value is AnyAggregate {
  return (
    typeof value === 'object' && value !== null && (value as { [DEFINITION]?: unknown })[DEFINITION] === true
  );
}

export function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

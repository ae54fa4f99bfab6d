import { InvalidArgument } from '../errors.js';
import type { DomainEvent, EventMetadata } from '../store/store.js';
import type { StandardSchemaV1 } from './standard-schema.js';

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
  /** The metadata that will be stored with the events (commandId, correlationId, ...). */
  readonly metadata: Readonly<EventMetadata>;
}

/** When and how an aggregate's state is snapshotted. */
export interface SnapshotPolicy<S> {
  /** Save a snapshot once at least this many events were appended since the last one. */
  every: number;
  /** Bump when the encoded shape changes: snapshots of another version are ignored and the stream replayed. */
  schemaVersion: number;
  /** Snapshots kept per stream, newest first. Default 2. */
  keep?: number;
  /** Also snapshot on eviction when any event is not yet covered. Default true. */
  onEvict?: boolean;
  /** Turns state into JSON-compatible data. Default: the state as is. */
  encode?(state: S): unknown;
  /** Inverse of encode; a throw makes the runtime ignore the snapshot and replay. Default: as is. */
  decode?(data: unknown): S;
}

/** What `defineAggregate` takes. */
export interface AggregateSpec<S, C extends Command, E extends DomainEvent> {
  /** Names the streams: `${type}/${id}`. Non-empty, without `/`. */
  type: string;
  initialState(): S;
  /** Pure: returns the new events (`[]` = no-op) or throws through `reject()`. */
  decide(state: S, command: C, ctx: DecideContext): readonly E[];
  /** Pure fold of one event into the state. Must not mutate its input state. */
  evolve(state: S, event: E): S;
  snapshots?: SnapshotPolicy<S>;
  /** Any Standard Schema validator (zod, valibot, arktype...); its output is the command decide sees. */
  validateCommand?: StandardSchemaV1<unknown, C>;
  /** Stored as each event's `schemaVersion`. Default 1. */
  eventSchemaVersion?: number;
}

const DEFINITION = Symbol.for('actorfold.aggregate');

/** A validated, frozen aggregate definition, ready to register with a runtime. */
export interface AggregateDefinition<
  S = unknown,
  C extends Command = Command,
  E extends DomainEvent = DomainEvent,
> extends Readonly<AggregateSpec<S, C, E>> {
  readonly [DEFINITION]: true;
  readonly eventSchemaVersion: number;
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
 * Defines an aggregate from `initialState`, a pure `decide` and a pure `evolve`.
 * @example
 * const counter = defineAggregate<{ n: number }, { type: 'add'; by: number }, { type: 'Added'; by: number }>({
 *   type: 'counter',
 *   initialState: () => ({ n: 0 }),
 *   decide: (_s, c) => [{ type: 'Added', by: c.by }],
 *   evolve: (s, e) => ({ n: s.n + e.by }),
 * });
 */
export function defineAggregate<S, C extends Command, E extends DomainEvent>(
  spec: AggregateSpec<S, C, E>,
): AggregateDefinition<S, C, E> {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgument('defineAggregate needs a spec object');
  const { type } = spec;
  if (typeof type !== 'string' || type.length === 0 || type.includes('/')) {
    throw new InvalidArgument(
      `aggregate type must be a non-empty string without '/', got ${JSON.stringify(type)}`,
    );
  }
  for (const fn of ['initialState', 'decide', 'evolve'] as const) {
    if (typeof spec[fn] !== 'function')
      throw new InvalidArgument(`aggregate '${type}': ${fn} must be a function`);
  }
  const eventSchemaVersion = spec.eventSchemaVersion ?? 1;
  if (!isPositiveInt(eventSchemaVersion)) {
    throw new InvalidArgument(`aggregate '${type}': eventSchemaVersion must be a positive integer`);
  }
  const snap = spec.snapshots;
  if (snap !== undefined) {
    if (!isPositiveInt(snap.every))
      throw new InvalidArgument(`aggregate '${type}': snapshots.every must be a positive integer`);
    if (!Number.isInteger(snap.schemaVersion)) {
      throw new InvalidArgument(`aggregate '${type}': snapshots.schemaVersion must be an integer`);
    }
    if (snap.keep !== undefined && !isPositiveInt(snap.keep)) {
      throw new InvalidArgument(`aggregate '${type}': snapshots.keep must be a positive integer`);
    }
  }
  const validator = spec.validateCommand;
  if (validator !== undefined && typeof validator?.['~standard']?.validate !== 'function') {
    throw new InvalidArgument(`aggregate '${type}': validateCommand must be a Standard Schema validator`);
  }
  return Object.freeze({ ...spec, eventSchemaVersion, [DEFINITION]: true as const });
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

/**
 * A projection definition: a read model folded from the global log. `defineProjection` checks
 * the spec once; `runtime.project(def)` runs it (projection-runner.ts).
 */
import { InvalidArgument } from '../errors.js';
import type { EventEnvelope } from '../store/store.js';

/**
 * Folds one event into the read model: return the new state, or nothing to keep the (mutated)
 * one. May be async (an outbox handler forwarding the event, say).
 */
export type ProjectionHandler<S> = (state: S, event: EventEnvelope) => S | undefined | Promise<S | undefined>;

/**
 * - `'exactly-once'` (default): the read model is saved with the checkpoint in one atomic write,
 *   so after a crash it is exactly the fold of the events up to the checkpoint. Needs a store with
 *   `checkpoints.setState` (memoryStore and levelStore have it).
 * - `'at-least-once'`: only the checkpoint is saved; after a restart the state starts again from
 *   `init()` at the checkpoint, and the events since the last commit are handled again. For
 *   handlers whose results live elsewhere (an outbox, another database).
 */
export type ProjectionMode = 'exactly-once' | 'at-least-once';

export interface ProjectionSpec<S> {
  /** Names the checkpoint in the store: unique per store. */
  name: string;
  init(): S;
  /** By event type (`envelope.type`); events of other types are skipped. */
  handlers: Readonly<Record<string, ProjectionHandler<S>>>;
  /** Only events of these aggregate types (default: all). */
  aggregateTypes?: readonly string[];
  mode?: ProjectionMode;
  /** Save the checkpoint after this many events (default 100), and whenever the projection has caught up. */
  commitEvery?: number;
}

const PROJECTION: unique symbol = Symbol.for('actorfold.projection');

const SPEC_KEYS: ReadonlySet<string> = new Set([
  'name',
  'init',
  'handlers',
  'aggregateTypes',
  'mode',
  'commitEvery',
]);

export interface ProjectionDefinition<S = unknown> {
  readonly [PROJECTION]: true;
  readonly name: string;
  readonly init: () => S;
  /** A Map, so an event type such as `constructor` never finds an inherited property. */
  readonly handlers: ReadonlyMap<string, ProjectionHandler<S>>;
  readonly aggregateTypes: ReadonlySet<string> | undefined;
  readonly mode: ProjectionMode;
  readonly commitEvery: number;
}

/**
 * Checks a projection spec and returns its definition. Throws InvalidArgument for a bad spec.
 * @example
 * const balances = defineProjection({
 *   name: 'balances',
 *   init: () => ({ total: 0 }),
 *   handlers: { Deposited: (s, e) => ({ total: s.total + (e.data as { amount: number }).amount }) },
 * });
 */
export function defineProjection<S>(spec: ProjectionSpec<S>): ProjectionDefinition<S> {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgument('defineProjection needs a spec object');
  const { name, init, handlers, aggregateTypes, mode = 'exactly-once', commitEvery = 100 } = spec;
  // A misspelt key (`aggregateType`, `commitevery`) would silently fold every aggregate's events.
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) {
      throw new InvalidArgument(
        `defineProjection${typeof name === 'string' ? ` '${name}'` : ''}: unknown key '${key}' (known: ${[...SPEC_KEYS].join(', ')})`,
      );
    }
  }
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgument('projection name must be a non-empty string');
  const where = `projection '${name}'`;
  if (typeof init !== 'function') throw new InvalidArgument(`${where}: init must be a function`);
  if (typeof handlers !== 'object' || handlers === null || Object.keys(handlers).length === 0) {
    throw new InvalidArgument(`${where}: handlers must map at least one event type to a function`);
  }
  for (const [type, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function')
      throw new InvalidArgument(`${where}: handlers.${type} must be a function`);
  }
  if (
    aggregateTypes !== undefined &&
    !(Array.isArray(aggregateTypes) && aggregateTypes.every((t) => typeof t === 'string'))
  ) {
    throw new InvalidArgument(`${where}: aggregateTypes must be an array of strings`);
  }
  if (mode !== 'exactly-once' && mode !== 'at-least-once') {
    throw new InvalidArgument(`${where}: mode must be 'exactly-once' or 'at-least-once'`);
  }
  if (!Number.isSafeInteger(commitEvery) || commitEvery < 1)
    throw new InvalidArgument(`${where}: commitEvery must be a positive integer`);
  return Object.freeze({
    [PROJECTION]: true as const,
    name,
    init: () => init.call(spec),
    handlers: new Map(Object.entries(handlers)),
    aggregateTypes: aggregateTypes === undefined ? undefined : new Set(aggregateTypes),
    mode,
    commitEvery,
  });
}

/** True for a value made by defineProjection (any installed copy). */
export function isProjectionDefinition(value: unknown): value is ProjectionDefinition {
  return (
    typeof value === 'object' && value !== null && (value as { [PROJECTION]?: unknown })[PROJECTION] === true
  );
}

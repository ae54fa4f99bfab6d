/**
 * Reading a stored event as an aggregate definition sees it: first the codec recorded with it
 * decodes its data, then the definition's upcasters bring it from its stored `schemaVersion` up
 * to the definition's `eventSchemaVersion`. Every read path (recovery, catch-up, duplicate
 * replies, subscriptions, projections, the CLI, given()) goes through here, once per stored event
 * and read; nothing is ever written back.
 */
import { jsonCodec } from '../codec/json-codec.js';
import { decodeEnvelope, decodeEventData } from '../codec/stored-data.js';
import {
  CorruptData,
  describe as describeThrown,
  InvalidArgument,
  UnknownEventSchema,
  UpcastFailed,
} from '../errors.js';
import { type DomainEvent, type EventEnvelope, isDomainEvent } from '../store/store.js';
import {
  type AggregateDefinition,
  type AnyAggregate,
  type Command,
  isAggregateDefinition,
} from './aggregate.js';
import { chainOf, type Upcaster, type UpcastResult } from './upcaster.js';

/**
 * `event` (decoded data stored at `schemaVersion`) at the definition's `eventSchemaVersion`: the
 * same object when no step applies, else what the chained upcasters returned (an array when one
 * returned several or none). Throws UnknownEventSchema for a schema newer than the definition's,
 * UpcastFailed when an upcaster throws or returns something other than events.
 */
export function upcastEvent(
  def: AnyAggregate,
  event: DomainEvent,
  schemaVersion: number,
  stored: EventEnvelope,
): UpcastResult {
  const target = def.eventSchemaVersion;
  if (schemaVersion === target) return event;
  // From a store that lost or damaged it (a custom store, an import): no step starts at 0, 1.5 or
  // undefined, so the chain would run none and pass the old shape off as the current one.
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new CorruptData(
      stored.streamId,
      stored.version,
      `the stored schemaVersion ${describeValue(schemaVersion)} is not a positive integer: it cannot be upcast`,
    );
  }
  if (schemaVersion > target)
    throw new UnknownEventSchema(stored.streamId, stored.version, schemaVersion, target);
  const chain = chainOf(def);
  if (chain === null) return event;
  let current: UpcastResult = event;
  for (let v = schemaVersion; v < target; v++) {
    const step = chain.steps[v];
    if (step === undefined) continue;
    if (!Array.isArray(current)) {
      current = step1(step, current as DomainEvent, v, stored);
      continue;
    }
    const next: DomainEvent[] = [];
    for (const e of current as readonly DomainEvent[]) {
      const r = step1(step, e, v, stored);
      if (Array.isArray(r)) next.push(...(r as readonly DomainEvent[]));
      else next.push(r as DomainEvent);
    }
    current = next;
  }
  return current;
}

/** One upcaster applied to one event (none for its type: the event as it is), its result checked. */
function step1(
  step: ReadonlyMap<string, Upcaster>,
  event: DomainEvent,
  fromVersion: number,
  stored: EventEnvelope,
): UpcastResult {
  const u = step.get(event.type);
  if (u === undefined) return event;
  let result: unknown;
  try {
    result = u.upcast(event, stored);
  } catch (cause) {
    const why = describeThrown(cause);
    throw new UpcastFailed(stored.streamId, stored.version, event.type, fromVersion, `threw: ${why}`, {
      cause,
    });
  }
  let what: string;
  try {
    if (isDomainEvent(result)) return result;
    // A copy: the array is the runtime's from here on, whatever the upcaster does with its own.
    if (Array.isArray(result) && result.every(isDomainEvent)) return [...result];
    what = describe(result);
  } catch {
    what = 'a value that cannot be read (a getter or Proxy trap threw)';
  }
  throw new UpcastFailed(
    stored.streamId,
    stored.version,
    event.type,
    fromVersion,
    `returned ${what}: return an event (an object with a non-empty string type), an array of events, or [] to drop it`,
  );
}

/** The stored event's data as evolve sees it: decoded, then upcast (an array: several or none). */
export function readEvent(def: AnyAggregate, env: EventEnvelope): UpcastResult {
  const data = decodeEventData(env, def.codec) as DomainEvent;
  return upcastEvent(def, data, env.schemaVersion, env);
}

/**
 * The stored envelope as the definition reads it: `data` decoded and upcast, `type` that of the
 * new data and `schemaVersion` the definition's. Several events share the stored envelope's
 * `version`, `position`, `metadata` and `timestamp`, in the order the upcaster returned them;
 * none gives an empty array. The stored envelope itself when there is nothing to change.
 */
export function readEnvelope(
  def: AnyAggregate,
  env: EventEnvelope,
): EventEnvelope | readonly EventEnvelope[] {
  if (env.schemaVersion === def.eventSchemaVersion) return decodeEnvelope(env, def.codec);
  const data = decodeEventData(env, def.codec) as DomainEvent;
  const read = upcastEvent(def, data, env.schemaVersion, env);
  const schemaVersion = def.eventSchemaVersion;
  if (!Array.isArray(read)) return withData(env, read as DomainEvent, schemaVersion);
  // Each its own metadata (JSON from the store, so a clone is exact): a reader that changes the
  // first's must not change what it is handed next, as separately stored events never share.
  return (read as readonly DomainEvent[]).map((e, i) =>
    withData(i === 0 ? env : { ...env, metadata: structuredClone(env.metadata) }, e, schemaVersion),
  );
}

function withData(env: EventEnvelope, data: DomainEvent, schemaVersion: number): EventEnvelope {
  return { ...env, type: data.type, data, schemaVersion };
}

/**
 * Reads envelopes of any aggregate type for a runtime's subscriptions and projections: by the
 * definition registered for the envelope's `aggregateType`. An envelope of a type the runtime does
 * not register is decoded by its recorded codec and not upcast (no definition says how).
 */
export class EventReader {
  readonly #aggregates: ReadonlyMap<string, AnyAggregate>;

  constructor(aggregates: ReadonlyMap<string, AnyAggregate>) {
    this.#aggregates = aggregates;
  }

  /** True when reading `env` may change its type or count (its schema is not its definition's). */
  upcasts(env: EventEnvelope): boolean {
    const def = this.#aggregates.get(env.aggregateType);
    return def !== undefined && env.schemaVersion !== def.eventSchemaVersion;
  }

  /** The envelope as its definition reads it (see {@link readEnvelope}). */
  read(env: EventEnvelope): EventEnvelope | readonly EventEnvelope[] {
    const def = this.#aggregates.get(env.aggregateType);
    if (def === undefined) return env.metadata.codec === undefined ? env : decodeEnvelope(env, jsonCodec);
    if (env.metadata.codec === undefined && env.schemaVersion === def.eventSchemaVersion) return env;
    return readEnvelope(def, env);
  }
}

/**
 * A stored envelope as `definition` reads it, for tools that read a store without a runtime (the
 * CLI, migrations): decoded by its recorded codec, then upcast. The events in order, each with
 * the stored `version`, `position`, `metadata` and `timestamp` and the definition's
 * `schemaVersion`; `[]` when the event is dropped.
 * @example
 * for await (const stored of store.readStream('account/a1'))
 *   for (const e of upcastEnvelope(account, stored)) state = account.evolve(state, e.data);
 */
export function upcastEnvelope<E extends DomainEvent>(
  definition: AggregateDefinition<unknown, Command, E>,
  envelope: EventEnvelope,
): readonly EventEnvelope<E>[] {
  if (!isAggregateDefinition(definition))
    throw new InvalidArgument('upcastEnvelope() takes a definition made by defineAggregate');
  const read = readEnvelope(definition, envelope);
  return (Array.isArray(read) ? read : [read]) as readonly EventEnvelope<E>[];
}

/**
 * Runs a definition's upcasters on one event stored at `schemaVersion`, as every read does: the
 * events the definition's evolve would see, in order (`[]` when the event is dropped). For tests
 * of upcasters. Throws UnknownEventSchema or UpcastFailed like a read.
 * @example
 * expect(upcast(account, { type: 'Deposited', amount: 5 }, 1)).toEqual([
 *   { type: 'Deposited', amount: 5, currency: 'EUR' },
 * ]);
 */
export function upcast(
  definition: AnyAggregate,
  event: DomainEvent,
  schemaVersion: number,
  where: { aggregateId?: string; version?: number } = {},
): readonly DomainEvent[] {
  if (!isAggregateDefinition(definition))
    throw new InvalidArgument('upcast() takes a definition made by defineAggregate');
  if (!isDomainEvent(event))
    throw new InvalidArgument('upcast() takes an event: an object with a non-empty string type');
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1)
    throw new InvalidArgument(`upcast(): schemaVersion must be a positive integer, got ${schemaVersion}`);
  const aggregateId = where.aggregateId ?? 'test';
  const stored: EventEnvelope = {
    streamId: `${definition.type}/${aggregateId}`,
    aggregateType: definition.type,
    aggregateId,
    version: where.version ?? 1,
    position: 0,
    type: event.type,
    data: event,
    schemaVersion,
    metadata: {},
    timestamp: new Date(0).toISOString(),
  };
  const read = upcastEvent(definition, event, schemaVersion, stored);
  return Array.isArray(read) ? (read as readonly DomainEvent[]) : [read as DomainEvent];
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return 'an array holding something other than events';
  if (typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function')
    return 'a promise (upcasters are synchronous)';
  if (typeof value === 'object') return 'an object without a non-empty string type';
  return `a ${typeof value}`;
}

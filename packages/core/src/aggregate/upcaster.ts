/**
 * Upcasters: how an aggregate reads events stored under an older event schema. Each upcaster
 * turns an event of one type at schema version n into the shape of version n + 1 (or into
 * another type, several events, or none); the runtime chains them up to the definition's
 * `eventSchemaVersion` every time it reads the event. Stored events are never rewritten.
 */
import { InvalidArgument } from '../errors.js';
import type { DomainEvent, EventEnvelope } from '../store/store.js';

/**
 * What an upcaster returns: one event (at `fromVersion + 1`), several (each continues through the
 * chain, in order), or `[]` to drop the event. Anything else is a bug (UPCAST_FAILED).
 */
export type UpcastResult = DomainEvent | readonly DomainEvent[];

/**
 * One step of an event's schema evolution: reads events of `type` stored at schema version
 * `fromVersion` and returns their shape at `fromVersion + 1`. Must be pure and deterministic (it
 * runs on every read) and must not mutate its input. The method is declared as a method so an
 * upcaster may name its input's exact (old) type, e.g. `upcast(event: DepositedV1)`.
 * @example
 * const euro: Upcaster = {
 *   type: 'Deposited',
 *   fromVersion: 1,
 *   upcast: (e: { type: 'Deposited'; amount: number }) => ({ ...e, currency: 'EUR' }),
 * };
 */
export interface Upcaster {
  /** The event type (`data.type`) it reads. */
  readonly type: string;
  /** The schema version it reads: a positive integer below the definition's `eventSchemaVersion`. */
  readonly fromVersion: number;
  /**
   * The event's shape one schema version later. `stored` is the envelope as read (data decoded by
   * the codec, before any upcaster): for fields an old event lacks, such as a timestamp.
   */
  upcast(event: DomainEvent, stored: EventEnvelope): UpcastResult;
}

/**
 * An upcaster with typed input and output: `upcaster<DepositedV1, Deposited>('Deposited', 1, fn)`.
 * The same as writing the {@link Upcaster} object, with `fn`'s parameter and result checked.
 */
export function upcaster<From extends DomainEvent, To extends DomainEvent = DomainEvent>(
  type: From['type'],
  fromVersion: number,
  upcast: (event: From, stored: EventEnvelope) => To | readonly To[],
): Upcaster {
  return { type, fromVersion, upcast: upcast as Upcaster['upcast'] };
}

/** A definition's upcasters, indexed for reading: `steps[n]` maps an event type to its n → n + 1 step. */
export interface UpcastChain {
  readonly steps: ReadonlyArray<ReadonlyMap<string, Upcaster> | undefined>;
}

/**
 * Checks a spec's `upcasters` against its `eventSchemaVersion` and indexes them. Undefined when
 * there are none. Throws InvalidArgument for a malformed entry or two steps for one (type, version).
 */
export function compileUpcasters(
  aggregateType: string,
  upcasters: unknown,
  eventSchemaVersion: number,
): UpcastChain | undefined {
  if (upcasters === undefined) return undefined;
  const where = `aggregate '${aggregateType}': upcasters`;
  if (!Array.isArray(upcasters)) throw new InvalidArgument(`${where} must be an array`);
  if (upcasters.length === 0) return undefined;
  if (eventSchemaVersion === 1)
    throw new InvalidArgument(
      `${where} need an eventSchemaVersion above 1 (they bring older events up to it)`,
    );
  const steps: Array<Map<string, Upcaster> | undefined> = [];
  for (const [i, u] of upcasters.entries()) {
    const at = `${where}[${i}]`;
    if (typeof u !== 'object' || u === null) throw new InvalidArgument(`${at} must be an object`);
    const { type, fromVersion, upcast } = u as Partial<Upcaster>;
    if (typeof type !== 'string' || type.length === 0)
      throw new InvalidArgument(`${at}.type must be a non-empty string`);
    if (typeof upcast !== 'function') throw new InvalidArgument(`${at}.upcast must be a function`);
    if (
      typeof fromVersion !== 'number' ||
      !Number.isInteger(fromVersion) ||
      fromVersion < 1 ||
      fromVersion >= eventSchemaVersion
    ) {
      throw new InvalidArgument(
        `${at}.fromVersion must be an integer from 1 to ${eventSchemaVersion - 1} (below eventSchemaVersion ${eventSchemaVersion}), got ${String(fromVersion)}`,
      );
    }
    let step = steps[fromVersion];
    if (step === undefined) {
      step = new Map();
      steps[fromVersion] = step;
    }
    if (step.has(type))
      throw new InvalidArgument(`${where}: two upcasters of ${type} from schema version ${fromVersion}`);
    step.set(type, u as Upcaster);
  }
  return { steps };
}

/** Each definition's indexed upcasters (null: none), built once by defineAggregate or on first read. */
const chains = new WeakMap<object, UpcastChain | null>();

/** What indexing needs of a definition. */
interface Evolving {
  readonly type: string;
  readonly upcasters?: readonly Upcaster[] | undefined;
  readonly eventSchemaVersion: number;
}

/** Remembers a definition's indexed upcasters (defineAggregate calls this after checking them). */
export function registerUpcasters(def: object, chain: UpcastChain | undefined): void {
  chains.set(def, chain ?? null);
}

/** A definition's indexed upcasters, null when it has none. */
export function chainOf(def: Evolving): UpcastChain | null {
  let chain = chains.get(def);
  if (chain === undefined) {
    chain = compileUpcasters(def.type, def.upcasters, def.eventSchemaVersion) ?? null;
    chains.set(def, chain);
  }
  return chain;
}

/**
 * `runtime.subscribe()`: the global log as an async iterable, first what is stored from
 * `fromPosition` (catch-up), then new events as they are appended (live). Both phases are the
 * same loop, "read the next page after the last position seen", so the switch-over can neither
 * skip nor repeat an event. Pull-based: the next page is read only when the consumer has taken
 * the last one, so a slow consumer holds at most one page in memory and slows only its own reads.
 *
 * A store outage does not end it: a page is delivered only once it was read whole, and a read
 * that fails with a transient store error is retried from the same position (store-retry.ts),
 * so the consumer sees every event once, in order, just later. CORRUPT_DATA and other failures
 * end the iteration with that error; a shutdown or an aborted signal ends it quietly.
 */
import { InvalidArgument } from '../errors.js';
import type { EventEnvelope, EventStore } from '../store/store.js';
import type { LogTail } from './log-tail.js';
import type { RetryObserver, StoreRetry } from './store-retry.js';

/** What a subscription reads from: the runtime's store, its log tail and its retrying. */
export interface LogReader {
  readonly store: EventStore;
  readonly tail: LogTail;
  readonly retry: StoreRetry;
}

/** Hooks of the runtime's own subscriptions (projections, the watch follower). */
export interface SubscriptionHooks {
  /** Runs whenever a read found nothing new, before waiting for appends. */
  onCaughtUp?: () => Promise<void>;
  /** Told when a read fails transiently and when reading works again. */
  retry?: RetryObserver;
  /**
   * Turns each stored event into what its reader sees: the runtime decodes it by its aggregate's
   * codec and upcasts it by that aggregate's definition, so one stored event may be delivered as
   * several (sharing its position) or as none.
   */
  read?: (event: EventEnvelope) => EventEnvelope | readonly EventEnvelope[];
}

/** A subscription waiting to read again after a transient store failure. */
export interface SubscriptionRetrying {
  /** The last failure. */
  error: Error;
  /** Failures in a row so far. */
  attempt: number;
}

export interface SubscriptionFilter {
  /** Only events of these aggregate types. */
  aggregateTypes?: readonly string[];
  /** Only events of these types (`envelope.type` as read, that is after upcasting). */
  eventTypes?: readonly string[];
}

export interface SubscribeOptions {
  /** First position to deliver (inclusive; default 1), or `'end'`: only events appended from now on. */
  fromPosition?: number | 'end';
  filter?: SubscriptionFilter;
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal;
  /** Events read per store call (default 500): the most a slow consumer keeps buffered. */
  pageSize?: number;
}

/** Checks the options and resolves defaults; throws InvalidArgument for a bad one. */
export function checkSubscribeOptions(o: SubscribeOptions | undefined): {
  fromPosition: number | 'end';
  filter: SubscriptionFilter;
  signal: AbortSignal | undefined;
  pageSize: number;
} {
  if (o !== undefined && (typeof o !== 'object' || o === null))
    throw new InvalidArgument('subscribe options must be an object');
  // A misspelt key (`filter.eventType`, `fromPostion`) would silently widen what is delivered.
  refuseUnknownKeys(o ?? {}, OPTION_KEYS, 'subscribe options');
  const { fromPosition = 1, filter = {}, signal, pageSize = 500 } = o ?? {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    throw new InvalidArgument('subscribe: filter must be an object');
  refuseUnknownKeys(filter, FILTER_KEYS, 'subscribe filter');
  if (
    signal !== undefined &&
    !(
      typeof signal === 'object' &&
      signal !== null &&
      typeof signal.aborted === 'boolean' &&
      typeof signal.addEventListener === 'function'
    )
  ) {
    throw new InvalidArgument('subscribe: signal must be an AbortSignal');
  }
  if (fromPosition !== 'end' && !(Number.isSafeInteger(fromPosition) && fromPosition >= 0)) {
    throw new InvalidArgument(`fromPosition must be an integer >= 0 or 'end', got ${String(fromPosition)}`);
  }
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new InvalidArgument('pageSize must be a positive integer');
  for (const key of ['aggregateTypes', 'eventTypes'] as const) {
    const list = filter[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((t) => typeof t === 'string'))) {
      throw new InvalidArgument(`filter.${key} must be an array of strings`);
    }
  }
  return { fromPosition, filter, signal, pageSize };
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['fromPosition', 'filter', 'signal', 'pageSize']);
const FILTER_KEYS: ReadonlySet<string> = new Set(['aggregateTypes', 'eventTypes']);

function refuseUnknownKeys(o: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(o)) {
    if (!known.has(key))
      throw new InvalidArgument(`${what}: unknown key '${key}' (known: ${[...known].join(', ')})`);
  }
}

/** The iterator `runtime.subscribe()` returns. */
export class Subscription implements AsyncIterableIterator<EventEnvelope> {
  #next: number | undefined;
  #page: EventEnvelope[] = [];
  #index = 0;
  /** The events one stored event was read as, when several: delivered before the page moves on. */
  #several: readonly EventEnvelope[] | undefined;
  #severalIndex = 0;
  #done = false;
  #retrying: SubscriptionRetrying | undefined;
  readonly #reader: LogReader;
  readonly #store: EventStore;
  readonly #tail: LogTail;
  readonly #from: number | 'end';
  readonly #pageSize: number;
  readonly #signal: AbortSignal | undefined;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #eventTypes: ReadonlySet<string> | undefined;
  readonly #hooks: SubscriptionHooks;
  readonly #observer: RetryObserver;

  /** @internal Use `runtime.subscribe()`. */
  constructor(reader: LogReader, options: SubscribeOptions | undefined, hooks: SubscriptionHooks = {}) {
    const o = checkSubscribeOptions(options);
    this.#hooks = hooks;
    this.#reader = reader;
    this.#store = reader.store;
    this.#tail = reader.tail;
    this.#observer = {
      retrying: (error, attempt, delayMs) => {
        this.#retrying = { error, attempt };
        hooks.retry?.retrying(error, attempt, delayMs);
      },
      ended: () => {
        this.#retrying = undefined;
        hooks.retry?.ended();
      },
    };
    this.#from = o.fromPosition;
    this.#pageSize = o.pageSize;
    this.#signal = o.signal;
    this.#types = o.filter.aggregateTypes === undefined ? undefined : new Set(o.filter.aggregateTypes);
    this.#eventTypes = o.filter.eventTypes === undefined ? undefined : new Set(o.filter.eventTypes);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The position the next read starts at (after everything delivered or filtered out so far). */
  get position(): number {
    return (this.#next ?? 1) - 1;
  }

  /** Set while a read failed transiently and waits to be tried again; undefined otherwise. */
  get retrying(): SubscriptionRetrying | undefined {
    return this.#retrying;
  }

  async next(): Promise<IteratorResult<EventEnvelope>> {
    for (;;) {
      const several = this.#several;
      if (several !== undefined) {
        while (this.#severalIndex < several.length) {
          const e = several[this.#severalIndex++] as EventEnvelope;
          if (this.#wantedType(e)) return { done: false, value: e };
        }
        this.#several = undefined;
      }
      while (this.#index < this.#page.length) {
        const stored = this.#page[this.#index] as EventEnvelope;
        if (!this.#wantedAggregate(stored)) {
          this.#index++;
          continue;
        }
        const read = this.#readOne(stored);
        this.#index++;
        if (Array.isArray(read)) {
          this.#several = read as readonly EventEnvelope[];
          this.#severalIndex = 0;
          break;
        }
        if (this.#wantedType(read as EventEnvelope)) return { done: false, value: read as EventEnvelope };
      }
      if (this.#several !== undefined) continue;
      if (this.#done || this.#stopped()) return this.return();
      // Remember the tail's counter before reading: an append after this read still wakes us.
      const seen = this.#tail.mark();
      try {
        this.#next ??=
          this.#from === 'end'
            ? (await this.#read('reading the log head', () => this.#end())) + 1
            : Math.max(1, this.#from);
        const from = this.#next;
        this.#index = 0;
        this.#page = [];
        this.#page = await this.#read('reading the global log', () => this.#readPage(from));
      } catch (error) {
        // Given up because we were told to stop: end quietly, as a shutdown does.
        if (this.#stopped()) return this.return();
        this.#done = true;
        throw error;
      }
      const last = this.#page.at(-1);
      if (last !== undefined) this.#next = last.position + 1;
      else {
        if (this.#hooks.onCaughtUp !== undefined) await this.#hooks.onCaughtUp();
        await this.#tail.wait(seen, this.#signal);
      }
    }
  }

  async return(): Promise<IteratorResult<EventEnvelope>> {
    this.#done = true;
    this.#page = [];
    this.#several = undefined;
    return { done: true, value: undefined };
  }

  #wantedAggregate(e: EventEnvelope): boolean {
    return this.#types === undefined || this.#types.has(e.aggregateType);
  }

  /** By the type the reader sees (after upcasting). */
  #wantedType(e: EventEnvelope): boolean {
    return this.#eventTypes === undefined || this.#eventTypes.has(e.type);
  }

  /**
   * The stored event as the reader sees it. A failure (an event its definition cannot read) ends
   * the iteration with that error, at that event: it is never skipped.
   */
  #readOne(e: EventEnvelope): EventEnvelope | readonly EventEnvelope[] {
    const read = this.#hooks.read;
    if (read === undefined) return e;
    try {
      return read(e);
    } catch (error) {
      this.#done = true;
      this.#page = [];
      throw error;
    }
  }

  /** The runtime shut down or the signal aborted. */
  #stopped(): boolean {
    return this.#tail.closed || this.#signal?.aborted === true;
  }

  #read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.#reader.retry.run(what, fn, this.#signal, this.#observer);
  }

  /** One page from `from`, read whole before any of it is delivered (a failed read delivers nothing). */
  async #readPage(from: number): Promise<EventEnvelope[]> {
    const page: EventEnvelope[] = [];
    for await (const e of this.#store.readAll({ fromPosition: from, limit: this.#pageSize })) page.push(e);
    return page;
  }

  /** The newest position; a store without `lastPosition` is read to the end once. */
  async #end(): Promise<number> {
    if (this.#store.lastPosition !== undefined) return this.#store.lastPosition();
    let last = 0;
    for await (const e of this.#store.readAll()) last = e.position;
    return last;
  }
}

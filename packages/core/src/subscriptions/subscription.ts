/**
 * `runtime.subscribe()`: the global log as an async iterable, first what is stored from
 * `fromPosition` (catch-up), then new events as they are appended (live). Both phases are the
 * same loop, "read the next page after the last position seen", so the switch-over can neither
 * skip nor repeat an event. Pull-based: the next page is read only when the consumer has taken
 * the last one, so a slow consumer holds at most one page in memory and slows only its own reads.
 */
import { InvalidArgument } from '../errors.js';
import type { EventEnvelope, EventStore } from '../store/store.js';
import type { LogTail } from './log-tail.js';

export interface SubscriptionFilter {
  /** Only events of these aggregate types. */
  aggregateTypes?: readonly string[];
  /** Only events of these types (`envelope.type`). */
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
  const { fromPosition = 1, filter = {}, signal, pageSize = 500 } = o ?? {};
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

export class Subscription implements AsyncIterableIterator<EventEnvelope> {
  #next: number | undefined;
  #page: EventEnvelope[] = [];
  #index = 0;
  #done = false;
  readonly #store: EventStore;
  readonly #tail: LogTail;
  readonly #from: number | 'end';
  readonly #pageSize: number;
  readonly #signal: AbortSignal | undefined;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #eventTypes: ReadonlySet<string> | undefined;

  readonly #onCaughtUp: (() => Promise<void>) | undefined;

  /** `onCaughtUp` runs whenever a read found nothing new, before waiting for appends. */
  constructor(
    store: EventStore,
    tail: LogTail,
    options: SubscribeOptions | undefined,
    onCaughtUp?: () => Promise<void>,
  ) {
    const o = checkSubscribeOptions(options);
    this.#onCaughtUp = onCaughtUp;
    this.#store = store;
    this.#tail = tail;
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

  async next(): Promise<IteratorResult<EventEnvelope>> {
    for (;;) {
      while (this.#index < this.#page.length) {
        const e = this.#page[this.#index++] as EventEnvelope;
        if (this.#wanted(e)) return { done: false, value: e };
      }
      if (this.#done || this.#tail.closed || this.#signal?.aborted === true) return this.return();
      this.#next ??=
        this.#from === 'end'
          ? ((await this.#store.lastPosition?.()) ?? (await this.#scanToEnd())) + 1
          : Math.max(1, this.#from);
      // Remember the tail's counter before reading: an append after this read still wakes us.
      const seen = this.#tail.mark();
      this.#page = [];
      this.#index = 0;
      for await (const e of this.#store.readAll({ fromPosition: this.#next, limit: this.#pageSize }))
        this.#page.push(e);
      const last = this.#page.at(-1);
      if (last !== undefined) this.#next = last.position + 1;
      else {
        if (this.#onCaughtUp !== undefined) await this.#onCaughtUp();
        await this.#tail.wait(seen, this.#signal);
      }
    }
  }

  async return(): Promise<IteratorResult<EventEnvelope>> {
    this.#done = true;
    this.#page = [];
    return { done: true, value: undefined };
  }

  #wanted(e: EventEnvelope): boolean {
    return (
      (this.#types === undefined || this.#types.has(e.aggregateType)) &&
      (this.#eventTypes === undefined || this.#eventTypes.has(e.type))
    );
  }

  /** The newest position, for a store without `lastPosition`: read to the end once. */
  async #scanToEnd(): Promise<number> {
    let last = 0;
    for await (const e of this.#store.readAll()) last = e.position;
    return last;
  }
}

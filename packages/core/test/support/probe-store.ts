import type {
  AppendOptions,
  DomainEvent,
  EventEnvelope,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
} from '../../src/index.js';

/** What a test may make the wrapped store do. */
export interface ProbeHooks {
  /** Awaited before each append reaches the store (make appends slow or racy). */
  beforeAppend?: (streamId: string) => Promise<void> | undefined;
  /** Awaited before each streamVersion/readStream (make reads slow). */
  beforeRead?: (streamId: string, kind: 'readStream' | 'streamVersion') => Promise<void> | undefined;
  /** Hide the sole-writer head cache, as a store shared with other writers would. */
  hideKnownVersion?: boolean;
  /** Keep the data on close, so a second runtime can reopen the same "disk". */
  keepOnClose?: boolean;
  /** Hide `onAppend` and `lastPosition`, as a store that cannot notify subscribers. */
  hideNotifications?: boolean;
  /**
   * Declare `pipelinedAppends` when the wrapped store does, keeping its contract: one stream's
   * appends reach it in call order (each after its own `beforeAppend`), and an append this
   * wrapper fails (a throwing `beforeAppend`) fails the later ones of its chain.
   */
  pipelined?: boolean;
}

/**
 * A delegating store that counts calls and watches for two writers on one stream (two appends
 * to the same stream in flight at once would mean invariant 1 broke).
 */
export class ProbeStore implements EventStore {
  readonly inner: EventStore;
  hooks: ProbeHooks;
  calls = { append: 0, readStream: 0, streamVersion: 0, readAll: 0 };
  readonly appending = new Set<string>();
  overlaps: string[] = [];

  /** Per stream, settles once the newest append reached the wrapped store (or failed before). */
  readonly #turns = new Map<string, Promise<void>>();
  /** Appends in flight per stream, most at once per stream (pipelined appends). */
  readonly #inFlight = new Map<string, number>();
  maxInFlight = 0;

  constructor(inner: EventStore, hooks: ProbeHooks = {}) {
    this.inner = inner;
    this.hooks = hooks;
    if (hooks.pipelined === true && inner.pipelinedAppends === true) this.pipelinedAppends = true;
    if (!hooks.hideKnownVersion && inner.knownStreamVersion) {
      this.knownStreamVersion = (id) => inner.knownStreamVersion?.(id);
    }
    if (!hooks.hideNotifications && inner.onAppend && inner.lastPosition) {
      const { onAppend, lastPosition } = inner;
      this.onAppend = (listener) => onAppend.call(inner, listener);
      this.lastPosition = () => lastPosition.call(inner);
    }
  }

  knownStreamVersion?: (streamId: string) => number | undefined;
  pipelinedAppends?: boolean;
  onAppend?: (listener: (lastPosition: number) => void) => () => void;
  lastPosition?: () => Promise<number>;

  get snapshots() {
    return this.inner.snapshots;
  }

  get checkpoints() {
    return this.inner.checkpoints;
  }

  async append<E extends DomainEvent>(
    streamId: string,
    events: readonly NewEvent<E>[],
    opts: AppendOptions,
  ): Promise<EventEnvelope<E>[]> {
    this.calls.append++;
    if (this.appending.has(streamId)) this.overlaps.push(streamId);
    this.appending.add(streamId);
    const n = (this.#inFlight.get(streamId) ?? 0) + 1;
    this.#inFlight.set(streamId, n);
    this.maxInFlight = Math.max(this.maxInFlight, n);
    try {
      if (this.pipelinedAppends !== true) {
        await this.hooks.beforeAppend?.(streamId);
        return await this.inner.append(streamId, events, opts);
      }
      const previous = this.#turns.get(streamId);
      let reached!: () => void;
      const turn = new Promise<void>((resolve) => {
        reached = resolve;
      });
      this.#turns.set(streamId, turn);
      let appending: Promise<EventEnvelope<E>[]>;
      try {
        if (previous !== undefined) await previous;
        await this.hooks.beforeAppend?.(streamId);
        appending = this.inner.append(streamId, events, opts);
      } catch (error) {
        if (opts.chain !== undefined) opts.chain.failed = true;
        throw error;
      } finally {
        reached();
        if (this.#turns.get(streamId) === turn) this.#turns.delete(streamId);
      }
      return await appending;
    } finally {
      const left = (this.#inFlight.get(streamId) ?? 1) - 1;
      if (left === 0) {
        this.#inFlight.delete(streamId);
        this.appending.delete(streamId);
      } else this.#inFlight.set(streamId, left);
    }
  }

  async *readStream(streamId: string, opts?: ReadStreamOptions): AsyncIterable<EventEnvelope> {
    this.calls.readStream++;
    await this.hooks.beforeRead?.(streamId, 'readStream');
    yield* this.inner.readStream(streamId, opts);
  }

  readAll(opts?: ReadAllOptions): AsyncIterable<EventEnvelope> {
    this.calls.readAll++;
    this.readAllLimits.push(opts?.limit);
    const inner = this.inner.readAll(opts);
    const probe = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const e of inner) {
          probe.readAllYielded++;
          yield e;
        }
      },
    };
  }

  /** The `limit` of each readAll call, and how many events all of them yielded. */
  readonly readAllLimits: Array<number | undefined> = [];
  readAllYielded = 0;

  async streamVersion(streamId: string): Promise<number> {
    this.calls.streamVersion++;
    await this.hooks.beforeRead?.(streamId, 'streamVersion');
    return this.inner.streamVersion(streamId);
  }

  async close(): Promise<void> {
    if (!this.hooks.keepOnClose) await this.inner.close();
  }
}

/** Resolves after `ms` of real time. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Lets pending promise callbacks run (a macrotask turn). */
export const flush = () => new Promise<void>((r) => setImmediate(r));

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The `tag` a counter event carries, if any. */
export const tagOf = (e: EventEnvelope): string | undefined => (e.data as { tag?: string } & DomainEvent).tag;

import PQueue from 'p-queue';
import { type Logger, pino } from 'pino';
import type { ActorStatus } from './actor.js';
import { type AnyAggregate, isAggregateDefinition, isPositiveInt } from './aggregate.js';
import { type Clock, systemClock } from './clock.js';
import { CommandTimeouts } from './command-timeouts.js';
import type { ResolvedOptions, RuntimeContext } from './context.js';
import { InvalidArgument, MailboxFull, RuntimeClosed, UnknownAggregate } from './errors.js';
import { AggregateHandle, type AggregateIdentity, type Dispatcher } from './handle.js';
import { IdleReaper } from './idle-reaper.js';
import { LogTail } from './log-tail.js';
import { memoryStore } from './memory-store.js';
import { type Counters, Metrics, type MetricsSnapshot } from './metrics.js';
import { isProjectionDefinition, type ProjectionDefinition } from './projection.js';
import { Projection, type ProjectionStatus } from './projection-runner.js';
import { Registry } from './registry.js';
import { Request, type SnapshotResult } from './request.js';
import { type EventStore, parseStreamId } from './store.js';
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff, StoreRetry } from './store-retry.js';
import { type SubscribeOptions, Subscription } from './subscription.js';
import { type Watcher, Watchers } from './watchers.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** The event store; default `memoryStore()`. A promise is awaited (stores that open asynchronously). */
  store?: EventStore | Promise<EventStore>;
  /** The aggregates this runtime serves. */
  aggregates: readonly AnyAggregate[];
  /** Evict an actor after this long without requests. Default 300 000 (5 min); Infinity never evicts. */
  idleTimeoutMs?: number;
  /** Requests one actor may hold (running one included); beyond it: MailboxFull. Default 1024. */
  mailboxCapacity?: number;
  /** Actors recovering from the store at once. Default 16. */
  maxConcurrentRecoveries?: number;
  /** A caller stops waiting after this long (CommandTimeout). Default 30 000; 0 disables. */
  commandTimeoutMs?: number;
  /** commandIds remembered per stream for idempotent retries. Default 1000. */
  dedupeWindow?: number;
  /** Commands slower than this are logged at warn. Default 1000 ms. */
  slowCommandMs?: number;
  /** Times a command is re-decided after another writer's conflicting append. Default 3. */
  maxConflictRetries?: number;
  /** A pino logger; default silent. Actors log through child loggers with aggregateType and aggregateId. */
  logger?: Logger;
  /** Time source for idle eviction and timeouts; default the system clock. */
  clock?: Clock;
  /**
   * How subscriptions and projections wait between retries of a store call that failed
   * transiently (StoreError IO or CONNECTION): doubling from `initialMs` (default 100) up to
   * `maxMs` (default 5000), each delay jittered to between half and all of it.
   */
  storeRetry?: { initialMs?: number; maxMs?: number };
}

/** Shutdown options. */
export interface ShutdownOptions {
  /** How long to let mailboxes drain before queued commands fail with RuntimeClosed. Default 10 000. */
  timeoutMs?: number;
}

/** One resident actor, as `runtime.actors()` lists it. */
export interface ActorInfo {
  type: string;
  id: string;
  streamId: string;
  status: ActorStatus;
  version: number;
  mailboxDepth: number;
  /** Milliseconds since the actor went idle; undefined while it has work or is activating. */
  idleForMs: number | undefined;
}

/** A quick look at the runtime, as `runtime.stats()` returns it. */
export interface RuntimeStats extends Counters {
  liveActors: number;
  activatingActors: number;
  idleActors: number;
  mailboxDepth: number;
  recoveriesWaiting: number;
  closed: boolean;
}

const DEFAULTS: ResolvedOptions = {
  idleTimeoutMs: 300_000,
  mailboxCapacity: 1024,
  maxConcurrentRecoveries: 16,
  commandTimeoutMs: 30_000,
  dedupeWindow: 1000,
  slowCommandMs: 1000,
  maxConflictRetries: 3,
  storeRetry: DEFAULT_RETRY_BACKOFF,
};

/**
 * Starts a runtime: the registry of mailbox actors in front of an event store.
 * @example
 * const runtime = await createRuntime({ aggregates: [account] });
 * await runtime.get(account, 'acc-1').execute({ type: 'deposit', amount: 5 });
 * await runtime.shutdown();
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgument('createRuntime needs an options object');
  const resolved = resolveOptions(options);
  const aggregates = new Map<string, AnyAggregate>();
  if (!Array.isArray(options.aggregates))
    throw new InvalidArgument('options.aggregates must be an array of definitions');
  for (const def of options.aggregates) {
    if (!isAggregateDefinition(def))
      throw new InvalidArgument('options.aggregates: use defineAggregate() for each entry');
    if (aggregates.has(def.type)) throw new InvalidArgument(`two aggregates are registered as '${def.type}'`);
    aggregates.set(def.type, def);
  }
  const store = await (options.store ?? memoryStore());
  return new Runtime(
    store,
    aggregates,
    resolved,
    options.logger ?? pino({ level: 'silent' }),
    options.clock ?? systemClock,
  );
}

/** Serves commands for the registered aggregates through cheap handles. Create with `createRuntime`. */
export class Runtime {
  readonly #ctx: RuntimeContext;
  readonly #aggregates: ReadonlyMap<string, AnyAggregate>;
  readonly #timeouts: CommandTimeouts;
  readonly #dispatcher: Dispatcher;
  #shutdown: Promise<void> | undefined;
  readonly #projections = new Map<string, Projection>();
  /** Follows the log for watched streams other processes write to (shared stores only). */
  #watchFollower: AbortController | undefined;
  /** Stops listening for leases the store lost (lease mode). */
  readonly #stopLeaseWatch: (() => void) | undefined;

  /** @internal Use `createRuntime`. */
  constructor(
    store: EventStore,
    aggregates: ReadonlyMap<string, AnyAggregate>,
    options: ResolvedOptions,
    logger: Logger,
    clock: Clock,
  ) {
    const metrics = new Metrics();
    const registry = new Registry();
    const tail = new LogTail(store, clock);
    this.#ctx = {
      store,
      clock,
      logger,
      metrics,
      registry,
      options,
      reaper: new IdleReaper(clock, options.idleTimeoutMs),
      permits: new PQueue({ concurrency: options.maxConcurrentRecoveries }),
      watchers: new Watchers(),
      tail,
      retry: new StoreRetry(tail, options.storeRetry, metrics, logger),
      resident: 0,
      activating: 0,
      mailboxDepth: 0,
    };
    registry.bind(this.#ctx);
    // Lease mode: an actor whose lease went with a dead session must stop writing at once.
    this.#stopLeaseWatch = store.onLeaseLost?.((streamIds) => {
      for (const streamId of streamIds) registry.get(streamId)?.leaseLost();
    });
    this.#aggregates = aggregates;
    this.#timeouts = new CommandTimeouts(clock, options.commandTimeoutMs, () => {
      metrics.counters.commandTimeouts++;
    });
    const ctx = this.#ctx;
    const timeouts = this.#timeouts;
    this.#dispatcher = {
      dispatch: (def, id, request) => {
        if (this.#shutdown !== undefined) return Promise.reject(new RuntimeClosed());
        const actor = registry.route(def, id, request.streamId);
        if (!actor.enqueue(request)) {
          metrics.counters.mailboxFull++;
          return Promise.reject(new MailboxFull(request.streamId, options.mailboxCapacity));
        }
        timeouts.watch(request);
        return request.promise;
      },
      isResident: (streamId) => registry.get(streamId)?.resident === true,
      addWatcher: (streamId: string, w: Watcher) => {
        ctx.watchers.add(streamId, w);
        this.#followForWatchers();
      },
      removeWatcher: (streamId: string, w: Watcher) => {
        ctx.watchers.remove(streamId, w);
        if (ctx.watchers.size === 0) this.#watchFollower?.abort();
      },
    };
  }

  /** The store this runtime writes to. */
  get store(): EventStore {
    return this.#ctx.store;
  }

  /** The registered aggregate types. */
  get aggregateTypes(): string[] {
    return [...this.#aggregates.keys()];
  }

  /** True once `shutdown` was called. */
  get closed(): boolean {
    return this.#shutdown !== undefined;
  }

  /**
   * A handle for one aggregate instance: by definition and id, by type name and id, or by identity.
   * Handles are cheap; this never touches the store.
   */
  get<D extends AnyAggregate>(def: D, id: string): AggregateHandle<D>;
  get(type: string, id: string): AggregateHandle;
  get(identity: AggregateIdentity): AggregateHandle;
  get(target: AnyAggregate | string | AggregateIdentity, id?: string): AggregateHandle {
    let type: string;
    let aggregateId: unknown = id;
    if (typeof target === 'string') type = target;
    else if (isAggregateDefinition(target)) type = target.type;
    else if (typeof target === 'object' && target !== null && typeof target.type === 'string') {
      type = target.type;
      aggregateId = target.id;
    } else throw new InvalidArgument('get() takes a definition, a type name or an identity');
    const def = this.#aggregates.get(type);
    if (def === undefined) throw new UnknownAggregate(type, this.aggregateTypes);
    if (isAggregateDefinition(target) && target !== def) {
      throw new InvalidArgument(`a different definition is registered as '${type}'`);
    }
    if (typeof aggregateId !== 'string' || aggregateId.length === 0) {
      throw new InvalidArgument(
        `aggregate id must be a non-empty string, got ${JSON.stringify(aggregateId)}`,
      );
    }
    return new AggregateHandle(this.#dispatcher, def, aggregateId);
  }

  /**
   * Passivates an actor now: it finishes what is queued, snapshots if due and stops.
   * Resolves to false when none was resident.
   */
  async evict(target: AnyAggregate | string, id: string): Promise<boolean> {
    const handle = this.get(typeof target === 'string' ? target : target.type, id);
    const actor = this.#ctx.registry.get(handle.streamId);
    if (actor === undefined || !actor.resident) return false;
    await actor.requestEviction();
    return true;
  }

  /**
   * Saves a snapshot of one aggregate now, in order with its commands and whatever its policy's
   * schedule (activating the actor when none is resident). `saved` is false for an empty stream.
   * Fails with InvalidArgument when the aggregate has no snapshot policy.
   */
  snapshot(target: AnyAggregate | string, id: string): Promise<SnapshotResult> {
    try {
      const handle = this.get(typeof target === 'string' ? target : target.type, id);
      const def = this.#aggregates.get(handle.identity.type) as AnyAggregate;
      const request = new Request('snapshot', handle.streamId, undefined, undefined, {});
      return this.#dispatcher.dispatch(def, handle.identity.id, request) as Promise<SnapshotResult>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The global log as an async iterable: the stored events from `fromPosition` (default 1; `'end'`
   * for only new ones), then each new event as it is appended, with no gap and no duplicate at
   * the switch-over. Pull-based: a slow consumer holds at most one page. Ends when the runtime
   * shuts down, `signal` aborts, or the loop breaks. A store outage only delays it: reads that
   * fail transiently are retried with backoff (`subscription.retrying` says so meanwhile);
   * CORRUPT_DATA or another store failure ends it with that error.
   */
  subscribe(options?: SubscribeOptions): Subscription {
    if (this.#shutdown !== undefined) throw new RuntimeClosed();
    return new Subscription(this.#ctx, options);
  }

  /**
   * Runs a projection: from its stored checkpoint, through the stored events, then live. Returns
   * its control (status, state, waitFor, stop, restart, rebuild). Projecting a name that is
   * already running fails with InvalidArgument; one that failed or stopped is started again.
   */
  project<S>(def: ProjectionDefinition<S>): Projection<S> {
    if (this.#shutdown !== undefined) throw new RuntimeClosed();
    if (!isProjectionDefinition(def))
      throw new InvalidArgument('project() takes a definition made by defineProjection');
    const existing = this.#projections.get(def.name);
    if (existing !== undefined) {
      const { state } = existing.status();
      if (state !== 'failed' && state !== 'stopped') {
        throw new InvalidArgument(`projection '${def.name}' is already running`);
      }
    }
    const { store, tail, retry, logger } = this.#ctx;
    const projection = new Projection<S>(def as ProjectionDefinition<S>, {
      store,
      tail,
      retry,
      logger: logger.child({ projection: def.name }),
    });
    this.#projections.set(def.name, projection as Projection);
    projection.start();
    return projection;
  }

  /** The status of every projection started on this runtime. */
  projections(): ProjectionStatus[] {
    return Array.from(this.#projections.values(), (p) => p.status());
  }

  /**
   * On a store other processes write to (no `knownStreamVersion`), watchers must also hear of their
   * appends. While anyone watches, one subscription follows the log from its end and asks each
   * watched stream's actor for its state; the actor's refresh then notifies the watchers as for
   * any change. A store this runtime writes alone needs none of it: its actors see every change.
   */
  #followForWatchers(): void {
    const ctx = this.#ctx;
    const { store, watchers, logger } = ctx;
    if (
      store.knownStreamVersion !== undefined ||
      this.#watchFollower !== undefined ||
      this.#shutdown !== undefined
    ) {
      return;
    }
    const abort = new AbortController();
    this.#watchFollower = abort;
    // One refresh per stream at a time; an event that lands meanwhile asks for one more after it.
    const refreshing = new Map<string, boolean>();
    const refresh = (type: string, id: string, streamId: string): void => {
      refreshing.set(streamId, false);
      this.get(type, id)
        .state()
        .catch((err: unknown) => logger.debug({ err, streamId }, 'watch refresh failed'))
        .finally(() => {
          const again = refreshing.get(streamId) === true;
          refreshing.delete(streamId);
          if (again && watchers.has(streamId)) refresh(type, id, streamId);
        });
    };
    void (async () => {
      // A watch read its first state before this follower knew where the log ended: refresh every
      // watched stream once the starting point is fixed, so nothing in between is missed.
      const from = await ctx.retry.run(
        'watch: reading the log head',
        async () => (await store.lastPosition?.()) ?? 0,
        abort.signal,
      );
      for (const streamId of [...watchers.streams()]) {
        const { aggregateType, aggregateId } = parseStreamId(streamId);
        refresh(aggregateType, aggregateId, streamId);
      }
      for await (const e of new Subscription(ctx, { fromPosition: from + 1, signal: abort.signal })) {
        if (!watchers.has(e.streamId)) continue;
        if (refreshing.has(e.streamId)) refreshing.set(e.streamId, true);
        else refresh(e.aggregateType, e.aggregateId, e.streamId);
      }
    })()
      .catch((err: unknown) => logger.warn({ err }, 'following the log for watchers stopped'))
      .finally(() => {
        if (this.#watchFollower === abort) this.#watchFollower = undefined;
      });
  }

  /** Every resident actor with its status, version and mailbox depth. */
  actors(): ActorInfo[] {
    const { registry, reaper } = this.#ctx;
    return Array.from(registry.values(), (a) => ({
      type: a.def.type,
      id: a.id,
      streamId: a.streamId,
      status: a.status,
      version: a.version,
      mailboxDepth: a.mailboxSize,
      idleForMs: a.status === 'ready' && a.mailboxSize === 0 ? reaper.idleFor(a) : undefined,
    }));
  }

  /** Live counts and totals since start. */
  stats(): RuntimeStats {
    const ctx = this.#ctx;
    return {
      liveActors: ctx.resident,
      activatingActors: ctx.activating,
      idleActors: ctx.reaper.size,
      mailboxDepth: ctx.mailboxDepth,
      recoveriesWaiting: ctx.permits.size,
      closed: this.closed,
      ...ctx.metrics.counters,
    };
  }

  /** Counters, gauges and latency percentiles (ms). */
  metrics(): MetricsSnapshot {
    const ctx = this.#ctx;
    return {
      counters: { ...ctx.metrics.counters },
      gauges: {
        liveActors: ctx.resident,
        activatingActors: ctx.activating,
        mailboxDepth: ctx.mailboxDepth,
        idleActors: ctx.reaper.size,
        storeRetrying: ctx.metrics.retrying,
      },
      latency: {
        command: Metrics.summarize(ctx.metrics.commandLatency),
        recovery: Metrics.summarize(ctx.metrics.recoveryLatency),
      },
    };
  }

  /**
   * Refuses new commands, lets every mailbox drain (up to `timeoutMs`; later, queued commands
   * fail with RuntimeClosed), evicts every actor (snapshotting if due) and closes the store.
   * Idempotent.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.#shutdown === undefined) this.#shutdown = this.#close(options.timeoutMs ?? 10_000);
    return this.#shutdown;
  }

  async #close(timeoutMs: number): Promise<void> {
    const { registry, clock, logger, reaper, watchers, store, tail } = this.#ctx;
    // Projections first: each finishes its event and saves its checkpoint while the store is open.
    await Promise.all(Array.from(this.#projections.values(), (p) => p.stop()));
    this.#watchFollower?.abort();
    tail.close();
    const gone = Promise.all(Array.from(registry.values(), (a) => a.requestEviction()));
    if (!(await within(gone, timeoutMs, clock))) {
      logger.warn({ timeoutMs }, 'shutdown: mailboxes did not drain in time; failing queued commands');
      for (const a of registry.values())
        a.abandonQueued(new RuntimeClosed('shut down before the command ran'));
      if (!(await within(gone, timeoutMs, clock)))
        logger.warn('shutdown: commands still running; closing the store');
    }
    reaper.clear();
    this.#timeouts.clear();
    watchers.endAll();
    this.#stopLeaseWatch?.();
    await store.close();
  }
}

/** Resolves true when `p` settles within `ms`, false otherwise; leaves no timer behind. */
async function within(p: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

function resolveOptions(o: RuntimeOptions): ResolvedOptions {
  const r: { -readonly [K in keyof ResolvedOptions]: ResolvedOptions[K] } = { ...DEFAULTS };
  const positive = ['mailboxCapacity', 'maxConcurrentRecoveries', 'dedupeWindow'] as const;
  for (const key of positive) {
    const v = o[key];
    if (v === undefined) continue;
    if (!isPositiveInt(v)) throw new InvalidArgument(`${key} must be a positive integer, got ${String(v)}`);
    r[key] = v;
  }
  const durations = ['idleTimeoutMs', 'commandTimeoutMs', 'slowCommandMs'] as const;
  for (const key of durations) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new InvalidArgument(`${key} must be a number of milliseconds >= 0, got ${String(v)}`);
    }
    r[key] = v;
  }
  if (o.idleTimeoutMs === 0)
    throw new InvalidArgument('idleTimeoutMs must be > 0 (use Infinity to never evict)');
  if (o.maxConflictRetries !== undefined) {
    if (!Number.isInteger(o.maxConflictRetries) || o.maxConflictRetries < 0) {
      throw new InvalidArgument('maxConflictRetries must be an integer >= 0');
    }
    r.maxConflictRetries = o.maxConflictRetries;
  }
  if (o.storeRetry !== undefined) r.storeRetry = resolveBackoff(o.storeRetry);
  return r;
}

function resolveBackoff(o: NonNullable<RuntimeOptions['storeRetry']>): RetryBackoff {
  if (typeof o !== 'object' || o === null)
    throw new InvalidArgument('storeRetry must be an object { initialMs, maxMs }');
  const {
    initialMs = DEFAULT_RETRY_BACKOFF.initialMs,
    maxMs = Math.max(initialMs, DEFAULT_RETRY_BACKOFF.maxMs),
  } = o;
  for (const [key, v] of [
    ['initialMs', initialMs],
    ['maxMs', maxMs],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 1)
      throw new InvalidArgument(`storeRetry.${key} must be a number of milliseconds >= 1, got ${String(v)}`);
  }
  if (maxMs < initialMs) throw new InvalidArgument('storeRetry.maxMs must be >= storeRetry.initialMs');
  return { initialMs, maxMs };
}

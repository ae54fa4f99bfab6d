import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import type { ActorStatus } from '../actor/actor-status.js';
import { buildInterceptorTable, type InterceptorTable } from '../actor/interceptors.js';
import {
  CancelTimerRequest,
  FireRequest,
  type FireResult,
  SnapshotRequest,
  type SnapshotResult,
} from '../actor/request.js';
import { type AnyAggregate, isAggregateDefinition } from '../aggregate/aggregate.js';
import { EventReader } from '../aggregate/read-events.js';
import { type Clock, systemClock } from '../clock.js';
import { isEffectTimerName, RUN_EFFECT, type RuntimeEffects } from '../effects/effect.js';
import { EffectGauges } from '../effects/effect-gauges.js';
import { deliverable } from '../effects/effect-record.js';
import { EffectRunner } from '../effects/effect-runner.js';
import { createRuntimeEffects } from '../effects/runtime-effects.js';
import { InvalidArgument, RuntimeClosed, UnknownAggregate } from '../errors.js';
import {
  type AggregateTypeMetrics,
  type Counters,
  Metrics,
  type MetricsSnapshot,
} from '../observability/metrics.js';
import type { RuntimeObserver } from '../observability/observer.js';
import { isProjectionDefinition, type ProjectionDefinition } from '../projections/projection.js';
import { Projection, type ProjectionStatus } from '../projections/projection-runner.js';
import { memoryStore } from '../store/memory-store.js';
import { type EventStore, parseStreamId } from '../store/store.js';
import { assertStorableId, assertStreamId } from '../store/store-input.js';
import { type SubscribeOptions, Subscription } from '../subscriptions/subscription.js';
import type { TimerQuery, TimerRecord, TimerStore } from '../timers/timer.js';
import { assertTimerName } from '../timers/timer-recorder.js';
import { type FiringOutcome, TimerService } from '../timers/timer-service.js';
import { CommandTimeouts } from './command-timeouts.js';
import { createContext, type RuntimeContext } from './context.js';
import { createDispatcher } from './dispatch.js';
import { AggregateHandle, type AggregateIdentity, type Dispatcher } from './handle.js';
import {
  assertTimerMs,
  checkStore,
  type ResolvedOptions,
  type RuntimeOptions,
  resolveOptions,
} from './runtime-options.js';
import { WatchFollower } from './watch-follower.js';

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

/**
 * An operator's view of the runtime's durable timers (`runtime.timers()`): what is pending, and
 * firing or cancelling one by hand, in order with the aggregate's commands.
 */
export interface RuntimeTimers {
  /** Pending timers matching the query (stream, due before, limit), earliest due first. */
  list(query?: TimerQuery): AsyncIterable<TimerRecord>;
  /** The stream's pending timer of that name, or undefined. */
  get(streamId: string, name: string): Promise<TimerRecord | undefined>;
  /** How many timers are pending in the store. */
  count(): Promise<number>;
  /**
   * Fires the pending timer now, whatever its due time, through its aggregate's actor (exactly
   * as when it comes due). Fails with InvalidArgument when the stream has no such timer.
   */
  fire(streamId: string, name: string): Promise<FireResult>;
  /** Cancels the pending timer through its aggregate's actor; false when there was none. */
  cancel(streamId: string, name: string): Promise<boolean>;
}

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
  checkStore(store);
  if (resolved.effects.definitions.size > 0 && typeof store.timers?.reschedule !== 'function') {
    throw new InvalidArgument(
      'effects are registered, but the store cannot run them: it needs timers.reschedule (memoryStore, levelStore and postgresStore have it)',
    );
  }
  return new Runtime(
    store,
    aggregates,
    resolved,
    options.logger ?? pino({ level: 'silent' }),
    options.clock ?? systemClock,
    buildInterceptorTable(options.interceptors ?? [], aggregates.values()),
    options.observer ?? null,
  );
}

/** Serves commands for the registered aggregates through cheap handles. Create with `createRuntime`. */
export class Runtime {
  readonly #ctx: RuntimeContext;
  readonly #aggregates: ReadonlyMap<string, AnyAggregate>;
  /** Reads stored events as their aggregate's definition does (codec, then upcasters). */
  readonly #reader: EventReader;
  readonly #timeouts: CommandTimeouts;
  readonly #dispatcher: Dispatcher;
  #shutdown: Promise<void> | undefined;
  readonly #projections = new Map<string, Projection>();
  readonly #follower: WatchFollower;
  /** Stops listening for leases the store lost (lease mode). */
  readonly #stopLeaseWatch: (() => void) | undefined;
  /** The durable effects' machinery; undefined when the store has no `timers.reschedule`. */
  readonly #effects:
    | { readonly runner: EffectRunner; readonly gauges: EffectGauges; readonly store: RescheduleStore }
    | undefined;

  /** @internal Use `createRuntime`. */
  constructor(
    store: EventStore,
    aggregates: ReadonlyMap<string, AnyAggregate>,
    options: ResolvedOptions,
    logger: Logger,
    clock: Clock,
    interceptors: InterceptorTable = null,
    observer: RuntimeObserver | null = null,
  ) {
    const ctx = createContext(store, options, logger, clock, interceptors, observer);
    // Every registered type shows in metrics() from the start, with zeros.
    for (const type of aggregates.keys()) ctx.metrics.forType(type);
    this.#ctx = ctx;
    this.#aggregates = aggregates;
    this.#reader = new EventReader(aggregates);
    this.#timeouts = new CommandTimeouts(clock, options.commandTimeoutMs, () => {
      ctx.metrics.counters.commandTimeouts++;
    });
    this.#follower = new WatchFollower(ctx, (type, id) => this.get(type, id).state());
    // Lease mode: an actor whose lease went with a dead session must stop writing at once.
    this.#stopLeaseWatch = store.onLeaseLost?.((streamIds) => {
      for (const streamId of streamIds) ctx.registry.get(streamId)?.leaseLost();
    });
    this.#dispatcher = createDispatcher(ctx, this.#timeouts, this.#follower, () => this.closed);
    const timers = store.timers;
    if (timers?.reschedule !== undefined) {
      const withReschedule = timers as RescheduleStore;
      const runner = new EffectRunner({
        store: withReschedule,
        clock,
        logger: logger.child({ component: 'effects' }),
        metrics: ctx.metrics,
        catalog: options.effects,
        storeRetry: options.storeRetry,
        written: (streamId, changes) => ctx.timerService?.written(streamId, changes),
        firstTime: ctx.firstTime,
      });
      this.#effects = { runner, gauges: new EffectGauges(timers, clock), store: withReschedule };
      ctx.effectRunner = runner;
    }
    if (store.timers !== undefined) {
      const owner = options.runtimeId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
      ctx.timerService = new TimerService(
        store.timers,
        clock,
        logger.child({ component: 'timers' }),
        ctx.metrics,
        { ...options.timers, owner, retry: options.storeRetry },
        (timer) => this.#fireTimer(timer),
      );
      ctx.timerService.start();
    }
  }

  /**
   * Delivers a timer to its aggregate's actor; a timer of a type this runtime does not serve is
   * removed. An effect record waiting to run goes to the effect runner instead, never to an actor;
   * an effect's result is delivered without the request its record keeps for operators.
   */
  async #fireTimer(record: TimerRecord): Promise<FiringOutcome> {
    const runner = this.#effects?.runner;
    if (record.command.type === RUN_EFFECT) {
      if (runner === undefined) {
        // Written by another runtime through this store's append; this one cannot record outcomes.
        if (this.#ctx.firstTime('effects-without-reschedule'))
          this.#ctx.logger.error(
            { streamId: record.streamId, timer: record.name },
            'an effect record is due, but this store has no timers.reschedule: effects do not run here',
          );
        return { outcome: 'stale', version: record.version };
      }
      return runner.fire(record);
    }
    // An effect's result: delivered in turn with operators' retries of it, as stored now.
    if (runner !== undefined && isEffectTimerName(record.name))
      return runner.deliver(record, (stored) => this.#deliverTimer(deliverable(stored)));
    return this.#deliverTimer(isEffectTimerName(record.name) ? deliverable(record) : record);
  }

  /** Hands a timer to its aggregate's actor; one of a type this runtime does not serve is removed. */
  async #deliverTimer(timer: TimerRecord): Promise<FiringOutcome> {
    const { aggregateType, aggregateId } = parseStreamId(timer.streamId);
    const def = this.#aggregates.get(aggregateType);
    if (def === undefined) {
      const error = new UnknownAggregate(aggregateType, this.aggregateTypes);
      await this.#ctx.store.timers?.remove(timer.streamId, timer.name, timer.version);
      this.#ctx.logger.error(
        { err: error, streamId: timer.streamId, timer: timer.name },
        'timer of an aggregate type this runtime does not serve: removed without firing',
      );
      return { outcome: 'refused', version: 0, error };
    }
    // No command timeout: the service tracks its firings itself, and a firing queued behind a busy
    // mailbox is not late enough to give up on (it would only be retried).
    return this.#dispatcher.dispatch(def, aggregateId, new FireRequest(timer), false) as Promise<FireResult>;
  }

  /**
   * The durable effects: list, count, and retry or abandon one by hand.
   * Throws InvalidArgument when the store cannot run effects (it has no `timers.reschedule`).
   * @example for await (const e of runtime.effects().list({ state: 'failed' })) console.log(e.streamId, e.id, e.lastError);
   */
  effects(): RuntimeEffects {
    const effects = this.#effects;
    if (effects === undefined)
      throw new InvalidArgument('the store runs no durable effects (it has no `timers.reschedule`)');
    return createRuntimeEffects({
      store: effects.store,
      runner: effects.runner,
      clock: this.#ctx.clock,
      written: (streamId, changes) => this.#ctx.timersWritten(streamId, changes),
    });
  }

  /**
   * The durable timers: list, count, and fire or cancel one by hand.
   * Throws InvalidArgument when the store keeps no timers.
   * @example for await (const t of runtime.timers().list({ dueBefore: Date.now() })) console.log(t.streamId, t.name);
   */
  timers(): RuntimeTimers {
    const store = this.#ctx.store.timers;
    if (store === undefined) throw new InvalidArgument('the store keeps no timers (it has no `timers`)');
    /** The registered aggregate of a stream and its id (UnknownAggregate, InvalidArgument otherwise). */
    const aggregateOf = (streamId: string, name: string) => {
      assertStreamId(streamId);
      assertTimerName(name);
      const { aggregateType, aggregateId } = parseStreamId(streamId);
      const handle = this.get(aggregateType, aggregateId);
      return { def: this.#aggregates.get(handle.identity.type) as AnyAggregate, id: aggregateId };
    };
    const dispatch = (streamId: string, name: string, make: () => FireRequest | CancelTimerRequest) => {
      const { def, id } = aggregateOf(streamId, name);
      return this.#dispatcher.dispatch(def, id, make());
    };
    const counters = this.#ctx.metrics.counters;
    // Effect records are timers with reserved names: left out here (see effects()). The store has
    // no index by name, so list skips them as it reads, and count reads every pending timer.
    return {
      list: (query) => withoutEffects(store.list(query)),
      get: (streamId, name) => {
        assertTimerName(name);
        return store.get(streamId, name);
      },
      count: async () => {
        let n = 0;
        for await (const _timer of withoutEffects(store.list())) n++;
        return n;
      },
      fire: async (streamId, name) => {
        aggregateOf(streamId, name);
        const timer = await store.get(streamId, name);
        if (timer === undefined) throw new InvalidArgument(`${streamId} has no pending timer '${name}'`);
        const result = (await dispatch(streamId, name, () => new FireRequest(timer))) as FireResult;
        if (result.outcome === 'fired' || result.outcome === 'nothing') counters.timersFired++;
        else if (result.outcome === 'refused') counters.timersFailed++;
        return result;
      },
      cancel: async (streamId, name) =>
        (await dispatch(streamId, name, () => new CancelTimerRequest(streamId, name))) as boolean,
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
    assertStorableId('aggregate id', aggregateId);
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
      const request = new SnapshotRequest(handle.streamId);
      return this.#dispatcher.dispatch(def, handle.identity.id, request) as Promise<SnapshotResult>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The global log as an async iterable: the stored events from `fromPosition` (default 1; `'end'`
   * for only new ones), then each new event as it is appended, with no gap and no duplicate at
   * the switch-over. Each event is read as its aggregate's definition reads it (decoded by its
   * codec, then upcast: an event stored under an older schema may arrive as several events sharing
   * its position, or not at all). Pull-based: a slow consumer holds at most one page. Ends when the runtime
   * shuts down, `signal` aborts, or the loop breaks. A store outage only delays it: reads that
   * fail transiently are retried with backoff (`subscription.retrying` says so meanwhile);
   * CORRUPT_DATA or another store failure ends it with that error.
   */
  subscribe(options?: SubscribeOptions): Subscription {
    if (this.#shutdown !== undefined) throw new RuntimeClosed();
    const reader = this.#reader;
    return new Subscription(this.#ctx, options, { read: (env) => reader.read(env) });
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
      reader: this.#reader,
      observer: this.#ctx.observer,
    });
    this.#projections.set(def.name, projection as Projection);
    projection.start();
    return projection;
  }

  /** The status of every projection started on this runtime. */
  projections(): ProjectionStatus[] {
    return Array.from(this.#projections.values(), (p) => p.status());
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
    const effects = this.#effects;
    return {
      counters: { ...ctx.metrics.counters },
      gauges: {
        liveActors: ctx.resident,
        activatingActors: ctx.activating,
        mailboxDepth: ctx.mailboxDepth,
        idleActors: ctx.reaper.size,
        storeRetrying: ctx.metrics.retrying,
        // The store counts effect records among its timers: they show as effectsPending instead.
        timersPending: Math.max(
          0,
          (ctx.timerService?.pendingCount() ?? 0) - (effects?.gauges.pending() ?? 0),
        ),
        timersHeld: ctx.timerService?.held ?? 0,
        mailboxWaiting: ctx.waiters.size,
        effectsPending: effects?.gauges.pending() ?? 0,
        effectsInFlight: effects?.runner.inFlight ?? 0,
        effectsOldestAgeMs: effects?.gauges.oldestAgeMs() ?? 0,
      },
      latency: {
        command: Metrics.summarize(ctx.metrics.commandLatency()),
        recovery: Metrics.summarize(ctx.metrics.recoveryLatency),
        timerLag: Metrics.summarize(ctx.metrics.timerLag),
      },
      batchSize: ctx.metrics.batchSize.summary(),
      byAggregateType: Object.fromEntries(
        Array.from(ctx.metrics.byType, ([type, m]): [string, AggregateTypeMetrics] => [type, m.snapshot()]),
      ),
    };
  }

  /**
   * Refuses new commands, lets every mailbox drain (up to `timeoutMs`; later, queued commands
   * fail with RuntimeClosed), evicts every actor (snapshotting if due) and closes the store.
   * Idempotent.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.#shutdown === undefined) {
      const timeoutMs = options?.timeoutMs ?? 10_000;
      try {
        assertTimerMs('timeoutMs', timeoutMs);
      } catch (error) {
        return Promise.reject(error);
      }
      this.#shutdown = this.#close(timeoutMs);
    }
    return this.#shutdown;
  }

  async #close(timeoutMs: number): Promise<void> {
    const { registry, clock, logger, reaper, watchers, store, tail, waiters } = this.#ctx;
    // No new firings; those in flight finish in their actors, which drain below.
    this.#ctx.timerService?.stop();
    // Running effect attempts are aborted, their outcomes not recorded: they run again after a restart.
    const effects = this.#effects?.runner.stop();
    if (effects !== undefined) await bounded(effects, timeoutMs, clock, logger, 'effect attempts');
    // Callers waiting for room in a full mailbox never got in: they fail now, as new calls do.
    for (const request of waiters.takeAll())
      request.fail(new RuntimeClosed('shut down before the command ran'));
    // Projections first: each finishes its event and saves its checkpoint while the store is open.
    // A handler that never settles holds up the shutdown for timeoutMs at most: its projection
    // then keeps the checkpoint it saved last and resumes from there after a restart.
    const projections = Promise.all(Array.from(this.#projections.values(), (p) => p.stop()));
    await bounded(projections, timeoutMs, clock, logger, 'projection handlers');
    this.#follower.stop();
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
    watchers.endAll();
    this.#stopLeaseWatch?.();
    try {
      await store.close();
    } finally {
      // A command still running now (a decide that never settles) can no longer be stored: its
      // caller is answered rather than left waiting forever. One turn first, so that an append
      // the store finished while closing answers its caller itself.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#timeouts.clear(
        new RuntimeClosed(
          'shut down while the command was running (a validateCommand, decide or append that did not finish in time); retry it with the same commandId after a restart',
        ),
      );
    }
  }
}

/** A timer store that can record effect outcomes. */
type RescheduleStore = TimerStore & { reschedule: NonNullable<TimerStore['reschedule']> };

/** The timers of `records` that are not effect records. */
async function* withoutEffects(records: AsyncIterable<TimerRecord>): AsyncIterable<TimerRecord> {
  for await (const record of records) if (!isEffectTimerName(record.name)) yield record;
}

/**
 * Waits for `p` up to `ms`: settled in time, its rejection is thrown as before; late, shutdown
 * goes on without it (a warning), and a later rejection is logged, never left unhandled.
 */
async function bounded(
  p: Promise<unknown>,
  ms: number,
  clock: Clock,
  logger: Logger,
  what: string,
): Promise<void> {
  if (
    await within(
      p.catch(() => undefined),
      ms,
      clock,
    )
  ) {
    await p;
    return;
  }
  logger.warn({ timeoutMs: ms }, `shutdown: ${what} did not finish in time; going on without them`);
  p.catch((error: unknown) => logger.warn({ err: error }, `shutdown: ${what} failed after the timeout`));
}

/** Resolves true when `p` settles within `ms`, false otherwise; leaves no timer behind. */
async function within(p: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  if (ms === Number.POSITIVE_INFINITY) return p.then(() => true);
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

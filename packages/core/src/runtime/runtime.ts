import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import type { ActorStatus } from '../actor/actor-status.js';
import { buildInterceptorTable, type InterceptorTable } from '../actor/interceptors.js';
import { SnapshotRequest, type SnapshotResult } from '../actor/request.js';
import { type AnyAggregate, isAggregateDefinition } from '../aggregate/aggregate.js';
import { EventReader } from '../aggregate/read-events.js';
import { type Clock, systemClock } from '../clock.js';
import type { RuntimeEffects } from '../effects/effect.js';
import { EffectGauges } from '../effects/effect-gauges.js';
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
import type { EventStore } from '../store/store.js';
import { assertStorableId } from '../store/store-input.js';
import { type SubscribeOptions, Subscription } from '../subscriptions/subscription.js';
import type { TimerStore } from '../timers/timer.js';
import { TimerService } from '../timers/timer-service.js';
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
import {
  createRuntimeTimers,
  type DeliveryParts,
  deliverTimer,
  type RuntimeTimers,
} from './runtime-timers.js';
import { closeRuntime, type ShutdownOptions } from './shutdown.js';
import { WatchFollower } from './watch-follower.js';

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
      const delivery: DeliveryParts = {
        store: store.timers,
        dispatcher: this.#dispatcher,
        logger: ctx.logger,
        aggregates,
        effects: this.#effects?.runner,
        firstTime: ctx.firstTime,
      };
      const owner = options.runtimeId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
      ctx.timerService = new TimerService(
        store.timers,
        clock,
        logger.child({ component: 'timers' }),
        ctx.metrics,
        { ...options.timers, owner, retry: options.storeRetry },
        (timer) => deliverTimer(delivery, timer),
      );
      ctx.timerService.start();
    }
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
    return createRuntimeTimers({
      store,
      dispatcher: this.#dispatcher,
      counters: this.#ctx.metrics.counters,
      definition: (type, id) => this.#aggregates.get(this.get(type, id).identity.type) as AnyAggregate,
    });
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
   * already running fails with InvalidArgument; one that failed or stopped is started again, by a
   * new object: the one it replaces refuses to start again from then on.
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
      refuseStart: (p) => {
        if (this.#shutdown !== undefined) return new RuntimeClosed();
        if (this.#projections.get(def.name) !== p) {
          return new InvalidArgument(
            `projection '${def.name}' was replaced by a later runtime.project() of its name: start, restart or rebuild the object that call returned`,
          );
        }
        return undefined;
      },
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
      this.#shutdown = closeRuntime(
        {
          ctx: this.#ctx,
          effects: this.#effects?.runner,
          projections: [...this.#projections.values()],
          follower: this.#follower,
          stopLeaseWatch: this.#stopLeaseWatch,
          timeouts: this.#timeouts,
        },
        timeoutMs,
      );
    }
    return this.#shutdown;
  }
}

/** A timer store that can record effect outcomes. */
type RescheduleStore = TimerStore & { reschedule: NonNullable<TimerStore['reschedule']> };

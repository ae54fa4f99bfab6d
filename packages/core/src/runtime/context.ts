import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { AggregateActor } from '../actor/actor.js';
import type { ActorHost } from '../actor/actor-host.js';
import type { InterceptorTable } from '../actor/interceptors.js';
import type { Request } from '../actor/request.js';
import type { Clock } from '../clock.js';
import type { EffectRunner } from '../effects/effect-runner.js';
import { MailboxFull } from '../errors.js';
import { Metrics } from '../observability/metrics.js';
import type { RuntimeObserver } from '../observability/observer.js';
import type { EventStore } from '../store/store.js';
import { LogTail } from '../subscriptions/log-tail.js';
import { StoreRetry } from '../subscriptions/store-retry.js';
import { Watchers } from '../subscriptions/watchers.js';
import type { TimerService } from '../timers/timer-service.js';
import { IdleReaper } from './idle-reaper.js';
import { MailboxWaiters } from './mailbox-waiters.js';
import { Registry } from './registry.js';
import type { ResolvedOptions } from './runtime-options.js';

/** What a runtime's parts share: the host its actors see, plus the runtime's own machinery. */
export interface RuntimeContext extends ActorHost {
  readonly options: ResolvedOptions;
  readonly reaper: IdleReaper;
  readonly permits: PQueue;
  readonly registry: Registry;
  readonly watchers: Watchers;
  /** Wakes subscribers when the global log grows. */
  readonly tail: LogTail;
  /** Retries the store calls of subscriptions and projections through an outage. */
  readonly retry: StoreRetry;
  /** Fires durable timers; undefined when the store keeps none. Set once by the runtime. */
  timerService: TimerService | undefined;
  /** Runs durable effects; undefined when the store has no `timers.reschedule`. Set once by the runtime. */
  effectRunner: EffectRunner | undefined;
  /** Callers waiting for room in full mailboxes (`onMailboxFull: 'wait'`). */
  readonly waiters: MailboxWaiters;
  /**
   * Queues `request` on `actor`, behind the callers already waiting for it; when the mailbox is
   * full, lets it wait (`onMailboxFull: 'wait'`) or returns false (`'fail'`).
   */
  offer(actor: AggregateActor, request: Request): boolean;
}

/** Builds a runtime's context: one object, so an actor pays one pointer for all of it. */
export function createContext(
  store: EventStore,
  options: ResolvedOptions,
  logger: Logger,
  clock: Clock,
  interceptors: InterceptorTable = null,
  observer: RuntimeObserver | null = null,
): RuntimeContext {
  const registry = new Registry();
  const reaper = new IdleReaper(clock, options.idleTimeoutMs);
  const permits = new PQueue({ concurrency: options.maxConcurrentRecoveries });
  const watchers = new Watchers();
  const tail = new LogTail(store, clock);
  const metrics = new Metrics();
  const said = new Set<string>();
  const waiters = new MailboxWaiters();
  const offer = (actor: AggregateActor, request: Request): boolean => {
    // Behind callers already waiting: first come, first served.
    if (!waiters.has(actor)) {
      if (actor.enqueue(request)) return true;
      if (options.onMailboxFull === 'fail') return false;
    }
    metrics.counters.mailboxWaits++;
    waiters.add(actor, request);
    return true;
  };
  const ctx: RuntimeContext = {
    store,
    clock,
    logger,
    metrics,
    options,
    interceptors,
    observer,
    reaper,
    permits,
    registry,
    watchers,
    tail,
    retry: new StoreRetry(tail, options.storeRetry, metrics, logger),
    timerService: undefined,
    effectRunner: undefined,
    waiters,
    offer,
    get waiting() {
      return waiters.size;
    },
    admit: (actor) => {
      const a = actor as AggregateActor;
      waiters.admit(a, (request) => a.accepting && a.enqueue(request));
    },
    handOver: (actor) => {
      const a = actor as AggregateActor;
      for (const request of waiters.take(a)) ctx.redirect(a.def, a.id, a.streamId, request);
    },
    resident: 0,
    activating: 0,
    mailboxDepth: 0,
    batchNow: Number.NaN,
    idle: (actor) => reaper.track(actor),
    busy: (actor) => reaper.untrack(actor),
    withRecoveryPermit: (recover) => permits.add(recover),
    appended: (position) => tail.appended(position),
    timersWritten: (streamId, changes) => {
      ctx.timerService?.written(streamId, changes);
      // A cancelled or replaced effect stops running here (its attempt aborted).
      ctx.effectRunner?.written(streamId, changes);
    },
    changed: (streamId, version, state) => {
      if (watchers.size > 0) watchers.notify(streamId, version, state);
    },
    forget: (actor) => registry.forget(actor),
    isNewest: (actor) => registry.get(actor.streamId) === actor,
    redirect: (def, id, streamId, request) => {
      if (offer(registry.route(def, id, streamId), request)) return;
      metrics.counters.mailboxFull++;
      request.fail(new MailboxFull(streamId, options.mailboxCapacity));
    },
    firstTime: (key) => {
      if (said.has(key)) return false;
      said.add(key);
      return true;
    },
  };
  registry.bind(ctx);
  return ctx;
}

import type { Logger } from 'pino';
import type { AnyAggregate } from '../aggregate/aggregate.js';
import type { Clock } from '../clock.js';
import type { EffectCatalog } from '../effects/effect-catalog.js';
import type { Metrics } from '../observability/metrics.js';
import type { RuntimeObserver } from '../observability/observer.js';
import type { IdleNode } from '../runtime/idle-reaper.js';
import type { EventStore } from '../store/store.js';
import type { TimerChange } from '../timers/timer.js';
import type { InterceptorTable } from './interceptors.js';
import type { Request } from './request.js';

/** The runtime settings an actor reads. */
export interface ActorOptions {
  readonly mailboxCapacity: number;
  readonly dedupeWindow: number;
  readonly slowCommandMs: number;
  readonly maxConflictRetries: number;
  /** Commands decided together and stored in one append, at most. */
  readonly maxBatchCommands: number;
  /** About this many bytes of encoded events per batch, at most (one larger command runs alone). */
  readonly maxBatchBytes: number;
  /** Batches appending at once per actor, at most (on stores with `pipelinedAppends`; 1 elsewhere). */
  readonly maxBatchesInFlight: number;
  /** The durable effects decide may request, and the runner's settings. */
  readonly effects: EffectCatalog;
}

/** An actor as the host knows it: an idle-list node with its stream. */
export interface HostedActor extends IdleNode {
  readonly streamId: string;
}

/**
 * What an actor needs from the runtime that hosts it, and nothing more: the actor module
 * depends on this interface only, never on the registry or the runtime. One object per
 * runtime, so an actor pays one pointer for all of it.
 */
export interface ActorHost {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly options: ActorOptions;
  /** Interceptor chains by aggregate type; null when none is registered (one check on the hot path). */
  readonly interceptors: InterceptorTable;
  /** The runtime's observer (tracing); null without one. */
  readonly observer: RuntimeObserver | null;
  /** Actors that exist and are not stopped or crashed (an evicting one and its waiting successor both count). */
  resident: number;
  /** Actors waiting for or running recovery. */
  activating: number;
  /** Requests waiting in all mailboxes (not yet started). */
  mailboxDepth: number;
  /**
   * The clock's reading of the batch that began last (NaN once cleared). A dispatch clears it
   * before queueing and starts the caller's timeout from it when the request's batch began at
   * once: a reading taken after the caller called, so the timeout never ends early, and one
   * clock read per command less.
   */
  batchNow: number;
  /** Callers waiting for room in a full mailbox, over all actors (`onMailboxFull: 'wait'`). */
  readonly waiting: number;
  /** Moves the callers waiting for room in `actor`'s mailbox into it, as far as it has room. */
  admit(actor: HostedActor): void;
  /** `actor` stopped taking requests: the callers waiting for it go to the stream's next actor. */
  handOver(actor: HostedActor): void;
  /** Starts the actor's idle clock (it has nothing to do). */
  idle(actor: HostedActor): void;
  /** Stops the actor's idle clock (it got work, or it is going away). */
  busy(actor: HostedActor): void;
  /** Runs a recovery when a permit is free (bounded concurrent recoveries). */
  withRecoveryPermit(recover: () => Promise<void>): Promise<void>;
  /** An append of this runtime changed the stream's timers (the timer service's window follows). */
  timersWritten(streamId: string, changes: readonly TimerChange[]): void;
  /** The global log grew up to `position` (wakes subscribers). */
  appended(position: number): void;
  /** The stream's state changed (tells its watchers, if any). */
  changed(streamId: string, version: number, state: unknown): void;
  /** True the first time it is asked about `key` in this runtime (for warnings said once). */
  firstTime(key: string): boolean;
  /** The actor is gone: its registry entry goes, unless a successor already replaced it. */
  forget(actor: HostedActor): void;
  /** Whether `actor` is its stream's newest actor (no successor takes requests for it yet). */
  isNewest(actor: HostedActor): boolean;
  /**
   * Queues `request` on the actor that takes the stream's new requests (a successor, started
   * now, when the current one is on its way out); when that is full, fails it with MailboxFull
   * or (`onMailboxFull: 'wait'`) lets it wait for room.
   */
  redirect(def: AnyAggregate, id: string, streamId: string, request: Request): void;
}

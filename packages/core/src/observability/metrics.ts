import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { SizeCounts } from './size-counts.js';

/** Percentiles of a latency histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Monotonic counters since the runtime started. */
export interface Counters {
  commandsOk: number;
  commandsRejected: number;
  commandsFailed: number;
  eventsAppended: number;
  activations: number;
  evictions: number;
  crashes: number;
  dedupeHits: number;
  snapshotSaves: number;
  snapshotSaveFailures: number;
  snapshotHits: number;
  snapshotsIgnored: number;
  /** Snapshots not saved because the aggregate's codec cannot keep the state exactly. */
  snapshotsRefused: number;
  conflictRetries: number;
  commandTimeouts: number;
  mailboxFull: number;
  /** Store calls of subscriptions and projections tried again after a transient failure. */
  storeRetries: number;
  /** Actors evicted at once because the store lost their lease (lease mode). */
  leasesLost: number;
  /** Durable timers fired: their command was decided and the timer removed with its effect. */
  timersFired: number;
  /** Timers overdue at start with `missed: 'drop'`: removed without firing. */
  timersMissed: number;
  /** Timer firings the aggregate refused (or whose aggregate type is not served): the timer was removed. */
  timersFailed: number;
  /** Interceptor `afterAppend` / `onRefusal` hooks that threw (logged; the command was not affected). */
  listenerFailures: number;
  /** Batches of commands an actor decided together (each at most one store append). */
  batches: number;
  /** Callers that waited for room in a full mailbox (`onMailboxFull: 'wait'`). */
  mailboxWaits: number;
  /** Durable effects: attempts started (the first and every retry). */
  effectsStarted: number;
  /** Effects that succeeded: their result was recorded, to be delivered. */
  effectsSucceeded: number;
  /** Failed attempts recorded for another attempt after a back-off. */
  effectsRetried: number;
  /** Effects that failed for good (budget spent, not retryable, output not JSON): their failure was recorded, to be delivered. */
  effectsFailed: number;
  /** Effects cancelled or replaced by their aggregate (or an operator) before their outcome was recorded: not retried, not delivered. */
  effectsCancelled: number;
}

/** Percentiles of a count (the commands per batch). */
export interface SizeSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/** One aggregate type's share of the counters and the command latency. */
export interface AggregateTypeMetrics {
  commandsOk: number;
  commandsRejected: number;
  commandsFailed: number;
  activations: number;
  /** Execute requests, from the actor taking them up to the reply (as `latency.command`). */
  latency: LatencySummary;
}

/** What `runtime.metrics()` returns. */
export interface MetricsSnapshot {
  counters: Counters;
  gauges: {
    liveActors: number;
    activatingActors: number;
    mailboxDepth: number;
    idleActors: number;
    /** Subscriptions and projections waiting to retry a store call that failed transiently. */
    storeRetrying: number;
    /** Pending durable timers in the store (its count, refreshed at most once a second). */
    timersPending: number;
    /** Pending timers the timer service holds in memory (at most its window size). */
    timersHeld: number;
    /**
     * Callers waiting for room in a full mailbox (`onMailboxFull: 'wait'`); one that timed out
     * still counts until its turn comes or its actor goes.
     */
    mailboxWaiting: number;
    /** Durable effects not yet settled in the store (the effect records; refreshed at most once a second). */
    effectsPending: number;
    /** Effect attempts running in this runtime now. */
    effectsInFlight: number;
    /** Age (ms, by the runtime's clock) of the oldest effect not yet settled, from its request; 0 when none (refreshed with effectsPending). */
    effectsOldestAgeMs: number;
  };
  /** `timerLag`: from a timer's due time to its firing's reply, by the runtime's clock. */
  latency: { command: LatencySummary; recovery: LatencySummary; timerLag: LatencySummary };
  /** Commands per batch (1 when every command ran alone). */
  batchSize: SizeSummary;
  /** Commands, activations and command latency per registered aggregate type. */
  byAggregateType: Record<string, AggregateTypeMetrics>;
}

/** One aggregate type's live counters and command latency histogram. */
export class TypeMetrics {
  commandsOk = 0;
  commandsRejected = 0;
  commandsFailed = 0;
  activations = 0;
  readonly latency: RecordableHistogram = createHistogram();

  snapshot(): AggregateTypeMetrics {
    return {
      commandsOk: this.commandsOk,
      commandsRejected: this.commandsRejected,
      commandsFailed: this.commandsFailed,
      activations: this.activations,
      latency: Metrics.summarize(this.latency),
    };
  }
}

/**
 * The runtime's counters and latency histograms. Histograms are Node's built-in HDR
 * histograms (perf_hooks), recorded in microseconds and reported in milliseconds.
 */
export class Metrics {
  readonly counters: Counters = {
    commandsOk: 0,
    commandsRejected: 0,
    commandsFailed: 0,
    eventsAppended: 0,
    activations: 0,
    evictions: 0,
    crashes: 0,
    dedupeHits: 0,
    snapshotSaves: 0,
    snapshotSaveFailures: 0,
    snapshotHits: 0,
    snapshotsIgnored: 0,
    snapshotsRefused: 0,
    conflictRetries: 0,
    commandTimeouts: 0,
    mailboxFull: 0,
    storeRetries: 0,
    leasesLost: 0,
    timersFired: 0,
    timersMissed: 0,
    timersFailed: 0,
    listenerFailures: 0,
    batches: 0,
    mailboxWaits: 0,
    effectsStarted: 0,
    effectsSucceeded: 0,
    effectsRetried: 0,
    effectsFailed: 0,
    effectsCancelled: 0,
  };
  /** Per aggregate type; created for every registered type, so each shows even before its first command. */
  readonly byType = new Map<string, TypeMetrics>();
  /** Subscriptions and projections between a transient store failure and the call's success. */
  retrying = 0;
  readonly recoveryLatency: RecordableHistogram = createHistogram();
  readonly timerLag: RecordableHistogram = createHistogram();
  /** Commands per batch: exact counts, an increment per batch (size-counts.ts). */
  readonly batchSize = new SizeCounts();

  /**
   * Every execute's latency: the per-type histograms added up when asked (each command is
   * recorded once, in its type's histogram; adding exact HDR histograms loses nothing).
   */
  commandLatency(): RecordableHistogram {
    const all = createHistogram();
    for (const m of this.byType.values()) all.add(m.latency);
    return all;
  }

  /** The type `forType` was asked for last, and its metrics: one map lookup less per command. */
  #lastType: string | undefined = undefined;
  #last: TypeMetrics | undefined = undefined;

  /** The metrics of one aggregate type (created on first use). */
  forType(type: string): TypeMetrics {
    if (type === this.#lastType) return this.#last as TypeMetrics;
    let m = this.byType.get(type);
    if (m === undefined) {
      m = new TypeMetrics();
      this.byType.set(type, m);
    }
    this.#lastType = type;
    this.#last = m;
    return m;
  }

  /** Records a duration given in milliseconds. */
  static record(h: RecordableHistogram, ms: number): void {
    h.record(Math.max(1, Math.round(ms * 1000)));
  }

  static summarize(h: RecordableHistogram): LatencySummary {
    if (h.count === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    const ms = (us: number) => us / 1000;
    return {
      count: h.count,
      min: ms(h.min),
      max: ms(h.max),
      mean: ms(h.mean),
      p50: ms(h.percentile(50)),
      p90: ms(h.percentile(90)),
      p99: ms(h.percentile(99)),
    };
  }
}

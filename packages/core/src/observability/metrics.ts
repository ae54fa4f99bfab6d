import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

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
  conflictRetries: number;
  commandTimeouts: number;
  mailboxFull: number;
}

/** What `runtime.metrics()` returns. */
export interface MetricsSnapshot {
  counters: Counters;
  gauges: { liveActors: number; activatingActors: number; mailboxDepth: number; idleActors: number };
  latency: { command: LatencySummary; recovery: LatencySummary };
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
    conflictRetries: 0,
    commandTimeouts: 0,
    mailboxFull: 0,
  };
  readonly commandLatency: RecordableHistogram = createHistogram();
  readonly recoveryLatency: RecordableHistogram = createHistogram();

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

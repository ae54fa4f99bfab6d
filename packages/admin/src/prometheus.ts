/**
 * The Prometheus text exposition format (version 0.0.4) of a runtime's metrics snapshot.
 * Written by hand rather than with prom-client: the runtime already keeps its own counters and
 * computes latency quantiles in its HDR histograms, while prom-client wants to own the
 * observations; rendering a finished snapshot is a few lines of text.
 */
import type { MetricsSnapshot } from '@actorfold/core';
import { labelText } from './histogram.js';

/** The content type Prometheus scrapers expect for this format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const COUNTER_HELP: Readonly<Record<string, string>> = {
  commandsOk: 'Commands that succeeded',
  commandsRejected: 'Commands refused by a business rule (reject)',
  commandsFailed: 'Commands that failed for any other reason',
  eventsAppended: 'Events appended to the store',
  activations: 'Actors activated',
  evictions: 'Actors evicted',
  crashes: 'Actors that crashed',
  dedupeHits: 'Retries answered from the commandId dedupe window',
  snapshotSaves: 'Snapshots saved',
  snapshotSaveFailures: 'Snapshot saves that failed',
  snapshotHits: 'Recoveries that started from a snapshot',
  snapshotsIgnored: 'Snapshots ignored as unreadable or of another schema version',
  conflictRetries: 'Commands re-decided after a conflicting append',
  commandTimeouts: 'Callers that stopped waiting (CommandTimeout)',
  mailboxFull: 'Commands refused with MailboxFull',
  storeRetries: 'Store calls of subscriptions and projections retried after a transient failure',
  leasesLost: 'Actors evicted at once because the store lost their lease',
  listenerFailures:
    'Interceptor afterAppend/onRefusal hooks that threw (logged; the command was not affected)',
  snapshotsRefused: 'Snapshots not saved because the codec cannot keep the state exactly',
  timersFired: 'Durable timers fired (their command decided, the timer removed with its effect)',
  timersMissed: "Durable timers overdue at start with missed: 'drop', removed without firing",
  timersFailed: 'Durable timer firings the aggregate refused (the timer was removed)',
  effectsStarted: 'Durable effect attempts started (the first and every retry)',
  effectsSucceeded: 'Durable effects that succeeded (their result recorded, to be delivered)',
  effectsRetried: 'Failed durable effect attempts recorded for another attempt after a back-off',
  effectsFailed: 'Durable effects that failed for good (budget spent, not retryable, output not JSON)',
  effectsCancelled: 'Durable effects cancelled or replaced before their outcome was recorded (not retried)',
  batches: 'Batches of commands an actor decided together (each at most one store append)',
  mailboxWaits: "Callers that waited for room in a full mailbox (onMailboxFull 'wait')",
};

const GAUGE_HELP: Readonly<Record<string, string>> = {
  liveActors: 'Resident actors',
  activatingActors: 'Actors recovering from the store',
  mailboxDepth: 'Requests waiting in all mailboxes',
  idleActors: 'Resident actors with nothing to do',
  storeRetrying: 'Subscriptions and projections waiting to retry a store call (the store is unreachable)',
  timersPending: 'Durable timers pending in the store',
  timersHeld: 'Pending durable timers the timer service holds in memory (its window)',
  effectsPending: 'Durable effects not yet settled in the store (refreshed at most once a second)',
  effectsInFlight: 'Durable effect attempts running in this runtime',
  effectsOldestAgeMs:
    'Age in ms of the oldest durable effect not yet settled, from its request (0 when none)',
  mailboxWaiting: "Callers waiting for room in a full mailbox (onMailboxFull 'wait')",
};

/** Summaries named otherwise than `<key>_latency_seconds`, with their help. */
const SUMMARY: Readonly<Record<string, { name: string; help: string }>> = {
  timerLag: {
    name: 'actorfold_timer_lag_seconds',
    help: "From a durable timer's due time to its firing's end, in seconds (the runtime's clock)",
  },
};

/** `commandsOk` → `commands_ok` */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A number in the exposition format (which spells infinities and NaN its own way). */
function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

/**
 * Renders the snapshot: counters as `actorfold_<name>_total`, gauges as `actorfold_<name>`, each
 * latency histogram as a summary in seconds (quantiles 0.5, 0.9, 0.99, `_sum`, `_count`), the
 * commands per batch as the summary `actorfold_batch_size` (same quantiles), and the per-type
 * share as `actorfold_aggregate_commands_total{aggregate_type,outcome}`,
 * `actorfold_aggregate_activations_total{aggregate_type}` and
 * `actorfold_aggregate_command_latency_seconds{aggregate_type}`.
 * @example res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE).end(toPrometheus(runtime.metrics()));
 */
export function toPrometheus(m: MetricsSnapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, lines: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  for (const [key, value] of Object.entries(m.counters)) {
    const name = `actorfold_${snake(key)}_total`;
    metric(name, 'counter', COUNTER_HELP[key] ?? key, [`${name} ${num(value)}`]);
  }
  for (const [key, value] of Object.entries(m.gauges)) {
    const name = `actorfold_${snake(key)}`;
    metric(name, 'gauge', GAUGE_HELP[key] ?? key, [`${name} ${num(value)}`]);
  }
  for (const [key, s] of Object.entries(m.latency)) {
    const name = SUMMARY[key]?.name ?? `actorfold_${snake(key)}_latency_seconds`;
    const sec = (ms: number) => num(ms / 1000);
    metric(name, 'summary', SUMMARY[key]?.help ?? `${key} latency in seconds`, [
      `${name}{quantile="0.5"} ${sec(s.p50)}`,
      `${name}{quantile="0.9"} ${sec(s.p90)}`,
      `${name}{quantile="0.99"} ${sec(s.p99)}`,
      `${name}_sum ${sec(s.mean * s.count)}`,
      `${name}_count ${num(s.count)}`,
    ]);
  }
  const b = m.batchSize;
  if (b !== undefined) {
    const name = 'actorfold_batch_size';
    metric(name, 'summary', 'Commands per batch (stored with one append)', [
      `${name}{quantile="0.5"} ${num(b.p50)}`,
      `${name}{quantile="0.9"} ${num(b.p90)}`,
      `${name}{quantile="0.99"} ${num(b.p99)}`,
      `${name}_sum ${num(Math.round(b.mean * b.count))}`,
      `${name}_count ${num(b.count)}`,
    ]);
  }
  byAggregateType(m, metric);
  return `${out.join('\n')}\n`;
}

/**
 * The per-type share of commands, activations and command latency, as metrics of their own with
 * an `aggregate_type` label (the unlabelled totals above keep their names and meaning, so a
 * `sum()` over either never counts twice). A snapshot without `byAggregateType` (an older
 * runtime) renders none.
 */
function byAggregateType(
  m: MetricsSnapshot,
  metric: (name: string, type: string, help: string, lines: string[]) => void,
): void {
  const types = Object.entries(m.byAggregateType ?? {});
  if (types.length === 0) return;
  const commands = 'actorfold_aggregate_commands_total';
  metric(
    commands,
    'counter',
    'Commands per aggregate type and outcome (ok, rejected, failed)',
    types.flatMap(([type, t]) => [
      `${commands}${labelText({ aggregate_type: type, outcome: 'ok' })} ${num(t.commandsOk)}`,
      `${commands}${labelText({ aggregate_type: type, outcome: 'rejected' })} ${num(t.commandsRejected)}`,
      `${commands}${labelText({ aggregate_type: type, outcome: 'failed' })} ${num(t.commandsFailed)}`,
    ]),
  );
  const activations = 'actorfold_aggregate_activations_total';
  metric(
    activations,
    'counter',
    'Actors activated per aggregate type',
    types.map(([type, t]) => `${activations}${labelText({ aggregate_type: type })} ${num(t.activations)}`),
  );
  const latency = 'actorfold_aggregate_command_latency_seconds';
  const sec = (ms: number) => num(ms / 1000);
  metric(
    latency,
    'summary',
    'Command latency per aggregate type in seconds',
    types.flatMap(([type, t]) => {
      const s = t.latency;
      const q = (quantile: string) => labelText({ aggregate_type: type, quantile });
      const l = labelText({ aggregate_type: type });
      return [
        `${latency}${q('0.5')} ${sec(s.p50)}`,
        `${latency}${q('0.9')} ${sec(s.p90)}`,
        `${latency}${q('0.99')} ${sec(s.p99)}`,
        `${latency}_sum${l} ${sec(s.mean * s.count)}`,
        `${latency}_count${l} ${num(s.count)}`,
      ];
    }),
  );
}

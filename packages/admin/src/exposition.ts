/**
 * The whole Prometheus exposition of a daemon: the runtime's counters, gauges and latency
 * summaries (prometheus.ts), per aggregate type and per projection gauges, readiness, the
 * process and Node.js metrics, and whatever histograms the host adds (the example daemon's
 * command latency by aggregate type). Served on the admin socket's `/metrics` and on the
 * optional TCP listener (serve-metrics.ts).
 */
import type { IntervalHistogram } from 'node:perf_hooks';
import type { Runtime } from '@actorfold/core';
import { type Histogram, labelText } from './histogram.js';
import { processMetrics } from './process-metrics.js';
import { toPrometheus } from './prometheus.js';
import { readiness } from './readiness.js';

export interface ExpositionOptions {
  /** Histograms the host observes (rendered after the runtime's metrics). */
  histograms?: readonly Histogram[];
  /** An enabled event-loop delay monitor, for `nodejs_eventloop_lag_*`. */
  eventLoop?: IntervalHistogram;
}

/** The exposition text for `runtime` now. */
export async function exposition(runtime: Runtime, options: ExpositionOptions = {}): Promise<string> {
  const ready = (await readiness(runtime)).ready;
  const parts = [toPrometheus(runtime.metrics()), runtimeDetail(runtime, ready)];
  for (const h of options.histograms ?? []) parts.push(h.render());
  parts.push(processMetrics(options.eventLoop));
  return parts.join('');
}

/** What the runtime exposes per aggregate type (resident actors, queued requests) and per projection. */
function runtimeDetail(runtime: Runtime, ready: boolean): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${value}`);
  };
  const byType = new Map<string, { actors: number; queued: number }>(
    runtime.aggregateTypes.map((t) => [t, { actors: 0, queued: 0 }]),
  );
  for (const a of runtime.actors()) {
    const t = byType.get(a.type) ?? { actors: 0, queued: 0 };
    t.actors++;
    t.queued += a.mailboxDepth;
    byType.set(a.type, t);
  }
  const types = [...byType];
  gauge(
    'actorfold_resident_actors',
    'Resident actors per aggregate type',
    types.map(([t, v]) => [{ aggregate_type: t }, v.actors]),
  );
  gauge(
    'actorfold_mailbox_depth_by_type',
    'Requests waiting in the mailboxes of each aggregate type',
    types.map(([t, v]) => [{ aggregate_type: t }, v.queued]),
  );
  const projections = runtime.projections();
  gauge(
    'actorfold_projection_lag_events',
    'Events in the log after the projection position',
    projections.map((p) => [{ projection: p.name }, p.lag]),
  );
  gauge(
    'actorfold_projection_position',
    'Global position of the last event the projection handled',
    projections.map((p) => [{ projection: p.name }, p.position]),
  );
  gauge(
    'actorfold_projection_up',
    '1 while the projection runs, 0 once it failed or stopped',
    projections.map((p) => [{ projection: p.name }, p.state === 'failed' || p.state === 'stopped' ? 0 : 1]),
  );
  gauge('actorfold_ready', '1 when the daemon is ready for traffic (GET /v1/ready)', [[{}, ready ? 1 : 0]]);
  // Its own gauge, so that an alert can tell "restart it" from "wait for the projections".
  gauge(
    'actorfold_store_refusing_writes',
    '1 while the store refuses every write until it is reopened (restart the daemon)',
    [[{}, runtime.store.writeRefusal?.() === undefined ? 0 : 1]],
  );
  return `${out.join('\n')}\n`;
}

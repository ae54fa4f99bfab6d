// What talking to an admin socket needs: also its own, lighter entry point (@actorfold/admin/client).
export * from './client.js';
export {
  type EffectListing,
  effectView,
  listEffects,
  runtimeEffects,
} from './effect-listing.js';
export { NDJSON_CONTENT_TYPE, type SubscribeOptions } from './event-tail.js';
export { type ExpositionOptions, exposition } from './exposition.js';
export { Histogram, LATENCY_BUCKETS } from './histogram.js';
export { PROMETHEUS_CONTENT_TYPE, toPrometheus } from './prometheus.js';
export { readiness } from './readiness.js';
export { type AdminServer, type AdminServerOptions, serveAdmin } from './serve-admin.js';
export { type MetricsServer, type MetricsServerOptions, serveMetrics } from './serve-metrics.js';
export { listTimers, OVERDUE_MS, type TimerListing } from './timer-listing.js';

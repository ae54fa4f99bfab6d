export { type AdminClient, adminClient, type TailOptions } from './admin-client.js';
export {
  AdminError,
  type AdminErrorCode,
  type ErrorBody,
  httpStatusOf,
  isAdminError,
} from './admin-error.js';
export {
  type ActorsView,
  type ActorView,
  EFFECT_STATES,
  type EffectAbandonedView,
  type EffectRetriedView,
  type EffectsView,
  type EffectView,
  type EventsView,
  type EvictView,
  type FiredTimerView,
  type HealthView,
  type InspectView,
  type MetricsView,
  type ProjectionsView,
  type ReadyView,
  type SnapshotsView,
  type SnapshotTakenView,
  type StatsView,
  type StreamsView,
  TIMER_STATUSES,
  type TimerCancelledView,
  type TimerFiredView,
  type TimerStatus,
  type TimersView,
  type TimerView,
} from './admin-views.js';
export {
  type EffectListing,
  effectView,
  listEffects,
  runtimeEffects,
} from './effect-listing.js';
export {
  type EventFilter,
  eventMatcher,
  filteredPage,
  isFiltering,
  parseInstant,
} from './event-filter.js';
export { NDJSON_CONTENT_TYPE, type SubscribeOptions } from './event-tail.js';
export { type ExpositionOptions, exposition } from './exposition.js';
export { Histogram, LATENCY_BUCKETS } from './histogram.js';
export { PROMETHEUS_CONTENT_TYPE, toPrometheus } from './prometheus.js';
export { readiness } from './readiness.js';
export { type AdminServer, type AdminServerOptions, serveAdmin } from './serve-admin.js';
export { type MetricsServer, type MetricsServerOptions, serveMetrics } from './serve-metrics.js';
export { listTimers, OVERDUE_MS, type TimerListing } from './timer-listing.js';

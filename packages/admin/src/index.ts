export { type AdminClient, adminClient, type TailOptions } from './admin-client.js';
export {
  AdminError,
  type AdminErrorCode,
  type ErrorBody,
  httpStatusOf,
  isAdminError,
} from './admin-error.js';
export type {
  ActorsView,
  ActorView,
  EffectAbandonedView,
  EffectRetriedView,
  EffectsView,
  EffectView,
  EventsView,
  EvictView,
  FiredTimerView,
  HealthView,
  InspectView,
  MetricsView,
  ProjectionsView,
  ReadyView,
  SnapshotsView,
  SnapshotTakenView,
  StatsView,
  StreamsView,
  TimerCancelledView,
  TimerFiredView,
  TimerStatus,
  TimersView,
  TimerView,
} from './admin-views.js';
export {
  EFFECT_STATES,
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
export { listTimers, OVERDUE_MS, TIMER_STATUSES, type TimerListing } from './timer-listing.js';

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
  EventsView,
  EvictView,
  HealthView,
  InspectView,
  MetricsView,
  ProjectionsView,
  SnapshotsView,
  SnapshotTakenView,
  StatsView,
  StreamsView,
} from './admin-views.js';
export { NDJSON_CONTENT_TYPE, type SubscribeOptions } from './event-tail.js';
export { PROMETHEUS_CONTENT_TYPE, toPrometheus } from './prometheus.js';
export { type AdminServer, type AdminServerOptions, serveAdmin } from './serve-admin.js';

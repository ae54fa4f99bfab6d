/**
 * The `@actorfold/admin/client` entry point: what talking to an admin socket needs — the client,
 * its errors, the views it returns, the statuses and event filters its queries take — without the
 * server, pino or the runtime. A short-lived process such as the CLI starts faster on it.
 * Every name here is also exported by the main entry.
 */
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
export { type EventFilter, eventMatcher, filteredPage, isFiltering, parseInstant } from './event-filter.js';

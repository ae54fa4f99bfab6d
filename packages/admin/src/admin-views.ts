/**
 * The JSON shapes the admin routes answer with: the contract between the server, its client and
 * the CLI's `--json` output (docs/operations.md lists them per route); and the statuses the
 * timer and effect listings take.
 */
import type {
  ActorInfo,
  Command,
  EffectError,
  EffectState,
  EventEnvelope,
  MetricsSnapshot,
  MissedTimerPolicy,
  ProjectionStatus,
  RuntimeStats,
  Snapshot,
} from '@actorfold/core';

/** `GET /v1/health` */
export interface HealthView {
  ok: true;
  pid: number;
  uptimeMs: number;
  aggregateTypes: string[];
}

/** `GET /v1/ready`: 200 when ready, 503 with the reasons when not. */
export type ReadyView = { ready: true } | { ready: false; reasons: string[] };

/** One resident actor; `stateBytes` only when asked for (`stateSize=true`), else absent. */
export interface ActorView extends ActorInfo {
  stateBytes?: number;
}

/** `GET /v1/actors` */
export interface ActorsView {
  /** Resident actors matching the filter, before `limit`. */
  total: number;
  /** Every resident actor (whatever the filter) counted per aggregate type. */
  byType: Record<string, number>;
  actors: ActorView[];
}

/** `GET /v1/actors/:type/:id` */
export interface InspectView {
  type: string;
  id: string;
  streamId: string;
  /** Whether an actor was resident before this request (inspecting activates one). */
  wasResident: boolean;
  actor: ActorInfo | undefined;
  version: number;
  state: unknown;
  /** Bytes of the state's JSON. */
  stateBytes: number;
  /** The newest events, oldest first. */
  recentEvents: EventEnvelope[];
}

/** `GET /v1/streams`: a page of streams in id order; `next` is the `after` of the next page. */
export interface StreamsView {
  streams: Array<{ streamId: string; version: number }>;
  next: string | null;
}

/** `GET /v1/events`: a page of one stream (by version) or of the global log (by position). */
export interface EventsView {
  stream: string | null;
  events: EventEnvelope[];
  /** The `from` of the next page, or null at the end. */
  next: number | null;
}

/** `GET /v1/snapshots` */
export interface SnapshotsView {
  stream: string;
  version: number;
  snapshots: Snapshot[];
}

/** `GET /v1/stats` */
export interface StatsView {
  pid: number;
  uptimeMs: number;
  aggregateTypes: string[];
  runtime: RuntimeStats;
  /** The store's own counters, when it has any (LevelDB: batches, appends, events, cachedHeads). */
  store: Record<string, number> | null;
}

/** `GET /v1/projections`: every projection the runtime runs (`error` as its message). */
export interface ProjectionsView {
  projections: Array<Omit<ProjectionStatus, 'error'> & { error?: string }>;
}

/** `GET /v1/metrics` */
export type MetricsView = MetricsSnapshot;

/** `POST /v1/actors/:type/:id/evict` */
export interface EvictView {
  streamId: string;
  evicted: boolean;
}

/** `POST /v1/actors/:type/:id/snapshot` */
export interface SnapshotTakenView {
  streamId: string;
  version: number;
  saved: boolean;
}

/** One pending durable timer, as `GET /v1/timers` and `actorfold timers` show it. */
export interface TimerView {
  streamId: string;
  name: string;
  /** ISO 8601 UTC; beyond the range of a Date, the same calendar with a longer year (iso-time.ts). */
  dueAt: string;
  /** How long ago it came due, in ms (0 when not yet due). */
  lateMs: number;
  /** The version of the decision that scheduled it (its firing's commandId is `timer:<name>@<version>`). */
  version: number;
  command: Command;
  missed: MissedTimerPolicy;
}

/** A timer that fired: the first event its firing recorded. */
export interface FiredTimerView {
  streamId: string;
  name: string;
  /** The version of the decision that scheduled it. */
  scheduledAt: number;
  /** The stream version of the first event the firing recorded. */
  version: number;
  eventType: string;
  /** When that event was appended (ISO 8601). */
  firedAt: string;
}

/** Which timers a listing shows: every pending one, the due ones, those due for over a minute, or the fired ones. */
export type TimerStatus = 'pending' | 'due' | 'overdue' | 'fired';

/** The timer statuses, for argument checks. */
export const TIMER_STATUSES: readonly TimerStatus[] = ['pending', 'due', 'overdue', 'fired'];

/** The effect states a listing shows, for argument checks. */
export const EFFECT_STATES: readonly EffectState[] = [
  'pending',
  'running',
  'retrying',
  'delivering',
  'failed',
];

/** `GET /v1/timers` */
export interface TimersView {
  /** The runtime's clock when listed (ISO 8601). */
  now: string;
  status: TimerStatus;
  /** Pending timers in the store, all streams (not only those listed). */
  pending: number;
  /** With status pending, due or overdue. */
  timers: TimerView[];
  /** With status fired (one stream's, newest first). */
  fired: FiredTimerView[];
}

/** `POST /v1/timers/:type/:id/:name/fire` */
export interface TimerFiredView {
  streamId: string;
  name: string;
  /** `fired`, `nothing` (decided no event), `refused`, or `stale` (no longer pending). */
  outcome: 'fired' | 'nothing' | 'refused' | 'stale';
  version: number;
}

/** `POST /v1/timers/:type/:id/:name/cancel` */
export interface TimerCancelledView {
  streamId: string;
  name: string;
  cancelled: boolean;
}

/** One durable effect not yet settled, as `GET /v1/effects` and `actorfold effects` show it. */
export interface EffectView {
  streamId: string;
  /** Unique among the stream's pending effects. */
  id: string;
  /** The registered implementation's name. */
  name: string;
  /** The version of the decision that requested it: with `id`, the effect's identity. */
  version: number;
  state: EffectState;
  attempts: number;
  input: unknown;
  /** When it runs next, or its result is delivered (ISO 8601 UTC, as `TimerView.dueAt`). */
  nextAt: string;
  /** When decide requested it (ISO 8601 UTC). */
  requestedAt: string;
  /** Since it was requested, in ms. */
  ageMs: number;
  /** Why the last attempt failed. */
  lastError?: EffectError;
  /** The command type its result is delivered as. */
  resultType: string;
}

/** `GET /v1/effects` */
export interface EffectsView {
  /** The daemon's clock when listed (ISO 8601). */
  now: string;
  /** The state asked for; null for every state. */
  state: EffectState | null;
  /** Effects not yet settled, all streams and states (not only those listed). */
  unsettled: number;
  effects: EffectView[];
}

/** `POST /v1/effects/:type/:id/:effect/retry` */
export interface EffectRetriedView {
  streamId: string;
  id: string;
  retried: true;
}

/** `POST /v1/effects/:type/:id/:effect/abandon` */
export interface EffectAbandonedView {
  streamId: string;
  id: string;
  abandoned: true;
  reason: string | null;
}

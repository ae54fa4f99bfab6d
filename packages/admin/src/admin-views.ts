/**
 * The JSON shapes the admin routes answer with: the contract between the server, its client and
 * the CLI's `--json` output (docs/operations.md lists them per route).
 */
import type {
  ActorInfo,
  EventEnvelope,
  MetricsSnapshot,
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

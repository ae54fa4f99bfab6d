/**
 * The admin routes: read views over a runtime and its store, and the actions (evict, snapshot
 * now, fire or cancel a durable timer, retry or abandon a durable effect). None of them appends: the actions go through the actor's mailbox like any command, so an
 * admin request cannot break a stream's single writer or its versions.
 */
import { type EffectState, type EventStore, isEffectTimerName, type Runtime } from '@actorfold/core';
import { AdminError } from './admin-error.js';
import {
  type ActorsView,
  type ActorView,
  EFFECT_STATES,
  type EffectAbandonedView,
  type EffectRetriedView,
  type EffectsView,
  type EffectView,
  type EventsView,
  type EvictView,
  type HealthView,
  type InspectView,
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
} from './admin-views.js';
import { effectView, listEffects, runtimeEffects } from './effect-listing.js';
import { type EventFilter, eventMatcher, filteredPage, isFiltering, parseInstant } from './event-filter.js';
import { type ExpositionOptions, exposition } from './exposition.js';
import { boolParam, intParam, listParam, onlyParams, stringParam } from './query.js';
import { readiness } from './readiness.js';
import { listTimers } from './timer-listing.js';

/** Page sizes: defaults and ceilings, so one request cannot ask the daemon for everything. */
const PAGE = { default: 100, max: 10_000 } as const;
/** Measuring state sizes asks each actor through its mailbox: a smaller ceiling then. */
const STATE_SIZE_MAX = 1000;
const RECENT_EVENTS = { default: 20, max: 1000 } as const;

/** What a route handler sees. */
export interface RouteContext {
  readonly runtime: Runtime;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  readonly startedAt: number;
  /** What `/metrics` adds to the runtime's own metrics. */
  readonly exposition: ExpositionOptions;
}

/** A store that can list its streams (the LevelDB store can; the contract does not require it). */
interface ListingStore extends EventStore {
  listStreams(opts: { prefix?: string; after?: string; limit?: number }): AsyncIterable<{
    streamId: string;
    version: number;
  }>;
}

/** A store that counts its own work (the LevelDB store does). */
interface CountingStore extends EventStore {
  stats(): Record<string, number>;
}

export function health({ runtime, query, startedAt }: RouteContext): HealthView {
  onlyParams(query, []);
  return {
    ok: true,
    pid: process.pid,
    uptimeMs: Date.now() - startedAt,
    aggregateTypes: runtime.aggregateTypes,
  };
}

export function ready({ runtime, query }: RouteContext): Promise<ReadyView> {
  onlyParams(query, []);
  return readiness(runtime);
}

export function stats({ runtime, query, startedAt }: RouteContext): StatsView {
  onlyParams(query, []);
  const store = runtime.store as Partial<CountingStore>;
  return {
    pid: process.pid,
    uptimeMs: Date.now() - startedAt,
    aggregateTypes: runtime.aggregateTypes,
    runtime: runtime.stats(),
    store: typeof store.stats === 'function' ? { ...store.stats() } : null,
  };
}

export function projections({ runtime, query }: RouteContext): ProjectionsView {
  onlyParams(query, []);
  return {
    projections: runtime
      .projections()
      .map(({ error, ...status }) => (error === undefined ? status : { ...status, error: error.message })),
  };
}

export function metricsJson({ runtime, query }: RouteContext) {
  onlyParams(query, []);
  return runtime.metrics();
}

export function metricsText({ runtime, query, exposition: options }: RouteContext): Promise<string> {
  onlyParams(query, []);
  return exposition(runtime, options);
}

/**
 * Resident actors in stream id order (or, with `sort=mailbox`, fullest mailbox first), optionally
 * with the byte size of each state's JSON; `byType` counts every resident actor per type.
 */
export async function actors({ runtime, query }: RouteContext): Promise<ActorsView> {
  onlyParams(query, ['type', 'limit', 'stateSize', 'sort']);
  const type = stringParam(query, 'type');
  const withSize = boolParam(query, 'stateSize');
  const sort = stringParam(query, 'sort') ?? 'stream';
  if (sort !== 'stream' && sort !== 'mailbox')
    throw new AdminError('BAD_REQUEST', `sort must be stream or mailbox, got ${JSON.stringify(sort)}`);
  const limit = intParam(query, 'limit', PAGE.default, 1, withSize ? STATE_SIZE_MAX : PAGE.max);
  const resident = runtime.actors();
  const byType: Record<string, number> = {};
  for (const a of resident) byType[a.type] = (byType[a.type] ?? 0) + 1;
  const all = resident.filter((a) => type === undefined || a.type === type);
  const byStream = (a: ActorView, b: ActorView) =>
    a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0;
  all.sort(sort === 'mailbox' ? (a, b) => b.mailboxDepth - a.mailboxDepth || byStream(a, b) : byStream);
  const listed: ActorView[] = all.slice(0, limit);
  if (withSize) {
    // One state request per actor, in its mailbox order: a consistent state, at the price of
    // counting as activity for the idle timer. Hence opt-in and capped.
    await Promise.all(
      listed.map(async (a) => {
        const handle = runtime.get(a.type, a.id);
        if (!handle.isAlive()) return; // evicted meanwhile: do not activate it just to measure it
        a.stateBytes = jsonBytes((await handle.state()).state);
      }),
    );
  }
  return { total: all.length, byType, actors: listed };
}

/** One aggregate's state, its actor (when resident) and its newest events. */
export async function inspect({ runtime, query, params }: RouteContext): Promise<InspectView> {
  onlyParams(query, ['events']);
  const count = intParam(query, 'events', RECENT_EVENTS.default, 0, RECENT_EVENTS.max);
  const handle = runtime.get(params.type as string, params.id as string);
  const { streamId } = handle;
  const wasResident = handle.isAlive();
  // Checked first, so that asking for an id that does not exist never spawns an actor for it.
  if (!wasResident && (await runtime.store.streamVersion(streamId)) === 0) {
    throw new AdminError('NOT_FOUND', `${streamId} has no events`);
  }
  const { state, version } = await handle.state();
  const recentEvents =
    count === 0
      ? []
      : await collect(
          runtime.store.readStream(streamId, { fromVersion: Math.max(1, version - count + 1), limit: count }),
        );
  return {
    type: handle.identity.type,
    id: handle.identity.id,
    streamId,
    wasResident,
    actor: runtime.actors().find((a) => a.streamId === streamId),
    version,
    state,
    stateBytes: jsonBytes(state),
    recentEvents,
  };
}

export async function evict({ runtime, query, params }: RouteContext): Promise<EvictView> {
  onlyParams(query, []);
  const handle = runtime.get(params.type as string, params.id as string);
  return {
    streamId: handle.streamId,
    evicted: await runtime.evict(handle.identity.type, handle.identity.id),
  };
}

export async function snapshotNow({ runtime, query, params }: RouteContext): Promise<SnapshotTakenView> {
  onlyParams(query, []);
  const handle = runtime.get(params.type as string, params.id as string);
  if (!handle.isAlive() && (await runtime.store.streamVersion(handle.streamId)) === 0) {
    throw new AdminError('NOT_FOUND', `${handle.streamId} has no events`);
  }
  const r = await runtime.snapshot(handle.identity.type, handle.identity.id);
  return { streamId: handle.streamId, version: r.version, saved: r.saved };
}

/** A page of streams in id order (stores that can list them: the LevelDB store). */
export async function streams({ runtime, query }: RouteContext): Promise<StreamsView> {
  onlyParams(query, ['prefix', 'after', 'limit']);
  const store = runtime.store as Partial<ListingStore>;
  if (typeof store.listStreams !== 'function') {
    throw new AdminError('NOT_SUPPORTED', 'this store cannot list its streams');
  }
  const limit = intParam(query, 'limit', PAGE.default, 1, PAGE.max);
  const prefix = stringParam(query, 'prefix');
  const after = stringParam(query, 'after');
  const page = await collect(
    store.listStreams({
      ...(prefix === undefined ? {} : { prefix }),
      ...(after === undefined ? {} : { after }),
      limit: limit + 1,
    }),
  );
  const more = page.length > limit;
  const list = page.slice(0, limit).map(({ streamId, version }) => ({ streamId, version }));
  return { streams: list, next: more ? (list.at(-1)?.streamId ?? null) : null };
}

/**
 * A page of one stream's events (`stream`, from a version; or its `last` n) or of the global log
 * (from a position), optionally only of some event types (`type=a,b`) and times (`since`, `until`:
 * ISO 8601; `since` inclusive, `until` exclusive). With a filter, `limit` and `last` count matching
 * events, and the read goes on until it has them (or reaches the end).
 */
export async function events({ runtime, query }: RouteContext): Promise<EventsView> {
  onlyParams(query, ['stream', 'from', 'last', 'limit', 'type', 'since', 'until']);
  const stream = stringParam(query, 'stream');
  const from = intParam(query, 'from', 1, 1, Number.MAX_SAFE_INTEGER);
  const last = intParam(query, 'last', 0, 1, PAGE.max);
  const limit = intParam(query, 'limit', PAGE.default, 1, PAGE.max);
  const filter: EventFilter = {
    ...optional('types', listParam(query, 'type')),
    ...optional('since', instantParam(query, 'since')),
    ...optional('until', instantParam(query, 'until')),
  };
  if (last > 0 && (stream === undefined || query.has('from'))) {
    throw new AdminError('BAD_REQUEST', 'last takes a stream and no from');
  }
  const store = runtime.store;
  let start = from;
  if (stream !== undefined) {
    const version = await store.streamVersion(stream);
    if (version === 0) throw new AdminError('NOT_FOUND', `stream ${stream} has no events`);
    // Unfiltered, the newest n are simply the last n versions; filtered, the whole stream is read.
    if (last > 0 && !isFiltering(filter)) start = Math.max(1, version - last + 1);
  }
  const read = (max: number | undefined) => {
    const bound = max === undefined ? {} : { limit: max };
    return stream === undefined
      ? store.readAll({ fromPosition: start, ...bound })
      : store.readStream(stream, { fromVersion: start, ...bound });
  };
  const n = last > 0 ? last : limit;
  const { events: list, more } = isFiltering(filter)
    ? await filteredPage(read(undefined), eventMatcher(filter), { limit: n, last: last > 0 })
    : await filteredPage(read(n + 1), () => true, { limit: n });
  const end = list.at(-1);
  const next = more && end !== undefined ? (stream === undefined ? end.position : end.version) + 1 : null;
  return { stream: stream ?? null, events: list, next };
}

function instantParam(q: URLSearchParams, name: string): number | undefined {
  const raw = stringParam(q, name);
  if (raw === undefined) return undefined;
  const at = parseInstant(raw);
  if (at === undefined)
    throw new AdminError(
      'BAD_REQUEST',
      `${name} must be an ISO 8601 time (like 2026-03-01T12:00:00Z), got ${JSON.stringify(raw)}`,
    );
  return at;
}

/** `{ [key]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export async function snapshots({ runtime, query }: RouteContext): Promise<SnapshotsView> {
  onlyParams(query, ['stream']);
  const stream = stringParam(query, 'stream');
  if (stream === undefined)
    throw new AdminError('BAD_REQUEST', 'stream is required (for example stream=account/alice)');
  const version = await runtime.store.streamVersion(stream);
  if (version === 0) throw new AdminError('NOT_FOUND', `stream ${stream} has no events`);
  return { stream, version, snapshots: await runtime.store.snapshots.list(stream) };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'undefined');
}

/** Pending (or due, overdue, fired) durable timers. */
export async function timers({ runtime, query }: RouteContext): Promise<TimersView> {
  onlyParams(query, ['status', 'stream', 'dueBefore', 'limit']);
  const store = runtime.store.timers;
  if (store === undefined) throw new AdminError('NOT_SUPPORTED', 'this store keeps no timers');
  const status = (stringParam(query, 'status') ?? 'pending') as TimerStatus;
  if (!TIMER_STATUSES.includes(status))
    throw new AdminError('BAD_REQUEST', `status must be one of ${TIMER_STATUSES.join(', ')}, got ${status}`);
  const streamId = stringParam(query, 'stream');
  const dueBefore = instantParam(query, 'dueBefore');
  // The daemon's clock is the system clock: due and overdue are judged by it.
  return listTimers(store, (s) => runtime.store.readStream(s), Date.now(), {
    status,
    limit: intParam(query, 'limit', PAGE.default, 1, PAGE.max),
    ...optional('streamId', streamId),
    ...optional('dueBefore', dueBefore),
  });
}

/** Fires one pending timer now, through its aggregate's actor, whatever its due time. */
export async function fireTimer({ runtime, query, params }: RouteContext): Promise<TimerFiredView> {
  onlyParams(query, []);
  const handle = runtime.get(params.type as string, params.id as string);
  const name = timerName(params.name as string);
  const operator = runtime.timers();
  if ((await operator.get(handle.streamId, name)) === undefined)
    throw new AdminError('NOT_FOUND', `${handle.streamId} has no pending timer '${name}'`);
  const r = await operator.fire(handle.streamId, name);
  return { streamId: handle.streamId, name, outcome: r.outcome, version: r.version };
}

/** Cancels one pending timer, through its aggregate's actor. */
export async function cancelTimer({ runtime, query, params }: RouteContext): Promise<TimerCancelledView> {
  onlyParams(query, []);
  const handle = runtime.get(params.type as string, params.id as string);
  const name = timerName(params.name as string);
  return { streamId: handle.streamId, name, cancelled: await runtime.timers().cancel(handle.streamId, name) };
}

/** Durable effects not yet settled (optionally of one state, one stream), earliest next first. */
export async function effects({ runtime, query }: RouteContext): Promise<EffectsView> {
  onlyParams(query, ['state', 'stream', 'limit']);
  const state = stringParam(query, 'state');
  if (state !== undefined && !(EFFECT_STATES as readonly string[]).includes(state))
    throw new AdminError('BAD_REQUEST', `state must be one of ${EFFECT_STATES.join(', ')}, got ${state}`);
  const limit = intParam(query, 'limit', PAGE.default, 1, PAGE.max);
  return listEffects(runtimeEffects(runtime), Date.now(), {
    limit,
    ...optional('state', state as EffectState | undefined),
    ...optional('streamId', stringParam(query, 'stream')),
  });
}

/** One effect not yet settled. */
export async function effect({ runtime, query, params }: RouteContext): Promise<EffectView> {
  onlyParams(query, []);
  const streamId = runtime.get(params.type as string, params.id as string).streamId;
  const found = await runtimeEffects(runtime).get(streamId, params.effect as string);
  if (found === undefined)
    throw new AdminError('NOT_FOUND', `${streamId} has no pending effect '${params.effect}'`);
  return effectView(found, Date.now());
}

/** Runs one effect again now, with a fresh budget (a failed one too, before its failure is delivered). */
export async function retryEffect({ runtime, query, params }: RouteContext): Promise<EffectRetriedView> {
  onlyParams(query, []);
  const streamId = runtime.get(params.type as string, params.id as string).streamId;
  const id = params.effect as string;
  if (!(await runtimeEffects(runtime).retry(streamId, id)))
    throw new AdminError('NOT_FOUND', `${streamId} has no pending effect '${id}'`);
  return { streamId, id, retried: true };
}

/** Stops retrying one effect: its failure (code EFFECT_ABANDONED, with the reason) is delivered now. */
export async function abandonEffect({ runtime, query, params }: RouteContext): Promise<EffectAbandonedView> {
  onlyParams(query, ['reason']);
  const streamId = runtime.get(params.type as string, params.id as string).streamId;
  const id = params.effect as string;
  const reason = stringParam(query, 'reason');
  if (!(await runtimeEffects(runtime).abandon(streamId, id, reason)))
    throw new AdminError('NOT_FOUND', `${streamId} has no pending effect '${id}'`);
  return { streamId, id, abandoned: true, reason: reason ?? null };
}

/** A user timer's name: effect records are retried or abandoned through /v1/effects instead. */
function timerName(name: string): string {
  if (isEffectTimerName(name))
    throw new AdminError(
      'BAD_REQUEST',
      `'${name}' is a durable effect's record: retry or abandon it through /v1/effects (actorfold effects)`,
    );
  return name;
}

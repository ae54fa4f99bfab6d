/**
 * A client for the admin endpoint, for the CLI and for scripts: one method per route, answers
 * typed as the views, failures as AdminError with the server's code (or UNREACHABLE when nothing
 * answers on the socket).
 */
import { type IncomingMessage, request } from 'node:http';
import { createInterface } from 'node:readline';
import type { EffectState, EventEnvelope } from '@actorfold/core';
import { AdminError, type ErrorBody } from './admin-error.js';
import type {
  ActorsView,
  EffectAbandonedView,
  EffectRetriedView,
  EffectsView,
  EffectView,
  EventsView,
  EvictView,
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
} from './admin-views.js';

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Options of the live tail. */
export interface TailOptions {
  /** `'end'` (default): only new events; a number: from that global position on. */
  from?: number | 'end';
  /** Only events of these aggregate types. */
  types?: readonly string[];
  /** Only events of these event types. */
  events?: readonly string[];
  /** Ends the tail. */
  signal?: AbortSignal;
}

/** The admin client's methods; see `adminClient`. */
export interface AdminClient {
  readonly socketPath: string;
  health(): Promise<HealthView>;
  /** Whether the daemon is ready for traffic; a daemon that is not answers 503, returned here as the view. */
  ready(): Promise<ReadyView>;
  stats(): Promise<StatsView>;
  metrics(): Promise<MetricsView>;
  /** The Prometheus text exposition of the metrics. */
  prometheus(): Promise<string>;
  actors(opts?: {
    type?: string;
    limit?: number;
    stateSize?: boolean;
    /** `stream` (default): in stream id order; `mailbox`: fullest mailbox first. */
    sort?: 'stream' | 'mailbox';
  }): Promise<ActorsView>;
  inspect(type: string, id: string, opts?: { events?: number }): Promise<InspectView>;
  evict(type: string, id: string): Promise<EvictView>;
  snapshot(type: string, id: string): Promise<SnapshotTakenView>;
  streams(opts?: { prefix?: string; after?: string; limit?: number }): Promise<StreamsView>;
  /** A page of one stream (`stream`, `from` a version, or its `last` n) or of the global log (`from` a position). */
  events(opts?: {
    stream?: string;
    from?: number;
    last?: number;
    limit?: number;
    /** Only these event types. */
    type?: readonly string[];
    /** ISO 8601: only events at or after this time. */
    since?: string;
    /** ISO 8601: only events before this time. */
    until?: string;
  }): Promise<EventsView>;
  snapshots(stream: string): Promise<SnapshotsView>;
  /** Durable timers: pending (default), due, overdue (due over a minute ago), or one stream's fired ones. */
  timers(opts?: {
    status?: TimerStatus;
    stream?: string;
    dueBefore?: string;
    limit?: number;
  }): Promise<TimersView>;
  /** Fires a pending timer now, through its aggregate's actor. */
  fireTimer(type: string, id: string, name: string): Promise<TimerFiredView>;
  /** Cancels a pending timer, through its aggregate's actor. */
  cancelTimer(type: string, id: string, name: string): Promise<TimerCancelledView>;
  /** Durable effects not yet settled: every state (default) or one, optionally of one stream. */
  effects(opts?: { state?: EffectState; stream?: string; limit?: number }): Promise<EffectsView>;
  /** One effect not yet settled (NOT_FOUND when there is none). */
  effect(type: string, id: string, effect: string): Promise<EffectView>;
  /** Runs an effect again now with a fresh budget (NOT_FOUND when there is none). */
  retryEffect(type: string, id: string, effect: string): Promise<EffectRetriedView>;
  /** Stops retrying an effect and delivers its failure now (NOT_FOUND when there is none). */
  abandonEffect(type: string, id: string, effect: string, reason?: string): Promise<EffectAbandonedView>;
  /** The status of every projection the daemon runs. */
  projections(): Promise<ProjectionsView>;
  /** New events as they are appended, until the daemon stops or `signal` aborts. */
  tail(opts?: TailOptions): AsyncIterable<EventEnvelope>;
}

/**
 * A client for the admin socket at `socketPath`.
 * @example
 * const admin = adminClient('./data/admin.sock');
 * for (const a of (await admin.actors()).actors) console.log(a.streamId, a.version);
 */
export function adminClient(socketPath: string, opts: { timeoutMs?: number } = {}): AdminClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const actorPath = (type: string, id: string, action?: string) =>
    `/v1/actors/${encodeURIComponent(type)}/${encodeURIComponent(id)}${action === undefined ? '' : `/${action}`}`;

  const timerPath = (type: string, id: string, name: string, action: string) =>
    `/v1/timers/${encodeURIComponent(type)}/${encodeURIComponent(id)}/${encodeURIComponent(name)}/${action}`;

  const effectPath = (type: string, id: string, effect: string, action?: string) =>
    `/v1/effects/${encodeURIComponent(type)}/${encodeURIComponent(id)}/${encodeURIComponent(effect)}${action === undefined ? '' : `/${action}`}`;

  /** `alsoOk`: statuses whose body is a view too (503 from /v1/ready). */
  const call = async <T>(
    method: 'GET' | 'POST',
    path: string,
    query: Query = {},
    alsoOk: readonly number[] = [],
  ): Promise<T> => {
    const res = await send(socketPath, method, path + toQuery(query), timeoutMs);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status !== 200 && !alsoOk.includes(status)) throw fromErrorAnswer(status, text);
    if (!(res.headers['content-type'] ?? '').startsWith('application/json')) return text as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new AdminError('BAD_RESPONSE', `the admin socket answered with invalid JSON`, { cause });
    }
  };

  return {
    socketPath,
    health: () => call('GET', '/v1/health'),
    ready: () => call('GET', '/v1/ready', {}, [503]),
    stats: () => call('GET', '/v1/stats'),
    metrics: () => call('GET', '/v1/metrics'),
    prometheus: () => call('GET', '/metrics'),
    actors: (o = {}) => call('GET', '/v1/actors', o),
    inspect: (type, id, o = {}) => call('GET', actorPath(type, id), o),
    evict: (type, id) => call('POST', actorPath(type, id, 'evict')),
    snapshot: (type, id) => call('POST', actorPath(type, id, 'snapshot')),
    streams: (o = {}) => call('GET', '/v1/streams', o),
    events: (o = {}) => call('GET', '/v1/events', o),
    snapshots: (stream) => call('GET', '/v1/snapshots', { stream }),
    timers: (o = {}) => call('GET', '/v1/timers', o),
    fireTimer: (type, id, name) => call('POST', timerPath(type, id, name, 'fire')),
    cancelTimer: (type, id, name) => call('POST', timerPath(type, id, name, 'cancel')),
    effects: (o = {}) => call('GET', '/v1/effects', o),
    effect: (type, id, effect) => call('GET', effectPath(type, id, effect)),
    retryEffect: (type, id, effect) => call('POST', effectPath(type, id, effect, 'retry')),
    abandonEffect: (type, id, effect, reason) =>
      call('POST', effectPath(type, id, effect, 'abandon'), { reason }),
    projections: () => call('GET', '/v1/projections'),
    tail: (o = {}) => tail(socketPath, o),
  };
}

async function* tail(socketPath: string, o: TailOptions): AsyncGenerator<EventEnvelope> {
  const query = toQuery({ from: o.from ?? 'end', type: o.types, event: o.events });
  // No timeout: a tail is quiet for as long as nothing happens.
  const res = await send(socketPath, 'GET', `/v1/tail${query}`, 0, o.signal);
  if (res.statusCode !== 200) throw fromErrorAnswer(res.statusCode ?? 0, await readAll(res));
  const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (line.length === 0) continue;
      const item = JSON.parse(line) as EventEnvelope | ErrorBody;
      if ('error' in item && !('streamId' in item)) throw new AdminError(item.error.code, item.error.message);
      yield item as EventEnvelope;
    }
  } catch (e) {
    // An abort by our own signal is the normal way to stop a tail.
    if (o.signal?.aborted) return;
    throw e;
  } finally {
    lines.close();
    res.destroy();
  }
}

function send(
  socketPath: string,
  method: string,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      method,
      path,
      headers: { accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
    if (timeoutMs > 0) {
      req.setTimeout(timeoutMs, () => {
        req.destroy(
          new AdminError('UNREACHABLE', `the daemon did not answer ${method} ${path} within ${timeoutMs} ms`),
        );
      });
    }
    req.once('response', resolve);
    req.once('error', (e: NodeJS.ErrnoException) => reject(unreachable(e, socketPath)));
    req.end();
  });
}

/** Explains why nothing answered on the socket. */
function unreachable(e: NodeJS.ErrnoException, socketPath: string): Error {
  switch (e.code) {
    case 'ENOENT':
      return new AdminError('UNREACHABLE', `no admin socket at ${socketPath} (is the daemon running?)`, {
        cause: e,
      });
    case 'ECONNREFUSED':
      return new AdminError(
        'UNREACHABLE',
        `nothing listens on ${socketPath} (the daemon is gone; the file is stale)`,
        {
          cause: e,
        },
      );
    case 'EACCES':
    case 'EPERM':
      return new AdminError(
        'UNREACHABLE',
        `permission denied on ${socketPath}: the admin socket is owner-only (mode 0600); run as the daemon's user`,
        { cause: e },
      );
    default:
      return e instanceof AdminError || e.name === 'AbortError'
        ? e
        : new AdminError('UNREACHABLE', `cannot reach the admin socket ${socketPath}: ${e.message}`, {
            cause: e,
          });
  }
}

function fromErrorAnswer(status: number, text: string): AdminError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (typeof body.error?.code === 'string' && typeof body.error.message === 'string') {
      return new AdminError(body.error.code, body.error.message, { status });
    }
  } catch {
    // Not an admin error body: described below.
  }
  return new AdminError('BAD_RESPONSE', `the admin socket answered ${status}: ${text.slice(0, 200)}`, {
    status,
  });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
    });
    res.once('end', () => resolve(text));
    res.once('error', reject);
  });
}

function toQuery(q: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(q)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const s = params.toString();
  return s.length === 0 ? '' : `?${s}`;
}

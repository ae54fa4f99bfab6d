/**
 * serveAdmin: the daemon's admin endpoint, HTTP over a Unix domain socket that only the owner
 * may connect to. Routes are listed in `ROUTES` (and in docs/operations.md).
 */
import { lstat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Runtime } from '@actorfold/core';
import { type Logger, pino } from 'pino';
import { AdminError } from './admin-error.js';
import * as routes from './admin-routes.js';
import { toErrorResponse } from './error-response.js';
import { streamTail, tailOptions } from './event-tail.js';
import type { Histogram } from './histogram.js';
import { listenPrivately } from './private-socket.js';
import { eventLoopMonitor } from './process-metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import { readiness } from './readiness.js';

export interface AdminServerOptions {
  /** Where to create the socket (mode 0600). A stale socket file there is replaced; a live one is not. */
  socketPath: string;
  /** A pino logger for failed requests; default silent. */
  logger?: Logger;
  /** Histograms the host observes, added to `GET /metrics`. */
  histograms?: readonly Histogram[];
}

/** A running admin endpoint. */
export interface AdminServer {
  /** The absolute socket path. */
  readonly socketPath: string;
  /** Ends live tails, closes every connection and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

type Answer = { json: unknown; status?: number } | { text: string; contentType: string } | { streamed: true };

interface Route {
  method: 'GET' | 'POST';
  /** Path segments; `:name` captures one (URL-decoded) segment. */
  path: string[];
  handle(ctx: routes.RouteContext, res: ServerResponse, signal: AbortSignal): Promise<Answer> | Answer;
}

const json =
  (view: (ctx: routes.RouteContext) => unknown) =>
  async (ctx: routes.RouteContext): Promise<Answer> => ({ json: await view(ctx) });

const ROUTES: readonly Route[] = [
  { method: 'GET', path: ['v1', 'health'], handle: json(routes.health) },
  {
    method: 'GET',
    path: ['v1', 'ready'],
    handle: async (ctx) => {
      const view = await routes.ready(ctx);
      return { json: view, status: view.ready ? 200 : 503 };
    },
  },
  { method: 'GET', path: ['v1', 'stats'], handle: json(routes.stats) },
  { method: 'GET', path: ['v1', 'metrics'], handle: json(routes.metricsJson) },
  {
    method: 'GET',
    path: ['metrics'],
    handle: async (ctx) => ({ text: await routes.metricsText(ctx), contentType: PROMETHEUS_CONTENT_TYPE }),
  },
  { method: 'GET', path: ['v1', 'actors'], handle: json(routes.actors) },
  { method: 'GET', path: ['v1', 'actors', ':type', ':id'], handle: json(routes.inspect) },
  { method: 'POST', path: ['v1', 'actors', ':type', ':id', 'evict'], handle: json(routes.evict) },
  { method: 'POST', path: ['v1', 'actors', ':type', ':id', 'snapshot'], handle: json(routes.snapshotNow) },
  { method: 'GET', path: ['v1', 'projections'], handle: json(routes.projections) },
  { method: 'GET', path: ['v1', 'streams'], handle: json(routes.streams) },
  { method: 'GET', path: ['v1', 'events'], handle: json(routes.events) },
  { method: 'GET', path: ['v1', 'snapshots'], handle: json(routes.snapshots) },
  { method: 'GET', path: ['v1', 'timers'], handle: json(routes.timers) },
  { method: 'POST', path: ['v1', 'timers', ':type', ':id', ':name', 'fire'], handle: json(routes.fireTimer) },
  {
    method: 'POST',
    path: ['v1', 'timers', ':type', ':id', ':name', 'cancel'],
    handle: json(routes.cancelTimer),
  },
  { method: 'GET', path: ['v1', 'effects'], handle: json(routes.effects) },
  { method: 'GET', path: ['v1', 'effects', ':type', ':id', ':effect'], handle: json(routes.effect) },
  {
    method: 'POST',
    path: ['v1', 'effects', ':type', ':id', ':effect', 'retry'],
    handle: json(routes.retryEffect),
  },
  {
    method: 'POST',
    path: ['v1', 'effects', ':type', ':id', ':effect', 'abandon'],
    handle: json(routes.abandonEffect),
  },
  {
    method: 'GET',
    path: ['v1', 'tail'],
    handle: async (ctx, res, signal) => {
      await streamTail(ctx.runtime, tailOptions(ctx.query), res, signal);
      return { streamed: true };
    },
  },
];

/**
 * Serves the admin routes for `runtime` on a Unix socket created with mode 0600.
 * Fails with AdminError `SOCKET_IN_USE` when a live process answers on the path.
 * @example
 * const admin = await serveAdmin(runtime, { socketPath: './data/admin.sock' });
 * // … on shutdown, after runtime.shutdown():
 * await admin.close();
 */
export async function serveAdmin(runtime: Runtime, options: AdminServerOptions): Promise<AdminServer> {
  if (typeof options?.socketPath !== 'string' || options.socketPath.length === 0) {
    throw new AdminError('BAD_SOCKET_PATH', 'serveAdmin: socketPath must be a non-empty string');
  }
  const socketPath = resolve(options.socketPath);
  const logger = options.logger ?? pino({ level: 'silent' });
  const startedAt = Date.now();
  void readiness(runtime); // measures the projections' backlog from now (see readiness.ts)
  const eventLoop = eventLoopMonitor();
  const metrics = { histograms: options.histograms ?? [], eventLoop };
  /** One controller per request in flight, aborted on close so that live tails end. */
  const inFlight = new Set<AbortController>();

  const server = createServer((req, res) => {
    req.resume(); // no route reads a body: discard any
    const controller = new AbortController();
    inFlight.add(controller);
    res.on('close', () => {
      controller.abort();
      inFlight.delete(controller);
    });
    handle(req, res, controller.signal).catch((e: unknown) => {
      logger.error({ err: e }, 'admin request handler failed');
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://admin');
      const { route, params } = match(req.method ?? 'GET', url.pathname);
      const answer = await route.handle(
        { runtime, query: url.searchParams, params, startedAt, exposition: metrics },
        res,
        signal,
      );
      if ('json' in answer) send(res, answer.status ?? 200, answer.json);
      else if ('text' in answer) {
        res.writeHead(200, { 'content-type': answer.contentType }).end(answer.text);
      }
    } catch (e) {
      const { status, body } = toErrorResponse(e);
      if (status >= 500) logger.warn({ err: e, url: req.url }, 'admin request failed');
      else logger.debug({ url: req.url, code: body.error.code }, 'bad admin request');
      if (res.headersSent) res.destroy();
      else
        send(
          res,
          status,
          body,
          status === 405 ? { allow: allowed(new URL(req.url ?? '/', 'http://admin').pathname) } : {},
        );
    }
  }

  await listenPrivately(server, socketPath).catch((e: unknown) => {
    eventLoop.disable();
    throw e;
  });
  const { ino } = await lstat(socketPath);
  logger.info({ socketPath }, 'admin socket listening');

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        eventLoop.disable();
        for (const c of inFlight) c.abort();
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeIdleConnections();
          // Whatever still runs after a moment (a handler waiting on a draining runtime) is cut.
          setTimeout(() => server.closeAllConnections(), 1000).unref();
        });
        // Remove the file only if it is still ours (a successor may have replaced a stale copy).
        const now = await lstat(socketPath).catch(() => undefined);
        if (now?.ino === ino) await unlink(socketPath).catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** Finds the route for a method and path, or throws NOT_FOUND / METHOD_NOT_ALLOWED. */
function match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
  const segments = split(pathname);
  let pathMatched = false;
  for (const route of ROUTES) {
    const params = capture(route.path, segments);
    if (params === undefined) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  if (pathMatched) throw new AdminError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${pathname}`);
  throw new AdminError('NOT_FOUND', `no admin route ${pathname} (see docs/operations.md for the routes)`);
}

function allowed(pathname: string): string {
  const segments = split(pathname);
  return ROUTES.filter((r) => capture(r.path, segments) !== undefined)
    .map((r) => r.method)
    .join(', ');
}

function split(pathname: string): string[] {
  return pathname.split('/').filter((s) => s.length > 0);
}

function capture(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        throw new AdminError(
          'BAD_REQUEST',
          `path segment ${JSON.stringify(s)} is not valid percent-encoding`,
        );
      }
    } else if (p !== s) return undefined;
  }
  return params;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(text);
}

/**
 * The daemon's JSON command API on a TCP port (127.0.0.1 by default):
 *
 *   POST /v1/commands/:type/:id   { "command": { "type": … }, "commandId"?, "expectedVersion"?, "correlationId"? }
 *        → 200 { streamId, version, deduplicated, state, events }
 *   GET  /v1/aggregates/:type/:id → 200 { streamId, version, state }
 *   GET  /v1/read-models/:name[?atLeast=<position>]
 *        → 200 { name, status: { state, position, checkpoint, lag }, model }  (waits up to 5 s for `atLeast`)
 *   GET  /v1/health               → 200 { ok: true }   (the process answers)
 *   GET  /v1/ready                → 200 { ready: true } | 503 { ready: false, reasons }  (route traffic here)
 *
 * Failures are `{ error: { code, message, reason?, details?, outcomeUnknown? } }` with the status from
 * STATUS (`failureStatus`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { readiness } from '@actorfold/admin';
import {
  type ExecuteOptions,
  isActorfoldError,
  isRejection,
  type Projection,
  type Runtime,
  type StandardSchemaV1,
} from '@actorfold/core';
import type { Logger } from 'pino';
import { issuePath } from './domain/named-issues.js';

/** Status per error code, in one place (STYLE: map codes at the edge). Unknown codes are 500. */
const STATUS: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  INVALID_COMMAND: 400,
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  UNKNOWN_AGGREGATE: 404,
  METHOD_NOT_ALLOWED: 405,
  VERSION_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  REJECTED: 422,
  MAILBOX_FULL: 503,
  RUNTIME_CLOSED: 503,
  COMMAND_TIMEOUT: 504,
};

const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of an oversized body is still read (and thrown away) after the 413 went out, so that
 * the client, still sending, gets to read it: closing a socket with unread data resets it, and a
 * reset makes the client drop the answer it had not read yet. Beyond this the socket is cut.
 */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

const BODY_SHAPE = '{ "command": { "type": … }, "commandId"?: … }';

/** A failure of the HTTP layer itself (bad JSON, unknown route). */
class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Set when the request body is still arriving: the answer is completed once it has. */
    readonly bodyRead?: Promise<void>,
  ) {
    super(message);
  }
}

/** The running API: its port, and `close()` that stops accepting and waits for requests in flight. */
export interface CommandApi {
  readonly port: number;
  /**
   * Starts the drain: stops accepting connections, answers every request that arrives on an open
   * keep-alive connection with 503 RUNTIME_CLOSED and `Connection: close`; resolves once every
   * connection has ended (see closeAllConnections).
   */
  close(): Promise<void>;
  /**
   * After close(): waits until every connection has ended or `maxMs` passed, so a request already
   * on its way over a keep-alive connection still gets its 503 rather than a reset.
   */
  settle(maxMs: number): Promise<void>;
  /** Cuts whatever connections are left (after the runtime has shut down). */
  closeAllConnections(): void;
}

/** Starts the command API for `runtime` on `host:port` (port 0: any free port). */
export async function startCommandApi(
  runtime: Runtime,
  opts: {
    host: string;
    port: number;
    logger: Logger;
    readModels?: ReadonlyMap<string, ReadModel>;
    /** Sees every request as it arrives (the daemon times commands with it). */
    onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
  },
): Promise<CommandApi> {
  const readModels = opts.readModels ?? new Map<string, ReadModel>();
  let draining = false;
  const server: Server = createServer((req, res) => {
    opts.onRequest?.(req, res);
    if (draining) {
      // A keep-alive client learns that the daemon is going away, instead of finding its
      // connection reset; Connection: close makes it open a new one (to the next daemon) next time.
      req.resume();
      send(
        res,
        503,
        { error: { code: 'RUNTIME_CLOSED', message: 'the daemon is stopping; retry shortly' } },
        { connection: 'close', 'retry-after': '1' },
      );
      return;
    }
    handle(runtime, readModels, req, res).catch((e: unknown) => {
      opts.logger.error({ err: e }, 'command API handler failed');
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });
  // A request never waits longer than the runtime's own command timeout plus a margin.
  server.requestTimeout = 60_000;
  // Idle keep-alive connections are closed by the client, never under it: with Node's 5 s the
  // server could close one as a busy client (which keeps it until 1 s before the advertised
  // timeout) sent its next request on it, which failed with "other side closed".
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      draining = true;
      // net.Server's close, not http.Server's: the latter also drops idle keep-alive connections
      // at once, and a request a client is sending on one right then meets a reset. These stay
      // open to get the 503 above, until closeAllConnections.
      closing ??= new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      return closing;
    },
    async settle(maxMs) {
      const until = Date.now() + maxMs;
      while (Date.now() < until && (await connections(server)) > 0)
        await new Promise((r) => setTimeout(r, 10));
    },
    closeAllConnections: () => server.closeAllConnections(),
  };
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((e, n) => resolve(e === null ? n : 0)));
}

/** A projection the API serves: its status, a way to wait for a position, and what of its state it shows. */
export interface ReadModel {
  status: Projection['status'];
  waitFor: Projection['waitFor'];
  view(): unknown;
}

/** How long `atLeast` may hold a read-model request. */
const READ_MODEL_WAIT_MS = 5_000;

async function handle(
  runtime: Runtime,
  readModels: ReadonlyMap<string, ReadModel>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://api');
    const [v1, kind, type, id, ...rest] = url.pathname.split('/').filter((s) => s.length > 0);
    if (v1 !== 'v1' || rest.length > 0) throw notFound(url.pathname);
    if (kind === 'health' && type === undefined) {
      allow(req, 'GET');
      return send(res, 200, { ok: true });
    }
    if (kind === 'ready' && type === undefined) {
      allow(req, 'GET');
      const view = await readiness(runtime);
      return send(res, view.ready ? 200 : 503, view);
    }
    if (kind === 'read-models' && type !== undefined && id === undefined) {
      allow(req, 'GET');
      return send(res, 200, await readModel(readModels, decode(type), url.searchParams));
    }
    if (type === undefined || id === undefined) throw notFound(url.pathname);
    const handle = runtime.get(decode(type), decode(id));
    if (kind === 'aggregates') {
      allow(req, 'GET');
      const { state, version } = await handle.state();
      return send(res, 200, { streamId: handle.streamId, version, state });
    }
    if (kind !== 'commands') throw notFound(url.pathname);
    allow(req, 'POST');
    const body = await readJson(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ApiError(
        'BAD_REQUEST',
        `the body must be a JSON object ${BODY_SHAPE}, not ${jsonKind(body)}`,
      );
    const { command, ...options } = body as { command?: unknown } & Record<string, unknown>;
    if (typeof command !== 'object' || command === null || Array.isArray(command))
      throw new ApiError('BAD_REQUEST', `"command" must be an object: the body is ${BODY_SHAPE}`);
    const r = await handle.execute(command as { type: string }, executeOptions(options));
    send(res, 200, {
      streamId: handle.streamId,
      version: r.version,
      deduplicated: r.deduplicated,
      state: r.state,
      events: r.events,
    });
  } catch (e) {
    sendError(res, e);
  }
}

/** The execute options a body may carry; anything else is refused rather than ignored. */
function executeOptions(o: Record<string, unknown>): ExecuteOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (key === 'expectedVersion') {
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        throw new ApiError('BAD_REQUEST', 'expectedVersion must be an integer >= 0');
    } else if (key === 'metadata') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ApiError('BAD_REQUEST', 'metadata must be an object');
    } else if (['commandId', 'correlationId', 'causationId', 'tenantId'].includes(key)) {
      if (typeof value !== 'string' || value.length === 0)
        throw new ApiError('BAD_REQUEST', `${key} must be a non-empty string`);
    } else throw new ApiError('BAD_REQUEST', `unknown field ${JSON.stringify(key)} in the body`);
    out[key] = value;
  }
  return out as ExecuteOptions;
}

/**
 * The body as JSON, at most MAX_BODY_BYTES of it. An oversized body (by its content-length or
 * as it arrives) fails with PAYLOAD_TOO_LARGE at once; the rest is read and discarded while the
 * 413 is answered, and the connection closes once the body has ended.
 */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => {
      req.off('data', collect);
      chunks.length = 0;
      const message = `the body exceeds ${MAX_BODY_BYTES} bytes`;
      reject(new ApiError('PAYLOAD_TOO_LARGE', message, discardRest(req)));
    };
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge();
      else chunks.push(chunk);
    };
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return tooLarge();
    req.on('data', collect);
    req.once('end', () => {
      if (size > MAX_BODY_BYTES) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ApiError('BAD_REQUEST', 'the body is not valid JSON'));
      }
    });
    req.once('error', reject);
  });
}

/**
 * Reads what is left of a refused body into nothing; resolves once it has ended (or the socket
 * was cut past MAX_DISCARDED_BYTES).
 */
function discardRest(req: IncomingMessage): Promise<void> {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) req.socket.destroy();
  });
  return new Promise((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
  });
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * The HTTP status of a runtime error: from STATUS by code, except two store failures that are a
 * 503 the client retries with the same commandId, not a 500: a store that cannot reach its
 * database right now (STORE_ERROR, reason CONNECTION), and a write whose outcome is unknown
 * (`outcomeUnknown`: it may be stored; the store takes no write until the daemon restarts).
 */
export function failureStatus(e: { code: string; reason?: unknown; outcomeUnknown?: unknown }): number {
  if (e.code === 'STORE_ERROR' && (e.reason === 'CONNECTION' || e.outcomeUnknown === true)) return 503;
  return STATUS[e.code] ?? 500;
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) res.destroy();
  else if (e instanceof ApiError && e.bodyRead !== undefined) {
    // The whole answer goes out now, but the response ends (and the connection closes) only
    // once the client has sent its body: closing earlier would reset the connection under it.
    const text = JSON.stringify({ error: { code: e.code, message: e.message } });
    res.writeHead(STATUS[e.code] ?? 500, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      connection: 'close',
    });
    res.write(text);
    void e.bodyRead.then(() => res.end());
  } else if (e instanceof ApiError) {
    send(res, STATUS[e.code] ?? 500, { error: { code: e.code, message: e.message } });
  } else if (isActorfoldError(e)) {
    const error: Record<string, unknown> = { code: e.code, message: e.message };
    if (e.code === 'INVALID_COMMAND') error.issues = issuesOf(e);
    if (isRejection(e)) {
      error.reason = e.reason;
      if (e.details !== undefined) error.details = e.details;
    }
    if (e.code === 'STORE_ERROR') {
      const { reason, outcomeUnknown } = e as { reason?: unknown; outcomeUnknown?: unknown };
      error.reason = reason;
      // The command may be stored: resending it with the same commandId is the safe retry.
      if (outcomeUnknown === true) error.outcomeUnknown = true;
    }
    const status = failureStatus(e);
    // 503s are worth retrying (a full mailbox, an unreachable database): say when.
    const headers: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
    send(res, status, { error }, headers);
  } else {
    send(res, 500, { error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } });
  }
}

/** The validation issues of an InvalidCommand as `{ path, message }`: which field, and what is wrong with it. */
function issuesOf(e: unknown): Array<{ path?: string; message: string }> {
  const issues = (e as { issues?: ReadonlyArray<StandardSchemaV1.Issue> }).issues ?? [];
  return issues.map((issue) => {
    const path = issuePath(issue);
    return path === '' ? { message: issue.message } : { path, message: issue.message };
  });
}

/** A read model's state; with `atLeast`, once it has caught up to that position (or after 5 s). */
async function readModel(
  readModels: ReadonlyMap<string, ReadModel>,
  name: string,
  query: URLSearchParams,
): Promise<unknown> {
  const model = readModels.get(name);
  if (model === undefined) {
    throw new ApiError('NOT_FOUND', `no read model '${name}' (known: ${[...readModels.keys()].join(', ')})`);
  }
  const atLeast = query.get('atLeast');
  let caughtUp = true;
  if (atLeast !== null) {
    const position = Number(atLeast);
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new ApiError('BAD_REQUEST', 'atLeast must be a global position (an integer >= 0)');
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READ_MODEL_WAIT_MS);
    });
    caughtUp = await Promise.race([model.waitFor(position).then(() => true), late]).finally(() =>
      clearTimeout(timer),
    );
  }
  const { error, ...status } = model.status();
  return {
    name,
    caughtUp,
    status: error === undefined ? status : { ...status, error: error.message },
    model: model.view(),
  };
}

function allow(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new ApiError('METHOD_NOT_ALLOWED', `use ${method} here`);
}

function notFound(path: string): ApiError {
  return new ApiError(
    'NOT_FOUND',
    `no route ${path}: POST /v1/commands/:type/:id, GET /v1/aggregates/:type/:id`,
  );
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('BAD_REQUEST', `${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}

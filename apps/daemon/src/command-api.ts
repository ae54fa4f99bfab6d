/**
 * The daemon's JSON command API on a TCP port (127.0.0.1 by default):
 *
 *   POST /v1/commands/:type/:id   { "command": { "type": … }, "commandId"?, "expectedVersion"?, "correlationId"? }
 *        → 200 { streamId, version, deduplicated, state, events }
 *   GET  /v1/aggregates/:type/:id → 200 { streamId, version, state }
 *   GET  /v1/read-models/:name[?atLeast=<position>]
 *        → 200 { name, status: { state, position, checkpoint, lag }, model }  (waits up to 5 s for `atLeast`)
 *   GET  /v1/health               → 200 { ok: true }
 *
 * Failures are `{ error: { code, message, reason?, details? } }` with the status from STATUS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import {
  type ExecuteOptions,
  isActorfoldError,
  isRejection,
  type Projection,
  type Runtime,
} from '@actorfold/core';
import type { Logger } from 'pino';

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

/** A failure of the HTTP layer itself (bad JSON, unknown route). */
class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
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
  opts: { host: string; port: number; logger: Logger; readModels?: ReadonlyMap<string, ReadModel> },
): Promise<CommandApi> {
  const readModels = opts.readModels ?? new Map<string, ReadModel>();
  let draining = false;
  const server: Server = createServer((req, res) => {
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
    const { command, ...options } = body as { command?: unknown } & Record<string, unknown>;
    if (typeof command !== 'object' || command === null)
      throw new ApiError('BAD_REQUEST', 'the body must be { "command": { "type": … }, "commandId"?: … }');
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

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError('PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.once('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ApiError('BAD_REQUEST', 'the body is not valid JSON'));
      }
    });
    req.once('error', reject);
  });
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) res.destroy();
  else if (e instanceof ApiError) {
    send(res, STATUS[e.code] ?? 500, { error: { code: e.code, message: e.message } });
  } else if (isActorfoldError(e)) {
    const error: Record<string, unknown> = { code: e.code, message: e.message };
    if (isRejection(e)) {
      error.reason = e.reason;
      if (e.details !== undefined) error.details = e.details;
    }
    // MailboxFull is retryable: say when.
    const headers: Record<string, string> = e.code === 'MAILBOX_FULL' ? { 'retry-after': '1' } : {};
    send(res, STATUS[e.code] ?? 500, { error }, headers);
  } else {
    send(res, 500, { error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } });
  }
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

/**
 * Turns node-postgres failures into the runtime's errors: a closed store → StoreError CLOSED; a
 * server that cannot be reached right now → StoreError CONNECTION (see `isConnectionError`);
 * anything else → StoreError IO naming what failed and PostgreSQL's reason (never the password
 * of the connection string). VersionConflict and other ActorfoldErrors pass through unchanged.
 * CONNECTION and IO are both transient for subscriptions and projections, which retry them.
 */
import { isActorfoldError, StoreError } from '@actorfold/core';

/** PostgreSQL's SQLSTATE for a unique constraint violation. */
const UNIQUE_VIOLATION = '23505';
/** SQLSTATE for a missing table (the schema has not been migrated). */
export const UNDEFINED_TABLE = '42P01';

interface PgErrorShape {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
}

/** The SQLSTATE of a PostgreSQL error, or the Node error code (ECONNREFUSED, ...), if any. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as PgErrorShape | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Node socket errors of a server that is down, restarting or unreachable. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server going away or not yet back: class 08 (connection exception), 57P01
 * (terminated by an administrator: a fast shutdown), 57P02 (crash shutdown), 57P03 (cannot
 * connect now: starting up or shutting down), 57P05 (idle session timeout).
 */
const SERVER_GONE: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '57P05']);

/** What node-postgres says when the socket under a client or a query went away. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

/**
 * True when `e` says the server cannot be reached right now (refused, reset, terminated by a
 * shutdown or a crash, starting up) rather than that a statement failed: such a call may succeed
 * once the server is back.
 */
export function isConnectionError(e: unknown): boolean {
  const code = errorCode(e);
  if (code !== undefined && (NETWORK_CODES.has(code) || SERVER_GONE.has(code) || code.startsWith('08')))
    return true;
  const message = (e as PgErrorShape | undefined)?.message;
  return typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m));
}

/** True for a violation of a unique constraint (for the events table: `(stream_id, version)`). */
export function isUniqueViolation(e: unknown): boolean {
  return errorCode(e) === UNIQUE_VIOLATION;
}

/**
 * Wraps a failure of a PostgreSQL call made for `what` on the store in `schema`. `closed` says
 * whether the store had been closed meanwhile (then the reason is CLOSED).
 */
export function toStoreError(e: unknown, schema: string, what: string, closed: boolean): Error {
  if (isActorfoldError(e)) return e;
  if (closed)
    return new StoreError('CLOSED', `the PostgreSQL store (schema ${schema}) is closed`, { cause: e });
  if (isConnectionError(e)) {
    return new StoreError(
      'CONNECTION',
      `${what} failed: the PostgreSQL server is unreachable (schema ${schema}): ${describe(e)}`,
      { cause: e },
    );
  }
  return new StoreError('IO', `${what} failed in the PostgreSQL store (schema ${schema}): ${describe(e)}`, {
    cause: e,
  });
}

/** PostgreSQL's message with its SQLSTATE and hint, or the Node error's message. */
export function describe(e: unknown): string {
  const err = e as PgErrorShape | undefined;
  const message = typeof err?.message === 'string' && err.message !== '' ? err.message : String(e);
  const code = errorCode(e);
  const hint = typeof err?.hint === 'string' ? ` (hint: ${err.hint})` : '';
  return code === undefined ? `${message}${hint}` : `${message} [${code}]${hint}`;
}

/**
 * Turns node-postgres failures into the runtime's errors: a closed store → StoreError CLOSED;
 * anything else → StoreError IO naming what failed and PostgreSQL's reason (never the password
 * of the connection string). VersionConflict and other ActorfoldErrors pass through unchanged.
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

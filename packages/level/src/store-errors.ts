/** Turns classic-level's errors into the runtime's StoreError, naming the folder. */
import { isActorfoldError, StoreError } from '@actorfold/core';

interface LevelError {
  code?: unknown;
  message?: unknown;
  cause?: { code?: unknown; message?: unknown };
}

/** True when classic-level refused to open because another process or handle holds the folder's lock. */
export function isLockedError(e: unknown): boolean {
  const err = e as LevelError | undefined;
  return err?.code === 'LEVEL_LOCKED' || err?.cause?.code === 'LEVEL_LOCKED';
}

/**
 * Wraps any failure of a LevelDB call: already an ActorfoldError → unchanged; the store is closed
 * → reason CLOSED; otherwise reason IO with the underlying message (for example "No space left
 * on device").
 */
export function toStoreError(e: unknown, path: string, what: string, closed: boolean): Error {
  if (isActorfoldError(e)) return e;
  if (closed) return new StoreError('CLOSED', `the LevelDB store at ${path} is closed`, { cause: e });
  return new StoreError('IO', `${what} failed in the LevelDB store at ${path}: ${describe(e)}`, { cause: e });
}

/** The innermost useful message of a classic-level error. */
export function describe(e: unknown): string {
  const err = e as LevelError | undefined;
  const inner = err?.cause?.message;
  const outer = err?.message;
  if (typeof inner === 'string' && inner.length > 0) return inner;
  return typeof outer === 'string' ? outer : String(e);
}

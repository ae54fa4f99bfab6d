/**
 * What the server answers for a failure, `{ error: { code, message } }`. Apart from admin-error.ts
 * because it needs the runtime's errors, which the client (and the CLI with it) does not load.
 */
import { isActorfoldError } from '@actorfold/core/errors';
import { type ErrorBody, httpStatusOf, isAdminError } from './admin-error.js';

/** Turns whatever a handler threw into a status and a body. */
export function toErrorResponse(e: unknown): { status: number; body: ErrorBody } {
  if (isAdminError(e) || isActorfoldError(e)) {
    return { status: isAdminError(e) ? e.status : httpStatusOf(e.code), body: errorBody(e.code, e.message) };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { status: 500, body: errorBody('INTERNAL', message) };
}

function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

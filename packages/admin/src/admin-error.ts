/**
 * Errors of the admin endpoint and its client, and the one table that maps error codes to HTTP
 * statuses. The server answers every failure as `{ error: { code, message } }`; the client turns
 * such an answer back into an AdminError carrying the same code.
 */
const BRAND = Symbol.for('actorfold.admin-error');

/** Codes of the admin layer itself; a failed runtime call keeps its own code (UNKNOWN_AGGREGATE, …). */
export type AdminErrorCode =
  /** A query parameter or path segment is malformed. */
  | 'BAD_REQUEST'
  /** No such route, stream or aggregate. */
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  /** The runtime or its store lacks what the route needs (stream listing, live tail). */
  | 'NOT_SUPPORTED'
  /** The socket path is unusable: too long, or taken by something that is not a socket. */
  | 'BAD_SOCKET_PATH'
  /** A live admin server already answers on the socket path. */
  | 'SOCKET_IN_USE'
  /** Client side: nothing answers on the socket (missing, refused, or not permitted). */
  | 'UNREACHABLE'
  /** Client side: the answer was not what the protocol promises. */
  | 'BAD_RESPONSE'
  /** Anything unexpected; the message says what. */
  | 'INTERNAL';

/** HTTP status per code: the admin layer's codes and the runtime's (@actorfold/core's ErrorCode). Unknown codes are 500. */
const STATUS: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  INVALID_ARGUMENT: 400,
  INVALID_COMMAND: 400,
  NOT_FOUND: 404,
  UNKNOWN_AGGREGATE: 404,
  METHOD_NOT_ALLOWED: 405,
  VERSION_CONFLICT: 409,
  NOT_SUPPORTED: 501,
  MAILBOX_FULL: 503,
  RUNTIME_CLOSED: 503,
  COMMAND_TIMEOUT: 504,
};

/** The HTTP status for an error code. */
export function httpStatusOf(code: string): number {
  return STATUS[code] ?? 500;
}

/** An admin failure with a stable string code and, when it came over HTTP, the status. */
export class AdminError extends Error {
  readonly code: AdminErrorCode | (string & {});
  readonly status: number;
  readonly [BRAND] = true;

  constructor(
    code: AdminErrorCode | (string & {}),
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options);
    this.name = 'AdminError';
    this.code = code;
    this.status = options?.status ?? httpStatusOf(code);
  }
}

/** True for an AdminError from any installed copy of this package. */
export function isAdminError(e: unknown): e is AdminError {
  return typeof e === 'object' && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true;
}

/** The wire form of an error: what the server sends for any failure. Never a stack trace. */
export interface ErrorBody {
  error: { code: string; message: string };
}

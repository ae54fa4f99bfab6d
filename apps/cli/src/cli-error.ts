/**
 * The CLI's exit codes, and the one place that turns any failure into a message and a code.
 * A user never sees a stack trace unless ACTORFOLD_DEBUG=1 asks for it.
 */
import { isAdminError } from '@actorfold/admin/client';
// The narrow entries: every command loads this module, and the main ones load the runtime.
import { isActorfoldError } from '@actorfold/core/errors';

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  OK: 0,
  /** `verify` found problems, or a read met corrupt data or an event from a newer schema. */
  PROBLEMS: 1,
  /** Bad arguments or options. */
  USAGE: 2,
  /** The store folder is locked: a running daemon (or another process) has it open. */
  LOCKED: 3,
  /** No such store folder, stream, aggregate, aggregate type or module. */
  NOT_FOUND: 4,
  /** Nothing answers on the admin socket (missing, refused, or not permitted). */
  UNREACHABLE: 5,
  /** Anything else: an I/O error, the daemon failed the request, a bug. */
  FAILED: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI explains: a message, an optional hint on what to do, and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Exit code per error code of the runtime (ActorfoldError) and the admin endpoint (AdminError). */
const BY_CODE: Readonly<Record<string, ExitCode>> = {
  CORRUPT_DATA: EXIT.PROBLEMS,
  UNKNOWN_EVENT_SCHEMA: EXIT.PROBLEMS,
  BAD_REQUEST: EXIT.USAGE,
  INVALID_ARGUMENT: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  UNKNOWN_AGGREGATE: EXIT.NOT_FOUND,
  UNREACHABLE: EXIT.UNREACHABLE,
};

/** Any thrown value as a CliError. */
export function toCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (isAdminError(e) || isActorfoldError(e)) {
    // An unreachable daemon is said plainly; other codes are worth showing (scripts grep them).
    const message = e.code === 'UNREACHABLE' ? e.message : `${e.code}: ${e.message}`;
    return new CliError(BY_CODE[e.code] ?? EXIT.FAILED, message, undefined, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new CliError(
    EXIT.FAILED,
    `unexpected error: ${message}`,
    'run again with ACTORFOLD_DEBUG=1 for details',
    {
      cause: e,
    },
  );
}

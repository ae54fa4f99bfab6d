/**
 * The `@actorfold/core/errors` entry point: the error classes, their codes and the guards, without
 * the runtime behind the main entry (pino, p-queue, superjson). For tools that only tell errors
 * apart, such as the CLI, whose every start-up would otherwise load the runtime.
 * The main entry re-exports all of it; a codec's UnstorableValue, an INVALID_ARGUMENT, is on the
 * main entry only.
 */
export {
  ActorCrashed,
  ActorfoldError,
  CommandTimeout,
  CorruptData,
  DecideFailed,
  EffectCancelled,
  EffectTimeout,
  type ErrorCode,
  IdempotencyConflict,
  InterceptorFailed,
  InvalidArgument,
  InvalidCommand,
  isActorfoldError,
  isRejection,
  isRetryable,
  isTransientStoreError,
  isVersionConflict,
  MailboxFull,
  NotOwner,
  ProjectionFailed,
  Rejection,
  RuntimeClosed,
  reject,
  StoreError,
  type StoreErrorReason,
  UnknownAggregate,
  UnknownEventSchema,
  UpcastFailed,
  type ValidationIssue,
  VersionConflict,
} from './errors.js';

/**
 * Every error the runtime throws is an {@link ActorfoldError} with a stable string `code`.
 * Detection goes through a global-symbol brand rather than `instanceof`, so two installed
 * copies of this package still recognise each other's errors.
 */

const BRAND = Symbol.for('actorfold.error');

/** The stable codes of the public API (never renamed), plus INVALID_ARGUMENT for misuse of the API itself. */
export type ErrorCode =
  | 'REJECTED'
  | 'INVALID_COMMAND'
  | 'INVALID_ARGUMENT'
  | 'VERSION_CONFLICT'
  | 'MAILBOX_FULL'
  | 'COMMAND_TIMEOUT'
  | 'ACTOR_CRASHED'
  | 'DECIDE_FAILED'
  | 'RUNTIME_CLOSED'
  | 'UNKNOWN_AGGREGATE'
  | 'STORE_ERROR'
  | 'CORRUPT_DATA'
  // @actorfold/xstate: a stream's workflow version is not registered, or its machine changed in place.
  | 'UNKNOWN_WORKFLOW_VERSION'
  | 'WORKFLOW_DIVERGED'
  | 'IMPURE_MACHINE'
  | 'PROJECTION_FAILED'
  // Lease mode of a shared store: another node hosts the aggregate right now.
  | 'NOT_OWNER'
  // A commandId reused for a different command.
  | 'IDEMPOTENCY_CONFLICT'
  // Upcasting: an upcaster threw or returned something other than events.
  | 'UPCAST_FAILED'
  // Upcasting: a stored event's schemaVersion is newer than the aggregate definition reading it.
  | 'UNKNOWN_EVENT_SCHEMA'
  // A before-decide interceptor threw something other than a Rejection (a bug in it).
  | 'INTERCEPTOR_FAILED'
  // Durable effects: an attempt ran past its timeout; an attempt was aborted because its effect was cancelled.
  | 'EFFECT_TIMEOUT'
  | 'EFFECT_CANCELLED';

/** Codes a caller may simply retry (with the same `commandId`). */
const RETRYABLE: ReadonlySet<string> = new Set([
  'MAILBOX_FULL',
  'COMMAND_TIMEOUT',
  'ACTOR_CRASHED',
  'NOT_OWNER',
]);

/** The base class of every error actorfold throws. */
export class ActorfoldError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An attempt of a durable effect ran past its timeout (the reason its AbortSignal carries; retried within the budget). */
export class EffectTimeout extends ActorfoldError {
  constructor(effect: string, timeoutMs: number) {
    super('EFFECT_TIMEOUT', `effect '${effect}' did not finish within ${timeoutMs} ms`);
  }
}

/**
 * The reason an attempt's AbortSignal carries when its effect was cancelled (by its aggregate, or
 * an operator's retry or abandon) or the runtime shut down: its outcome is not recorded.
 */
export class EffectCancelled extends ActorfoldError {
  constructor(message: string) {
    super('EFFECT_CANCELLED', message);
  }
}

/** decide called `reject()`: a business rule refused the command. */
export class Rejection extends ActorfoldError {
  readonly reason: string;
  readonly details: unknown;
  constructor(reason: string, message?: string, details?: unknown) {
    super('REJECTED', message ? `${reason}: ${message}` : reason);
    this.reason = reason;
    this.details = details;
  }
}

/** One problem reported by a Standard Schema validator. */
export interface ValidationIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** `validateCommand` failed, or the command is not an object with a string `type`. */
export class InvalidCommand extends ActorfoldError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[] = []) {
    super('INVALID_COMMAND', message);
    this.issues = issues;
  }
}

/** The API was called with an argument it cannot accept (an empty id, a bad option, a malformed event). */
export class InvalidArgument extends ActorfoldError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** `expectedVersion` did not match the stream's version. */
export class VersionConflict extends ActorfoldError {
  readonly streamId: string;
  readonly expected: number;
  readonly actual: number;
  constructor(streamId: string, expected: number, actual: number) {
    super('VERSION_CONFLICT', `${streamId}: expected version ${expected}, actual ${actual}`);
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A commandId already accepted for a different command (as payment APIs refuse a reused
 * idempotency key). Not retryable: the caller must pick a new commandId or send the original.
 */
export class IdempotencyConflict extends ActorfoldError {
  readonly streamId: string;
  readonly commandId: string;
  constructor(streamId: string, commandId: string) {
    super(
      'IDEMPOTENCY_CONFLICT',
      `${streamId}: commandId '${commandId}' was already accepted for a different command`,
    );
    this.streamId = streamId;
    this.commandId = commandId;
  }
}

/** The actor's mailbox is at capacity. Retryable. */
export class MailboxFull extends ActorfoldError {
  readonly streamId: string;
  readonly capacity: number;
  constructor(streamId: string, capacity: number) {
    super('MAILBOX_FULL', `${streamId}: mailbox full (capacity ${capacity})`);
    this.streamId = streamId;
    this.capacity = capacity;
  }
}

/** No reply within `commandTimeoutMs`. The command may still run: retry with the same commandId. */
export class CommandTimeout extends ActorfoldError {
  readonly streamId: string;
  readonly timeoutMs: number;
  constructor(streamId: string, timeoutMs: number) {
    super('COMMAND_TIMEOUT', `${streamId}: no reply within ${timeoutMs} ms (the command may still run)`);
    this.streamId = streamId;
    this.timeoutMs = timeoutMs;
  }
}

/** The actor died while the command waited; the next call respawns it. */
export class ActorCrashed extends ActorfoldError {
  readonly streamId: string;
  constructor(streamId: string, cause: unknown) {
    super('ACTOR_CRASHED', `${streamId}: actor crashed: ${describe(cause)}`, { cause });
    this.streamId = streamId;
  }
}

/** decide threw something other than a Rejection (a bug). The actor stays alive. */
export class DecideFailed extends ActorfoldError {
  readonly streamId: string;
  constructor(streamId: string, cause: unknown) {
    super('DECIDE_FAILED', `${streamId}: decide threw: ${describe(cause)}`, { cause });
    this.streamId = streamId;
  }
}

/**
 * A before-decide interceptor threw (or its promise rejected with) something other than a
 * Rejection: a bug in the interceptor. That one command fails, nothing is stored, and the actor
 * stays alive, as with DECIDE_FAILED. `.interceptor` names it (its `name`, or its position).
 */
export class InterceptorFailed extends ActorfoldError {
  readonly streamId: string;
  readonly interceptor: string;
  constructor(streamId: string, interceptor: string, cause: unknown) {
    super('INTERCEPTOR_FAILED', `${streamId}: interceptor '${interceptor}' threw: ${describe(cause)}`, {
      cause,
    });
    this.streamId = streamId;
    this.interceptor = interceptor;
  }
}

/** The runtime is shutting down or shut down. */
export class RuntimeClosed extends ActorfoldError {
  constructor(message = 'the runtime is shut down') {
    super('RUNTIME_CLOSED', message);
  }
}

/** No aggregate of that type is registered. */
export class UnknownAggregate extends ActorfoldError {
  readonly aggregateType: string;
  constructor(aggregateType: string, known: readonly string[]) {
    super(
      'UNKNOWN_AGGREGATE',
      `no aggregate of type '${aggregateType}' is registered (known: ${known.join(', ') || 'none'})`,
    );
    this.aggregateType = aggregateType;
  }
}

/**
 * Lease mode of a shared store: another node hosts this aggregate now. Retryable: the lease moves
 * when that node evicts the actor or dies.
 */
export class NotOwner extends ActorfoldError {
  readonly streamId: string;
  /** The node holding the lease, when the store can tell. */
  readonly owner: string | undefined;
  constructor(streamId: string, owner: string | undefined) {
    super(
      'NOT_OWNER',
      `${streamId} is hosted by ${owner === undefined ? 'another node' : `node ${owner}`} (lease held); ` +
        'retry later or send the command to that node',
    );
    this.streamId = streamId;
    this.owner = owner;
  }
}

/** A projection's handler threw: the projection stopped at that event, which it did not skip. */
export class ProjectionFailed extends ActorfoldError {
  readonly projection: string;
  /** The global position of the event whose handler threw. */
  readonly position: number;
  readonly eventType: string;
  constructor(projection: string, position: number, eventType: string, cause: unknown) {
    const why = describe(cause);
    super(
      'PROJECTION_FAILED',
      `projection '${projection}' failed at position ${position} (${eventType}): ${why}`,
      {
        cause,
      },
    );
    this.projection = projection;
    this.position = position;
    this.eventType = eventType;
  }
}

/**
 * Why a store failed. `IO`: reading or writing failed (a disk error, a failed query);
 * `CONNECTION`: the store cannot reach its server right now (refused, reset, the server shutting
 * down or restarting); `LOCKED`: another process (or store) holds the store; `CLOSED`: the store
 * was closed; `DAMAGED`: its files show a broken database (refused rather than opened or created
 * over; see `actorfold repair`); `NOT_FOUND`: there is no store where one must already exist
 * (`create: false`). IO and CONNECTION are transient (see {@link isTransientStoreError}).
 */
export type StoreErrorReason = 'IO' | 'CONNECTION' | 'LOCKED' | 'CLOSED' | 'DAMAGED' | 'NOT_FOUND';

/** The store failed (I/O, connection lost, closed, locked by another process, damaged, or missing). */
export class StoreError extends ActorfoldError {
  readonly reason: StoreErrorReason;
  /**
   * True when a write failed in a way that may still have stored it (a failed fsync: the data can
   * reach the disk anyway and show when the store is reopened). What the failed call wrote may or
   * may not be stored; resending the command with the same `commandId` is safe. False otherwise.
   */
  readonly outcomeUnknown: boolean;
  constructor(
    reason: StoreErrorReason,
    message: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super('STORE_ERROR', message, options);
    this.reason = reason;
    this.outcomeUnknown = options?.outcomeUnknown === true;
  }
}

/** A stored event or snapshot cannot be read. Never skipped silently. */
export class CorruptData extends ActorfoldError {
  readonly streamId: string;
  readonly version: number;
  constructor(streamId: string, version: number, message: string, options?: { cause?: unknown }) {
    super('CORRUPT_DATA', `${streamId}@${version}: ${message}`, options);
    this.streamId = streamId;
    this.version = version;
  }
}

/**
 * An upcaster threw, or returned something other than an event, an array of events or `[]`,
 * for the stored event at `streamId`@`version`. The event is never skipped: recovery crashes the
 * actor with this error (not retryable: the upcaster must be fixed), a projection or subscription
 * stops at it.
 */
export class UpcastFailed extends ActorfoldError {
  readonly streamId: string;
  readonly version: number;
  /** The type of the event the failing upcaster was given. */
  readonly eventType: string;
  /** The schema version that upcaster reads (`Upcaster.fromVersion`). */
  readonly fromVersion: number;
  constructor(
    streamId: string,
    version: number,
    eventType: string,
    fromVersion: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      'UPCAST_FAILED',
      `${streamId}@${version}: the upcaster of ${eventType} from schema version ${fromVersion} ${message}`,
      options,
    );
    this.streamId = streamId;
    this.version = version;
    this.eventType = eventType;
    this.fromVersion = fromVersion;
  }
}

/**
 * A stored event carries a `schemaVersion` newer than the `eventSchemaVersion` of the definition
 * reading it (written by a newer deployment, say): it is refused rather than folded as if it were
 * old. Not retryable; deploy the definition that knows that schema.
 */
export class UnknownEventSchema extends ActorfoldError {
  readonly streamId: string;
  readonly version: number;
  /** The stored event's schemaVersion. */
  readonly schemaVersion: number;
  /** The newest schema version the reading definition knows (its `eventSchemaVersion`). */
  readonly supported: number;
  constructor(streamId: string, version: number, schemaVersion: number, supported: number) {
    super(
      'UNKNOWN_EVENT_SCHEMA',
      `${streamId}@${version}: the event has schema version ${schemaVersion}, newer than ${supported}, the newest this definition reads`,
    );
    this.streamId = streamId;
    this.version = version;
    this.schemaVersion = schemaVersion;
    this.supported = supported;
  }
}

/** True for any error thrown by actorfold (any installed copy). */
export function isActorfoldError(e: unknown): e is ActorfoldError {
  return typeof e === 'object' && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true;
}

/** True when decide refused the command through `reject()`. */
export function isRejection(e: unknown): e is Rejection {
  return isActorfoldError(e) && e.code === 'REJECTED';
}

/** True when an `expectedVersion` check failed. */
export function isVersionConflict(e: unknown): e is VersionConflict {
  return isActorfoldError(e) && e.code === 'VERSION_CONFLICT';
}

/**
 * True when retrying the same call (with the same commandId) may succeed: the codes above, and a
 * store that lost its connection (StoreError reason CONNECTION).
 */
export function isRetryable(e: unknown): boolean {
  return isActorfoldError(e) && (RETRYABLE.has(e.code) || storeReason(e) === 'CONNECTION');
}

/**
 * True for a store failure that may pass by itself: StoreError with reason IO or CONNECTION (a
 * disk or query error, a server that is down or restarting). Subscriptions and projections back
 * off and retry these; CLOSED, LOCKED, CORRUPT_DATA and anything that is not a StoreError are not
 * transient.
 */
export function isTransientStoreError(e: unknown): boolean {
  const reason = storeReason(e);
  return reason === 'IO' || reason === 'CONNECTION';
}

function storeReason(e: unknown): StoreErrorReason | undefined {
  return isActorfoldError(e) && e.code === 'STORE_ERROR' ? (e as StoreError).reason : undefined;
}

/**
 * Refuses the current command from inside `decide`.
 * @example if (cmd.amount > state.balance) reject('insufficient-funds', `balance ${state.balance}`);
 */
export function reject(reason: string, message?: string, details?: unknown): never {
  throw new Rejection(reason, message, details);
}

/**
 * What was thrown, as text. Anything may be thrown (a null-prototype object, a Proxy whose traps
 * throw, an object whose toString throws): describing it must never throw in turn, or the error
 * meant to carry it would be lost.
 */
export function describe(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'a thrown value that cannot be turned into text';
  }
}

import type { Command } from '../aggregate/aggregate.js';
import { isRejection, isVersionConflict } from '../errors.js';
import type { ObservedCommand } from '../observability/observer.js';
import type { DomainEvent, EventEnvelope, EventMetadata } from '../store/store.js';
import type { TimerRecord } from '../timers/timer.js';
import type { Refused } from './refused.js';

/** Options of `execute` and `inject`. Everything but `expectedVersion` is stored with each event. */
export interface ExecuteOptions {
  /** Idempotency key: a retry with an accepted commandId returns the original result and appends nothing. */
  commandId?: string;
  /** Optimistic check: the stream must be at exactly this version when the command runs. */
  expectedVersion?: number;
  correlationId?: string;
  causationId?: string;
  tenantId?: string;
  /** Extra metadata stored with each event: plain JSON (anything else is refused with INVALID_ARGUMENT). */
  metadata?: Record<string, unknown>;
}

/** What `execute` and `inject` resolve to. */
export interface ExecuteResult<S = unknown, E extends DomainEvent = DomainEvent> {
  /** The stored events of this command (for a deduplicated retry: those of the original). */
  events: EventEnvelope<E>[];
  /** The stream's version after the command (for a deduplicated retry: after the original). */
  version: number;
  /** The aggregate's state now. */
  state: S;
  /** True when the commandId had already been accepted and nothing was appended. */
  deduplicated: boolean;
}

/** What `runtime.snapshot()` resolves to. */
export interface SnapshotResult {
  /** The version the snapshot holds (0: the stream is empty and nothing was saved). */
  version: number;
  saved: boolean;
}

/** What `h.state()` resolves to. */
export interface StateResult<S = unknown> {
  state: S;
  version: number;
}

/** What `captureSettlers` was last given: read (and cleared) by the Reply that just made its promise. */
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;

/** The executor of every Reply's promise (the executor runs synchronously inside `new Promise`). */
function captureSettlers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * The caller's side of a request: the promise it awaits. Settling is idempotent so a timeout
 * and a late reply can race harmlessly.
 */
abstract class Reply<T> {
  settled = false;
  readonly streamId: string;
  /** When the caller stops waiting (clock ms); Infinity without a timeout. */
  deadline = Number.POSITIVE_INFINITY;
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;

  constructor(streamId: string) {
    this.streamId = streamId;
    // One shared executor instead of a closure per request: it hands the functions over here.
    this.promise = new Promise<T>(captureSettlers);
    this.#resolve = capturedResolve as (value: T) => void;
    this.#reject = capturedReject as (error: unknown) => void;
    capturedResolve = undefined;
    capturedReject = undefined;
  }

  succeed(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.#resolve(value);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.#reject(error);
  }
}

/**
 * An execute or inject request. Every way it can end (reply, refusal, crash, timeout, shutdown)
 * goes through `succeed` or `fail`, so an observation (when an observer asked for one) ends here.
 */
abstract class CommandReply extends Reply<ExecuteResult> {
  /** Set by the dispatcher only when a runtime observer watches commands. */
  observed: ObservedCommand | undefined = undefined;
  /**
   * The metadata stored with this command's events, once interceptors or the observer have seen
   * (and maybe enriched) it; undefined without them (then built from the options when needed).
   */
  metadata: EventMetadata | undefined = undefined;
  /** Why a beforeDecide interceptor refused it (kept for a batch decided again after a conflict). */
  refusal: Refused | undefined = undefined;
  /**
   * The fingerprint of what the caller sent, for a request with a commandId: taken at the call
   * (before validateCommand), or by the batch before decide runs, so neither a validator that
   * fills in defaults nor a decide that changes the command makes an exact retry a conflict.
   */
  fingerprint: string | undefined = undefined;

  override succeed(value: ExecuteResult): void {
    if (this.settled) return;
    super.succeed(value);
    this.observed?.end(
      value.deduplicated ? 'duplicate' : 'ok',
      undefined,
      value.events.length,
      value.version,
    );
  }

  override fail(error: unknown): void {
    if (this.settled) return;
    super.fail(error);
    if (this.observed === undefined) return;
    const rejected =
      isRejection(error) ||
      isVersionConflict(error) ||
      (error as { code?: unknown } | null)?.code === 'IDEMPOTENCY_CONFLICT';
    this.observed.end(rejected ? 'rejected' : 'failed', error, 0, undefined);
  }
}

/** Run a command through decide. */
export class ExecuteRequest extends CommandReply {
  readonly kind = 'execute';
  /** The timer this command is the firing of (set only by TimerCommand: no field on other requests). */
  declare readonly timer?: TimerRecord;
  constructor(
    streamId: string,
    readonly command: Command,
    readonly options: ExecuteOptions,
  ) {
    super(streamId);
  }
}

/**
 * A command whose `validateCommand` returned a promise, until that settles: the caller's promise
 * meanwhile, watched by the command timeouts (and answered at shutdown) like a queued request,
 * so a validator that never settles cannot leave its caller waiting forever. Never queued.
 */
export class ValidatingCommand extends Reply<ExecuteResult> {
  readonly kind = 'validating';
  /** The command sent once validated (its own caller's clock is this one's): failed with it. */
  sent: ExecuteRequest | undefined = undefined;

  /** A timeout or shutdown of the caller fails the command sent too, so a queued one never runs. */
  override fail(error: unknown): void {
    super.fail(error);
    this.sent?.fail(error);
  }
}

/** Append pre-validated events, skipping decide. */
export class InjectRequest extends CommandReply {
  readonly kind = 'inject';
  constructor(
    streamId: string,
    readonly events: readonly DomainEvent[],
    readonly options: ExecuteOptions,
  ) {
    super(streamId);
  }
}

/** Read the refreshed state and version. */
export class StateRequest extends Reply<StateResult> {
  readonly kind = 'state';
}

/** Save a snapshot now. */
export class SnapshotRequest extends Reply<SnapshotResult> {
  readonly kind = 'snapshot';
}

/** What became of a timer's firing (`runtime.timers().fire()` resolves to it). */
export interface FireResult {
  /**
   * `fired`: its command's events were appended with the timer's removal; `nothing`: its command
   * decided no event and the timer was removed; `refused`: its command was refused (rejected, or
   * decide failed) and the timer was removed; `stale`: it was no longer pending with that version
   * (fired, cancelled or rescheduled meanwhile), nothing done.
   */
  outcome: 'fired' | 'nothing' | 'refused' | 'stale';
  /** The stream's version afterwards. */
  version: number;
  /** The refusal, for `refused`. */
  error?: unknown;
}

/** Fire a due timer (or one an operator fires by hand): decide its command if it is still pending. */
export class FireRequest extends Reply<FireResult> {
  readonly kind = 'fire';
  constructor(readonly timer: TimerRecord) {
    super(timer.streamId);
  }
}

/** Cancel a pending timer by hand, in order with the aggregate's commands; true when one was removed. */
export class CancelTimerRequest extends Reply<boolean> {
  readonly kind = 'cancel-timer';
  constructor(
    streamId: string,
    readonly name: string,
  ) {
    super(streamId);
  }
}

/**
 * The command a firing decides: the timer's command, with the commandId derived from the timer's
 * identity (`timer:${name}@${version}`) and the metadata the timer carries. Its reply is not
 * awaited by anyone: the FireRequest it serves replies instead.
 */
export class TimerCommand extends ExecuteRequest {
  declare readonly timer: TimerRecord;
  constructor(timer: TimerRecord, expectedVersion: number) {
    super(timer.streamId, timer.command, timerCommandOptions(timer, expectedVersion));
    this.timer = timer;
    // No caller awaits it: settleFiring reads its outcome, and when the actor crashes mid-batch
    // nobody does. Marked handled so such a failure is never an unhandled rejection.
    this.promise.catch(() => undefined);
  }
}

/** How the commandId of every timer firing (effect results included) begins: the runtime's own, refused in execute options. */
export const TIMER_COMMAND_ID_PREFIX = 'timer:';

/** The commandId of a timer's firing: unique per timer, so a repeated firing is deduplicated. */
export function timerCommandId(name: string, version: number): string {
  return `${TIMER_COMMAND_ID_PREFIX}${name}@${version}`;
}

function timerCommandOptions(timer: TimerRecord, expectedVersion: number): ExecuteOptions {
  const o: ExecuteOptions = { commandId: timerCommandId(timer.name, timer.version), expectedVersion };
  const m = timer.metadata;
  if (m === undefined) return o;
  const { correlationId, causationId, tenantId, commandId: _ignored, ...rest } = m;
  if (typeof correlationId === 'string') o.correlationId = correlationId;
  if (typeof causationId === 'string') o.causationId = causationId;
  if (typeof tenantId === 'string') o.tenantId = tenantId;
  if (Object.keys(rest).length > 0) o.metadata = rest;
  return o;
}

/** One message in an actor's mailbox: a tagged union, one handler per kind in the actor. */
export type Request =
  | ExecuteRequest
  | InjectRequest
  | StateRequest
  | SnapshotRequest
  | FireRequest
  | CancelTimerRequest;

/** The requests that may append events. */
export type CommandRequest = ExecuteRequest | InjectRequest;

/**
 * The metadata of every command sent without any (no commandId, correlation, causation, tenant or
 * `metadata` option, no interceptor): one frozen object that decide sees as `ctx.metadata`, and
 * that the batch stores as no metadata at all (stores write `{}`, and a read gives `{}` back).
 */
export const NO_METADATA: Readonly<EventMetadata> = Object.freeze({});

/**
 * The metadata stored with a command's events: as interceptors left it, else from its options
 * (`NO_METADATA` when they carry none: nothing to build, nothing for the store to encode).
 */
export function metadataOf(request: CommandRequest): EventMetadata {
  if (request.metadata !== undefined) return request.metadata;
  const o = request.options;
  if (
    o.metadata === undefined &&
    o.commandId === undefined &&
    o.correlationId === undefined &&
    o.causationId === undefined &&
    o.tenantId === undefined
  )
    return NO_METADATA as EventMetadata;
  return eventMetadata(o);
}

/** The metadata stored with the events of a request. */
export function eventMetadata(o: ExecuteOptions): EventMetadata {
  const m: EventMetadata = o.metadata === undefined ? {} : { ...o.metadata };
  if (o.commandId !== undefined) m.commandId = o.commandId;
  if (o.correlationId !== undefined) m.correlationId = o.correlationId;
  if (o.causationId !== undefined) m.causationId = o.causationId;
  if (o.tenantId !== undefined) m.tenantId = o.tenantId;
  return m;
}

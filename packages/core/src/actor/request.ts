import type { Command } from '../aggregate/aggregate.js';
import { isRejection, isVersionConflict } from '../errors.js';
import type { ObservedCommand } from '../observability/observer.js';
import type { DomainEvent, EventEnvelope, EventMetadata } from '../store/store.js';
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
  /** Extra metadata stored with each event. */
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
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
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
  constructor(
    streamId: string,
    readonly command: Command,
    readonly options: ExecuteOptions,
  ) {
    super(streamId);
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

/** One message in an actor's mailbox: a tagged union, one handler per kind in the actor. */
export type Request = ExecuteRequest | InjectRequest | StateRequest | SnapshotRequest;

/** The requests that may append events. */
export type CommandRequest = ExecuteRequest | InjectRequest;

/** The metadata stored with a command's events: as interceptors left it, else from its options. */
export function metadataOf(request: CommandRequest): EventMetadata {
  return request.metadata ?? eventMetadata(request.options);
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

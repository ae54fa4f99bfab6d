import type { Command } from './aggregate.js';
import type { DomainEvent, EventEnvelope, EventMetadata } from './store.js';

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

export type RequestKind = 'execute' | 'inject' | 'state' | 'snapshot';

/**
 * One message in an actor's mailbox, with the promise its caller awaits. Settling is
 * idempotent so a timeout and a late reply can race harmlessly.
 */
export class Request {
  settled = false;
  readonly kind: RequestKind;
  readonly streamId: string;
  readonly command: Command | undefined;
  readonly events: readonly DomainEvent[] | undefined;
  readonly options: ExecuteOptions;
  /** When the caller stops waiting (clock ms); Infinity without a timeout. */
  deadline = Number.POSITIVE_INFINITY;
  readonly promise: Promise<unknown>;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;

  constructor(
    kind: RequestKind,
    streamId: string,
    command: Command | undefined,
    events: readonly DomainEvent[] | undefined,
    options: ExecuteOptions,
  ) {
    this.kind = kind;
    this.streamId = streamId;
    this.command = command;
    this.events = events;
    this.options = options;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  succeed(value: ExecuteResult | StateResult | SnapshotResult): void {
    if (this.settled) return;
    this.settled = true;
    this.#resolve(value);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.#reject(error);
  }

  /** The metadata stored with the events of this request. */
  eventMetadata(): EventMetadata {
    const o = this.options;
    const m: EventMetadata = o.metadata === undefined ? {} : { ...o.metadata };
    if (o.commandId !== undefined) m.commandId = o.commandId;
    if (o.correlationId !== undefined) m.correlationId = o.correlationId;
    if (o.causationId !== undefined) m.causationId = o.causationId;
    if (o.tenantId !== undefined) m.tenantId = o.tenantId;
    return m;
  }
}

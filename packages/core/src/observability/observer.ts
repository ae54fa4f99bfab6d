import type { Request } from '../actor/request.js';
import type { AnyAggregate } from '../aggregate/aggregate.js';
import type { EventEnvelope, EventMetadata } from '../store/store.js';

/**
 * The instrumentation seam (`RuntimeOptions.observer`): what tracing (@actorfold/otel) or other
 * instrumentation needs to see of commands, activations and projections, without core
 * depending on any of it. Unlike interceptors, an observer cannot refuse or change a command
 * (beyond adding metadata in `started`). Each method may return undefined to skip one instance;
 * with no observer, each seam costs one null check.
 */
export interface RuntimeObserver {
  /**
   * A command (execute or inject) was accepted into its actor's mailbox. Called synchronously in
   * the caller's async context (so a tracer can pick up the caller's active span).
   */
  command?(info: ObservedCommandInfo): CommandObservation | undefined;
  /** An actor starts recovering its state (or is ready at once, for a stream known to be empty). */
  activation?(info: ObservedAggregate): ActivationObservation | undefined;
  /** A projection is about to hand one event to its handler. */
  projectionEvent?(projection: string, event: EventEnvelope): ProjectionObservation | undefined;
}

/** An aggregate instance, as the observer is told of it. */
export interface ObservedAggregate {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly streamId: string;
}

/** A command entering its mailbox. */
export interface ObservedCommandInfo extends ObservedAggregate {
  readonly kind: 'execute' | 'inject';
  /** The command's type (`execute`), or undefined (`inject`). */
  readonly commandType: string | undefined;
  /** The metadata the caller sent (`ExecuteOptions.metadata`), e.g. a caller's `traceparent`. */
  readonly callerMetadata: Readonly<Record<string, unknown>> | undefined;
}

/** One command, from its mailbox to its reply. */
export interface CommandObservation {
  /**
   * The actor takes the command up, before interceptors and decide: `metadata` is what will be
   * stored with its events (add trace context here; never change existing keys).
   */
  started?(metadata: EventMetadata): void;
  /** The caller got its reply (or error). Called exactly once. */
  ended(end: CommandEnd): void;
}

/** How a command ended, with where its time went (ms, from `performance.now()`). */
export interface CommandEnd {
  /** `ok` (events appended or none needed), `duplicate` (an accepted commandId), `rejected` or `failed`. */
  readonly outcome: 'ok' | 'duplicate' | 'rejected' | 'failed';
  readonly error: unknown;
  /** Events the command appended (for a duplicate: the original's). */
  readonly events: number;
  /** The stream's version after it (undefined when it failed). */
  readonly version: number | undefined;
  /** In the mailbox, until the actor took it up (until its end when it never ran). */
  readonly waitMs: number;
  /** Dedupe check, decide and folding the events (conflict retries included). */
  readonly decideMs: number;
  /** The store's append (conflict retries included). */
  readonly appendMs: number;
  /** Commands appended together with this one in one store append (1 without batching). */
  readonly batchSize: number;
}

/** One actor's activation. */
export interface ActivationObservation {
  ended(end: ActivationEnd): void;
}

/** How an activation ended. */
export interface ActivationEnd {
  /** Events folded after the snapshot (or from the start). */
  readonly eventsReplayed: number;
  /** The version of the snapshot recovery started from; 0 when none was used. */
  readonly snapshotVersion: number;
  readonly version: number;
  /** Why the activation failed (the actor crashed); undefined when it succeeded. */
  readonly error: unknown;
}

/** One event handled by a projection. */
export interface ProjectionObservation {
  /** The handler returned (error undefined) or threw. */
  ended(error: unknown): void;
}

/**
 * A command's observation and timings, kept on its request (only when an observer asked for it).
 * @internal
 */
export class ObservedCommand {
  readonly queuedAt = performance.now();
  startedAt = 0;
  decideMs = 0;
  appendMs = 0;
  batchSize = 1;
  readonly #observation: CommandObservation;

  constructor(observation: CommandObservation) {
    this.#observation = observation;
  }

  /** The actor takes the command up. */
  start(metadata: EventMetadata): void {
    this.startedAt = performance.now();
    try {
      this.#observation.started?.(metadata);
    } catch {
      // Instrumentation must never change what the caller gets.
    }
  }

  /** The request settled: called once, by the request itself. */
  end(outcome: CommandEnd['outcome'], error: unknown, events: number, version: number | undefined): void {
    const waitMs = (this.startedAt === 0 ? performance.now() : this.startedAt) - this.queuedAt;
    try {
      this.#observation.ended({
        outcome,
        error,
        events,
        version,
        waitMs,
        decideMs: this.decideMs,
        appendMs: this.appendMs,
        batchSize: this.batchSize,
      });
    } catch {
      // Instrumentation must never change what the caller gets.
    }
  }
}

/** Asks the observer whether it watches this command; keeps its observation on the request. */
export function observeRequest(
  observer: RuntimeObserver,
  def: AnyAggregate,
  id: string,
  request: Request,
): void {
  if (observer.command === undefined || (request.kind !== 'execute' && request.kind !== 'inject')) return;
  let observation: CommandObservation | undefined;
  try {
    observation = observer.command({
      aggregateType: def.type,
      aggregateId: id,
      streamId: request.streamId,
      kind: request.kind,
      commandType: request.kind === 'execute' ? request.command.type : undefined,
      callerMetadata: request.options.metadata,
    });
  } catch {
    return; // instrumentation never fails a command
  }
  if (observation !== undefined) request.observed = new ObservedCommand(observation);
}

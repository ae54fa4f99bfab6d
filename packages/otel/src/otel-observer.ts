import type {
  ActivationObservation,
  CommandObservation,
  EventEnvelope,
  ObservedAggregate,
  ObservedCommandInfo,
  ProjectionObservation,
  RuntimeObserver,
} from '@actorfold/core';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  injectTraceContext,
  parseTraceparent,
  TRACEPARENT,
  TRACESTATE,
  traceContextOf,
} from './trace-context.js';

/** Options of `otelObserver`. */
export interface OtelObserverOptions {
  /** The tracer spans come from. Default `trace.getTracer('@actorfold/otel')` (the global provider). */
  tracer?: Tracer;
  /** A span per activation (recovery). Default true. */
  activations?: boolean;
  /** A span per event a projection handles, child of the command that appended it. Default true. */
  projections?: boolean;
  /** Store the command span's trace context in its events' metadata (`traceparent`). Default true. */
  propagate?: boolean;
}

/** The attribute names this package sets (stable: dashboards and queries use them). */
export const ATTR = {
  aggregateType: 'actorfold.aggregate.type',
  aggregateId: 'actorfold.aggregate.id',
  commandType: 'actorfold.command.type',
  commandKind: 'actorfold.command.kind',
  outcome: 'actorfold.command.outcome',
  errorCode: 'actorfold.error.code',
  events: 'actorfold.events',
  version: 'actorfold.version',
  mailboxWaitMs: 'actorfold.mailbox.wait_ms',
  decideMs: 'actorfold.decide_ms',
  appendMs: 'actorfold.append_ms',
  batchSize: 'actorfold.batch.size',
  eventsReplayed: 'actorfold.activation.events_replayed',
  snapshotHit: 'actorfold.activation.snapshot_hit',
  snapshotVersion: 'actorfold.activation.snapshot_version',
  projection: 'actorfold.projection.name',
  eventType: 'actorfold.event.type',
  eventPosition: 'actorfold.event.position',
  eventVersion: 'actorfold.event.version',
} as const;

/**
 * A runtime observer that traces with OpenTelemetry: pass it as `RuntimeOptions.observer`.
 *
 * - `command {type}.{command}`: from the mailbox to the reply, child of the caller's active span
 *   (or of a `traceparent` the caller put in `ExecuteOptions.metadata`), with mailbox wait,
 *   decide and append times, batch size, outcome and events; its context is stored in the
 *   events' metadata as `traceparent`.
 * - `activate {type}`: recovery, with events replayed and whether a snapshot was used.
 * - `project {name} {event}`: a projection's handler for one event, child of the command span
 *   that appended the event, so a trace runs from the command into its read models.
 *
 * Zero cost when not installed: the runtime without an observer checks one null per seam.
 * @example
 * const runtime = await createRuntime({ aggregates, observer: otelObserver() });
 */
export function otelObserver(options: OtelObserverOptions = {}): RuntimeObserver {
  const tracer = options.tracer ?? trace.getTracer('@actorfold/otel');
  const propagate = options.propagate ?? true;
  const observer: RuntimeObserver = {
    command: (info) => commandSpan(tracer, info, propagate),
  };
  if (options.activations ?? true) observer.activation = (info) => activationSpan(tracer, info);
  if (options.projections ?? true)
    observer.projectionEvent = (name, event) => projectionSpan(tracer, name, event);
  return observer;
}

function aggregateAttributes(info: ObservedAggregate): Attributes {
  return { [ATTR.aggregateType]: info.aggregateType, [ATTR.aggregateId]: info.aggregateId };
}

/** The command's parent: a `traceparent` the caller sent explicitly, else the caller's active context. */
function callerContext(info: ObservedCommandInfo): Context {
  const sent = info.callerMetadata;
  const remote = sent === undefined ? undefined : parseTraceparent(sent[TRACEPARENT], sent[TRACESTATE]);
  const active = context.active();
  return remote === undefined ? active : trace.setSpanContext(active, remote);
}

function commandSpan(tracer: Tracer, info: ObservedCommandInfo, propagate: boolean): CommandObservation {
  const name = `command ${info.aggregateType}.${info.commandType ?? 'inject'}`;
  const span = tracer.startSpan(
    name,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        ...aggregateAttributes(info),
        [ATTR.commandKind]: info.kind,
        ...(info.commandType === undefined ? {} : { [ATTR.commandType]: info.commandType }),
      },
    },
    callerContext(info),
  );
  const observation: CommandObservation = {
    ended(end) {
      span.setAttributes({
        [ATTR.outcome]: end.outcome,
        [ATTR.events]: end.events,
        [ATTR.mailboxWaitMs]: end.waitMs,
        [ATTR.decideMs]: end.decideMs,
        [ATTR.appendMs]: end.appendMs,
        [ATTR.batchSize]: end.batchSize,
        ...(end.version === undefined ? {} : { [ATTR.version]: end.version }),
      });
      if (end.error !== undefined) markError(span, end.error, end.outcome === 'failed');
      span.end();
    },
  };
  // A span that is not sampled still has a valid context to pass on; a no-op tracer's has none.
  if (propagate && trace.isSpanContextValid(span.spanContext())) {
    observation.started = (metadata) => injectTraceContext(metadata, span.spanContext());
  }
  return observation;
}

function activationSpan(tracer: Tracer, info: ObservedAggregate): ActivationObservation {
  const span = tracer.startSpan(`activate ${info.aggregateType}`, { attributes: aggregateAttributes(info) });
  return {
    ended(end) {
      span.setAttributes({
        [ATTR.eventsReplayed]: end.eventsReplayed,
        [ATTR.snapshotHit]: end.snapshotVersion > 0,
        [ATTR.snapshotVersion]: end.snapshotVersion,
        [ATTR.version]: end.version,
      });
      if (end.error !== undefined) markError(span, end.error, true);
      span.end();
    },
  };
}

function projectionSpan(tracer: Tracer, projection: string, event: EventEnvelope): ProjectionObservation {
  const span = tracer.startSpan(
    `project ${projection} ${event.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR.projection]: projection,
        [ATTR.eventType]: event.type,
        [ATTR.eventPosition]: event.position,
        [ATTR.eventVersion]: event.version,
        [ATTR.aggregateType]: event.aggregateType,
        [ATTR.aggregateId]: event.aggregateId,
      },
    },
    traceContextOf(event),
  );
  return {
    ended(error) {
      if (error !== undefined) markError(span, error, true);
      span.end();
    },
  };
}

/** Records the error's code; a failure (a bug, the store) also sets the span's status to ERROR. */
function markError(span: Span, error: unknown, failed: boolean): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') span.setAttribute(ATTR.errorCode, code);
  if (!failed) return;
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

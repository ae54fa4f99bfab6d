import type { EventEnvelope } from '@actorfold/core';
import {
  type Context,
  context,
  createTraceState,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

/**
 * W3C Trace Context (`traceparent`, `tracestate`) in event metadata, written and read here
 * rather than through the global propagator: the API's default propagator is a no-op until an
 * SDK registers one, and events must carry their trace whatever the application configured.
 */

/** The metadata keys that carry trace context (the W3C header names). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

const TRACEPARENT_FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A span context as a W3C `traceparent` value (version 00). */
export function formatTraceparent(span: SpanContext): string {
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/** The remote span context a `traceparent` (and optional `tracestate`) names; undefined when malformed or all-zero. */
export function parseTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const m = TRACEPARENT_FORMAT.exec(traceparent);
  if (m === null) return undefined;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  const span: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (typeof tracestate === 'string' && tracestate.length > 0) {
    span.traceState = createTraceState(tracestate);
  }
  return span;
}

/** Writes a span's context into metadata as `traceparent` (and `tracestate` when it has one). */
export function injectTraceContext(metadata: Record<string, unknown>, span: SpanContext): void {
  metadata[TRACEPARENT] = formatTraceparent(span);
  const state = span.traceState?.serialize();
  if (state !== undefined && state.length > 0) metadata[TRACESTATE] = state;
}

/**
 * The trace context stored with an event (the span of the command that appended it) as an
 * OpenTelemetry context: parent your own spans on it in a subscription, an effect or a timer
 * handler, so they continue the command's trace. `base` defaults to the active context;
 * without trace context in the event, `base` comes back unchanged.
 * @example
 * for await (const e of runtime.subscribe()) {
 *   const span = tracer.startSpan('notify', {}, traceContextOf(e));
 * }
 */
export function traceContextOf(
  event: Pick<EventEnvelope, 'metadata'>,
  base: Context = context.active(),
): Context {
  const span = parseTraceparent(event.metadata[TRACEPARENT], event.metadata[TRACESTATE]);
  return span === undefined ? base : trace.setSpanContext(base, span);
}

/**
 * Metadata carrying the active span's trace context, for a command sent where the caller's
 * context cannot be seen (another process, a timer, an effect): pass it as
 * `ExecuteOptions.metadata` and the command's span becomes a child of that span.
 * @example await handle.execute(cmd, { metadata: traceMetadata() });
 */
export function traceMetadata(
  extra: Record<string, unknown> = {},
  from: Context = context.active(),
): Record<string, unknown> {
  const span = trace.getSpanContext(from);
  if (span === undefined || !trace.isSpanContextValid(span)) return { ...extra };
  const out = { ...extra };
  injectTraceContext(out, span);
  return out;
}

/**
 * Tracing for the daemon, only when `--otel-endpoint` (ACTORFOLD_OTEL_ENDPOINT) asks for it: the
 * OpenTelemetry SDK and the OTLP exporter are imported here, on demand, so a daemon without the
 * flag never loads them (and the runtime gets no observer: no cost at all).
 */
import type { RuntimeObserver } from '@actorfold/core';
import type { Logger } from 'pino';

/** The runtime observer and how to flush and stop the exporter. */
export interface Tracing {
  readonly observer: RuntimeObserver;
  /** Exports the spans still buffered, then stops. Never throws (a collector that is down is logged). */
  shutdown(): Promise<void>;
}

/** The service name spans are reported under. */
export const SERVICE_NAME = 'actorfold-example-daemon';

/** Starts a tracer provider that batches spans to `endpoint` over OTLP/HTTP (JSON). */
export async function startTracing(endpoint: string, logger: Logger): Promise<Tracing> {
  const [
    { OTLPTraceExporter },
    { BasicTracerProvider, BatchSpanProcessor },
    { resourceFromAttributes },
    { otelObserver },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@actorfold/otel'),
  ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  logger.info({ endpoint }, 'tracing: exporting spans over OTLP/HTTP');
  return {
    observer: otelObserver({ tracer: provider.getTracer(SERVICE_NAME) }),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        logger.warn({ err: error, endpoint }, 'tracing: the last spans could not be exported');
      }
    },
  };
}

/**
 * docs/tracing.md: a runtime traced with @actorfold/otel, a command and the projection that
 * reads its event in one trace. Runs as one program (test/examples.test.ts) on the in-memory
 * store, with the SDK's in-memory exporter standing in for OTLP.
 */
import { account, balances } from '@actorfold/example-daemon/domain';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

// #region observer
import { createRuntime } from '@actorfold/core';
import { otelObserver } from '@actorfold/otel';

const runtime = await createRuntime({
  aggregates: [account],
  observer: otelObserver({ tracer: provider.getTracer('my-service') }), // default: the global provider
});
// #endregion observer

const totals = runtime.project(balances);
const h = runtime.get(account, 'ada');
await h.execute({ type: 'open', owner: 'Ada' });
const { events } = await h.execute({ type: 'deposit', amount: 5 });
await totals.waitFor(events[0]?.position ?? 0);
console.log(events[0]?.metadata.traceparent === undefined ? 'no trace context' : 'traceparent stored');

// #region continue
import { traceContextOf } from '@actorfold/otel';

const tracer = provider.getTracer('my-service');
for await (const e of runtime.subscribe({ fromPosition: 1 })) {
  // A span of your own, in the trace of the command that appended the event.
  const span = tracer.startSpan(`notify ${e.type}`, {}, traceContextOf(e));
  span.end();
  if (e.position === events[0]?.position) break;
}
// #endregion continue

await runtime.shutdown();
const spans = exporter.getFinishedSpans();
const command = spans.find((s) => s.name === 'command account.deposit');
const sameTrace = spans.filter((s) => s.spanContext().traceId === command?.spanContext().traceId);
console.log(sameTrace.map((s) => s.name).join(', '));

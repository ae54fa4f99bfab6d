export { ATTR, type OtelObserverOptions, otelObserver } from './otel-observer.js';
export {
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
  TRACEPARENT,
  TRACESTATE,
  traceContextOf,
  traceMetadata,
} from './trace-context.js';

export type { ActorStatus } from './actor/actor-status.js';
export type {
  AfterAppendContext,
  BeforeDecideContext,
  InterceptedAggregate,
  Interceptor,
  RefusalContext,
} from './actor/interceptors.js';
export {
  type ExecuteOptions,
  type ExecuteResult,
  type FireResult,
  type SnapshotResult,
  type StateResult,
  timerCommandId,
} from './actor/request.js';
export {
  type AggregateDefinition,
  type AggregateSpec,
  type AnyAggregate,
  type Command,
  type CommandOf,
  type DecideContext,
  type Decision,
  type DomainErrors,
  defineAggregate,
  type EventOf,
  isAggregateDefinition,
  type SnapshotPolicy,
  type StateOf,
} from './aggregate/aggregate.js';
export {
  type Decider,
  type DecisionResult,
  type FromDeciderOptions,
  fromDecider,
} from './aggregate/from-decider.js';
export { upcast, upcastEnvelope } from './aggregate/read-events.js';
export type { StandardSchemaV1 } from './aggregate/standard-schema.js';
export { type Upcaster, type UpcastResult, upcaster } from './aggregate/upcaster.js';
export { type Clock, SimulatedClock, systemClock, type TimerHandle } from './clock.js';
export { type Codec, encodeEvent, UnstorableValue } from './codec/codec.js';
export { codecByName } from './codec/codec-by-name.js';
export { jsonCodec } from './codec/json-codec.js';
export { richCodec } from './codec/rich-codec.js';
export {
  type DecideEffects,
  EFFECT_SETTLED,
  EFFECT_TIMER_PREFIX,
  type EffectContext,
  type EffectDefinition,
  type EffectError,
  type EffectImplementation,
  type EffectInfo,
  type EffectQuery,
  type EffectRef,
  type EffectRequestOptions,
  type EffectResult,
  type EffectState,
  type EffectsOptions,
  effectTimerName,
  isEffectTimerName,
  RUN_EFFECT,
  type RunEffect,
  type RuntimeEffects,
} from './effects/effect.js';
export { effectIdempotencyKey } from './effects/effect-record.js';
export { EffectRecorder } from './effects/effect-recorder.js';
// The error classes and guards: also their own entry point (@actorfold/core/errors), without the runtime.
export * from './errors-entry.js';
export type {
  AggregateTypeMetrics,
  Counters,
  LatencySummary,
  MetricsSnapshot,
  SizeSummary,
} from './observability/metrics.js';
export type {
  ActivationEnd,
  ActivationObservation,
  CommandEnd,
  CommandObservation,
  ObservedAggregate,
  ObservedCommandInfo,
  ProjectionObservation,
  RuntimeObserver,
} from './observability/observer.js';
export {
  defineProjection,
  isProjectionDefinition,
  type ProjectionDefinition,
  type ProjectionHandler,
  type ProjectionMode,
  type ProjectionSpec,
} from './projections/projection.js';
export type { Projection, ProjectionState, ProjectionStatus } from './projections/projection-runner.js';
export { AggregateHandle, type AggregateIdentity } from './runtime/handle.js';
export {
  type ActorInfo,
  createRuntime,
  Runtime,
  type RuntimeStats,
} from './runtime/runtime.js';
export type { RuntimeOptions } from './runtime/runtime-options.js';
export type { RuntimeTimers } from './runtime/runtime-timers.js';
export type { ShutdownOptions } from './runtime/shutdown.js';
export { type MemoryStoreOptions, memoryStore } from './store/memory-store.js';
export {
  type AppendChain,
  type AppendOptions,
  type CheckpointStore,
  type DomainEvent,
  type EventEnvelope,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  parseStreamId,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Snapshot,
  type SnapshotSaveOptions,
  type SnapshotStore,
} from './store/store.js';
export {
  assertCheckpoint,
  assertCheckpointName,
  assertDueArgs,
  assertExpectedVersion,
  assertNewEvents,
  assertReadAllOptions,
  assertReadStreamOptions,
  assertRescheduleArgs,
  assertSnapshot,
  assertSnapshotSaveOptions,
  assertStorableId,
  assertStorableKey,
  assertStreamId,
  assertTimerChanges,
  assertTimerKey,
  assertTimerQuery,
  assertTimerRecord,
  type EncodedNewEvent,
  encodeNewEvents,
  MAX_KEY_BYTES,
  MAX_SCHEMA_VERSION,
  storedEventData,
  storedEventMetadata,
  timerJson,
  toJson,
} from './store/store-input.js';
export type {
  SubscribeOptions,
  Subscription,
  SubscriptionFilter,
  SubscriptionRetrying,
} from './subscriptions/subscription.js';
export type { WatchUpdate } from './subscriptions/watchers.js';
export { addIsoDuration, type IsoDuration, parseIsoDuration } from './timers/iso-duration.js';
export type {
  DecideTimers,
  FiredTimer,
  MissedTimerPolicy,
  ScheduleOptions,
  TimerChange,
  TimerQuery,
  TimerRecord,
  TimerStore,
  TimerWhen,
} from './timers/timer.js';
export {
  type EncodedTimer,
  type EncodedTimerChange,
  encodeTimerChanges,
} from './timers/timer-input.js';
export { compareTimers } from './timers/timer-order.js';
export { type TimerIntent, TimerRecorder } from './timers/timer-recorder.js';

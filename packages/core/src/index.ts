export type { ActorStatus } from './actor.js';
export {
  type AggregateDefinition,
  type AggregateSpec,
  type AnyAggregate,
  type Command,
  type CommandOf,
  type DecideContext,
  defineAggregate,
  type EventOf,
  isAggregateDefinition,
  type SnapshotPolicy,
  type StateOf,
} from './aggregate.js';
export { type Clock, SimulatedClock, systemClock, type TimerHandle } from './clock.js';
export { type Codec, encodeEvent, UnstorableValue } from './codec.js';
export { codecByName } from './codec-by-name.js';
export {
  ActorCrashed,
  ActorfoldError,
  CommandTimeout,
  CorruptData,
  DecideFailed,
  type ErrorCode,
  InvalidArgument,
  InvalidCommand,
  isActorfoldError,
  isRejection,
  isRetryable,
  isVersionConflict,
  MailboxFull,
  NotOwner,
  ProjectionFailed,
  Rejection,
  RuntimeClosed,
  reject,
  StoreError,
  type StoreErrorReason,
  UnknownAggregate,
  type ValidationIssue,
  VersionConflict,
} from './errors.js';
export { type Decider, type DecisionResult, type FromDeciderOptions, fromDecider } from './from-decider.js';
export { AggregateHandle, type AggregateIdentity } from './handle.js';
export { jsonCodec } from './json-codec.js';
export { type MemoryStoreOptions, memoryStore } from './memory-store.js';
export type { Counters, LatencySummary, MetricsSnapshot } from './metrics.js';
export {
  defineProjection,
  isProjectionDefinition,
  type ProjectionDefinition,
  type ProjectionHandler,
  type ProjectionMode,
  type ProjectionSpec,
} from './projection.js';
export type { Projection, ProjectionState, ProjectionStatus } from './projection-runner.js';
export type { ExecuteOptions, ExecuteResult, SnapshotResult, StateResult } from './request.js';
export { richCodec } from './rich-codec.js';
export {
  type ActorInfo,
  createRuntime,
  Runtime,
  type RuntimeOptions,
  type RuntimeStats,
  type ShutdownOptions,
} from './runtime.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export {
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
} from './store.js';
export {
  assertCheckpoint,
  assertCheckpointName,
  assertExpectedVersion,
  assertNewEvents,
  assertReadAllOptions,
  assertReadStreamOptions,
  assertSnapshot,
  assertSnapshotSaveOptions,
  assertStreamId,
  type EncodedNewEvent,
  encodeNewEvents,
  toJson,
} from './store-input.js';
export type { SubscribeOptions, SubscriptionFilter } from './subscription.js';
export type { WatchUpdate } from './watchers.js';

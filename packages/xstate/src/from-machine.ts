/**
 * `fromMachine`: an xstate v5 machine (one per workflow version) as an ordinary aggregate
 * definition. decide runs the machine's pure `transition` on the command; evolve runs it again
 * on the recorded command, so replay reproduces the state exactly. No actor is ever started.
 * Delayed transitions (`after`) are durable timers: scheduled and cancelled by decide with the
 * event, their firing delivered as a command (`xstate.after.…`) and recorded as `DelayElapsed`.
 * Invoked promise logic (`invoke: { src: 'name' }`) is a durable effect: requested and cancelled
 * by decide with the event, run by the runtime's implementation registered under that name
 * (see `effectsFromMachine`), its outcome delivered as a command and recorded as `InvokeDone` or
 * `InvokeFailed` (the machine takes it as xstate's done or error event: onDone, onError).
 */
import {
  type AggregateDefinition,
  type AggregateSpec,
  type Command,
  defineAggregate,
  InvalidArgument,
  type SnapshotPolicy,
  type StandardSchemaV1,
  type Upcaster,
} from '@actorfold/core';
import type { AnyStateMachine, ContextFrom, EmittedFrom, EventFromLogic, EventObject } from 'xstate';
import { statechartCommandValidator } from './command-validator.js';
import { MACHINES } from './effects-from-machine.js';
import { UnsupportedMachine } from './errors.js';
import { eventTypeTable } from './event-naming.js';
import { promiseInvokes } from './invoked-logic.js';
import { INVOKE_DONE, INVOKE_FAILED } from './machine-effects.js';
import { DELAY_ELAPSED, isDelayedEvent } from './machine-timers.js';
import { WITH_PURITY_CHECK } from './purity-hook.js';
import { snapshotCodec } from './snapshot-codec.js';
import type { CommandOfEvent, EmittedEvent, StatechartEvent } from './statechart-event.js';
import { StatechartProcess } from './statechart-process.js';
import { MachineSnapshots, type StatechartState } from './statechart-state.js';
import { findUnsupportedFeatures } from './unsupported-features.js';
import { vetted } from './vetted.js';
import { WorkflowVersions } from './workflow-versions.js';

/** Any record of workflow version → machine. */
export type Machines = Readonly<Record<string, AnyStateMachine>>;

/** The commands of a set of machines: their events without `acceptedAt`. */
export type MachinesCommand<M extends Machines> = CommandOfEvent<EventFromLogic<M[keyof M]>>;

/** The events a set of machines emit; {@link EmittedEvent} when they do not declare them. */
export type MachinesEmitted<M extends Machines> =
  EmittedFrom<M[keyof M]> extends infer X extends EventObject
    ? string extends X['type']
      ? EmittedEvent
      : X
    : never;

/** The context of a set of machines (a union when versions differ). */
export type MachinesContext<M extends Machines> = ContextFrom<M[keyof M]>;

/** The snapshot policy of a statechart aggregate: core's, with the encoding supplied by this package. */
export interface StatechartSnapshotPolicy {
  /** Save a snapshot once at least this many events were appended since the last one. */
  every: number;
  /** Bump to make the runtime ignore older snapshots (e.g. after changing a context's shape). Default 1. */
  schemaVersion?: number;
  /** Snapshots kept per stream, newest first. Default 2. */
  keep?: number;
  /** Also snapshot on eviction when any event is not yet covered. Default true. */
  onEvict?: boolean;
}

/** What `fromMachine` takes. */
export interface FromMachineOptions<M extends Machines> {
  /** Names the streams: `${type}/${id}`. */
  type: string;
  /**
   * Workflow version name → machine, e.g. `{ 'FV2025-04-01': v1, 'FV2025-10-01': v2 }`. A
   * process runs on the version it started on for good, so keep every version in use here.
   */
  machines: M;
  /**
   * The version new processes start on. Default: the last key of `machines`, which must then be
   * the newest in natural order (digit runs compared as numbers), else `fromMachine` throws.
   */
  current?: NoInfer<Extract<keyof M, string>>;
  /** Event type per command type, where the past-tense rule (`confirmSwitch` → `SwitchConfirmed`) is not wanted. */
  eventTypes?: Partial<Record<NoInfer<MachinesCommand<M>>['type'], string>>;
  /** Snapshot every N events (the persisted machine snapshot). */
  snapshots?: StatechartSnapshotPolicy;
  /** Validates commands (any Standard Schema validator) before the statechart rules run. */
  validateCommand?: StandardSchemaV1<unknown, NoInfer<MachinesCommand<M>>>;
  /** Stored as each event's `schemaVersion`. Default 1. */
  eventSchemaVersion?: number;
  /**
   * How events stored under an older `eventSchemaVersion` are read (core's `upcasters`): each
   * turns one event type at version n into version n + 1, chained on every read.
   */
  upcasters?: readonly Upcaster[];
  /**
   * Take every accepted command's transition twice and compare the results (state, context,
   * emitted events); a difference refuses the command with `ImpureMachine` (IMPURE_MACHINE,
   * surfacing as DECIDE_FAILED's `cause`) and stores nothing. Default false: it doubles the
   * cost of each transition. `given()` from @actorfold/testing always checks.
   */
  checkPurity?: boolean;
}

/** What `fromMachine` returns: an aggregate definition plus its workflow versions. */
export type StatechartDefinition<
  TContext,
  C extends Command,
  X extends EventObject = EmittedEvent,
> = AggregateDefinition<
  StatechartState<TContext>,
  C,
  StatechartEvent<C, X>,
  readonly StatechartEvent<C, X>[]
> & {
  /** Every registered workflow version, in the order of `machines`. */
  readonly workflowVersions: readonly string[];
  /** The version new processes start on. */
  readonly currentWorkflowVersion: string;
  /** The domain event types this aggregate records, one per command type (for projections' handlers). */
  readonly eventTypes: readonly string[];
  /** Whether decide takes each transition twice and compares (the `checkPurity` option). */
  readonly checkPurity: boolean;
  /**
   * The effect names its machines invoke (their promise logic's `src` keys), sorted: each needs an
   * implementation in `createRuntime({ effects: { implementations } })` (see `effectsFromMachine`).
   */
  readonly invokedEffects: readonly string[];
  /** Every version's machine, for `effectsFromMachine`. */
  readonly [MACHINES]: readonly AnyStateMachine[];
};

type AnyState = StatechartState<unknown>;
type AnyCommand = Command;

/**
 * Turns xstate v5 machines, one per workflow version, into an aggregate definition. A command
 * is a machine event: accepted when the process's current state can take it (guards included),
 * otherwise refused with `Rejection` reason `'invalid-state'` and details `{ state, accepted }`,
 * or `'completed'` after a final state. Throws `UnsupportedMachine` (INVALID_ARGUMENT) for
 * machines that cannot be event-sourced (invoke of anything but named promise logic, spawn — in
 * `assign` too —, sendTo, delayed raises other than `after`, custom actions, wildcards); with
 * `checkPurity`, `ImpureMachine` when the initial context already differs between two runs.
 * @example
 * const supplierSwitch = fromMachine({
 *   type: 'supplier-switch',
 *   machines: { 'FV2025-04-01': switchV1, 'FV2025-10-01': switchV2 },
 *   snapshots: { every: 50 },
 * });
 * const h = runtime.get(supplierSwitch, 'malo-51238696781');
 * await h.execute({ type: 'confirmSwitch' });
 * const { state } = await h.state(); // { value, context, workflowVersion, done }
 */
export function fromMachine<M extends Machines>(
  options: FromMachineOptions<M>,
): StatechartDefinition<MachinesContext<M>, MachinesCommand<M>, MachinesEmitted<M>> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgument('fromMachine needs an options object');
  if (options.checkPurity !== undefined && typeof options.checkPurity !== 'boolean')
    throw new InvalidArgument(`${String(options.type)}: checkPurity must be a boolean`);
  return build(options, options.checkPurity ?? false) as unknown as StatechartDefinition<
    MachinesContext<M>,
    MachinesCommand<M>,
    MachinesEmitted<M>
  >;
}

type AnyDefinition = AggregateDefinition<AnyState, AnyCommand, StatechartEvent<AnyCommand>>;

function build<M extends Machines>(options: FromMachineOptions<M>, checkPurity: boolean): AnyDefinition {
  const { type } = options;
  const versions = new WorkflowVersions(String(type), options.machines, options.current);
  const commandTypes = new Set<string>();
  let delayed = false;
  const invoked = new Set<string>();
  for (const [name, machine] of versions.entries()) {
    const features = vetted(String(type), name, () => findUnsupportedFeatures(machine));
    if (features.length > 0) throw new UnsupportedMachine(`${type}: workflow version '${name}'`, features);
    for (const invoke of promiseInvokes(machine).values()) invoked.add(invoke.src);
    for (const e of machine.events) {
      if (!e.startsWith('xstate.')) commandTypes.add(e);
      else if (isDelayedEvent(e)) delayed = true;
    }
  }
  const eventTypes = eventTypeTable(String(type), [...commandTypes], options.eventTypes);
  const recorded = new Set(eventTypes.values());
  if (delayed) {
    // A delayed transition taken is recorded as DelayElapsed, whatever its delay or state.
    const clash = [...eventTypes].find(([, e]) => e === DELAY_ELAPSED);
    if (clash !== undefined) {
      throw new InvalidArgument(
        `${type}: command '${clash[0]}' would be recorded as '${DELAY_ELAPSED}', the event type of delayed transitions; name it otherwise in eventTypes`,
      );
    }
    recorded.add(DELAY_ELAPSED);
  }
  if (invoked.size > 0) {
    // An invoked effect's outcome taken is recorded as InvokeDone or InvokeFailed.
    for (const reserved of [INVOKE_DONE, INVOKE_FAILED]) {
      const clash = [...eventTypes].find(([, e]) => e === reserved);
      if (clash !== undefined) {
        throw new InvalidArgument(
          `${type}: command '${clash[0]}' would be recorded as '${reserved}', the event type of invoked effects' outcomes; name it otherwise in eventTypes`,
        );
      }
      recorded.add(reserved);
    }
  }
  const snapshots = new MachineSnapshots();
  const process = new StatechartProcess(versions, snapshots, eventTypes, checkPurity);
  // A dry run of every version's start: a context factory that spawns (or, with checkPurity,
  // differs between runs) is refused now rather than on the first command of every process.
  for (const name of versions.names) vetted(String(type), name, () => process.startOf(name));
  let checked: AnyDefinition | undefined;

  const spec: AggregateSpec<AnyState, AnyCommand, StatechartEvent<AnyCommand>> & {
    workflowVersions: readonly string[];
    currentWorkflowVersion: string;
    eventTypes: readonly string[];
    checkPurity: boolean;
    invokedEffects: readonly string[];
    [MACHINES]: readonly AnyStateMachine[];
    [WITH_PURITY_CHECK]: () => AnyDefinition;
  } = {
    type,
    initialState: () => process.initialState(),
    decide: (state, command, ctx) => process.decide(state, command, ctx),
    evolve: (state, event) => process.evolve(state, event),
    validateCommand: statechartCommandValidator(options.validateCommand),
    workflowVersions: versions.names,
    currentWorkflowVersion: versions.current,
    eventTypes: Object.freeze([...recorded]),
    checkPurity,
    invokedEffects: Object.freeze([...invoked].sort()),
    [MACHINES]: Object.freeze([...versions.entries()].map(([, m]) => m)),
    // given() asks for this variant: the same machines, checked on every transition.
    [WITH_PURITY_CHECK]: () => {
      if (checkPurity) return definition;
      checked ??= build(options, true);
      return checked;
    },
  };
  if (options.eventSchemaVersion !== undefined) spec.eventSchemaVersion = options.eventSchemaVersion;
  if (options.upcasters !== undefined) spec.upcasters = options.upcasters;
  if (options.snapshots !== undefined)
    spec.snapshots = snapshotPolicy(versions, snapshots, options.snapshots);
  // The extra fields survive defineAggregate's copy of the spec; the state, command and event
  // types are those of the machines, which the generic spec above cannot spell.
  const definition = defineAggregate(spec);
  return definition;
}

function snapshotPolicy(
  versions: WorkflowVersions,
  snapshots: MachineSnapshots,
  policy: StatechartSnapshotPolicy,
): SnapshotPolicy<AnyState> {
  if (typeof policy !== 'object' || policy === null)
    throw new InvalidArgument(`${versions.aggregateType}: snapshots must be an object`);
  const codec = snapshotCodec(versions, snapshots);
  return {
    ...policy,
    schemaVersion: policy.schemaVersion ?? 1,
    encode: (state) => codec.encode(state),
    decode: (data) => codec.decode(data),
  };
}

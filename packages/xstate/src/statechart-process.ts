/**
 * The engine of a statechart aggregate: decide runs the machine's pure `transition` on a
 * command, evolve runs it again on the recorded command. No actor is ever started, no clock read.
 * Delayed transitions (`after`) become durable timers that decide schedules and cancels with the
 * event (see machine-timers.ts); their firing arrives as a command and is recorded like one.
 * Invoked promise logic becomes a durable effect, requested and cancelled the same way (see
 * machine-effects.ts); its outcome arrives as a command and is recorded as xstate's done or
 * error event.
 */
import { type Command, type DecideContext, InvalidArgument, InvalidCommand, reject } from '@actorfold/core';
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
  type ExecutableActionObject,
  initialTransition,
  transition,
} from 'xstate';
import { acceptedCommands } from './accepted-commands.js';
import { copyContext, withContext } from './context-copy.js';
import { ImpureMachine, UnsupportedMachine, WorkflowDiverged } from './errors.js';
import { pastTenseEventType } from './event-naming.js';
import { type PromiseInvoke, promiseInvokes } from './invoked-logic.js';
import {
  applyEffectRequests,
  type EffectRequest,
  effectRequestsOf,
  INVOKE_DONE,
  INVOKE_FAILED,
  isInvokeSettled,
  settledEventOf,
} from './machine-effects.js';
import {
  applyTimerRequests,
  DELAY_ELAPSED,
  isDelayedEvent,
  isTimerFiring,
  type TimerRequest,
  timerRequestsOf,
} from './machine-timers.js';
import {
  actionsTaken,
  firstDifference,
  type TransitionResult,
  transitionDifference,
  withClockMovedOn,
} from './purity-check.js';
import {
  asJsonData,
  machineEventOf,
  readRecord,
  recordOf,
  type StatechartEvent,
} from './statechart-event.js';
import type { MachineSnapshots, StatechartState } from './statechart-state.js';
import { unsupportedInTransition } from './unsupported-features.js';
import type { WorkflowVersions } from './workflow-versions.js';

type AnyState = StatechartState<unknown>;

/** What running one machine event produced. */
interface Step {
  snapshot: AnyMachineSnapshot;
  emitted: EventObject[];
  /** The delayed transitions it scheduled and cancelled (`after`), in order. */
  timers: TimerRequest[];
  /** The effects of the promise invokes it entered and left. */
  effects: EffectRequest[];
}

/** decide and evolve over the registered machines. */
export class StatechartProcess {
  readonly #versions: WorkflowVersions;
  readonly #snapshots: MachineSnapshots;
  readonly #eventTypes: ReadonlyMap<string, string>;
  readonly #checkPurity: boolean;
  readonly #initial = new Map<string, Step>();
  readonly #invokes = new Map<string, ReadonlyMap<string, PromiseInvoke>>();
  #initialState: AnyState | undefined;
  /** The state decide computed for each event it returned, so evolve need not run the machine twice. */
  readonly #decided = new WeakMap<object, { from: AnyState; to: AnyState }>();

  constructor(
    versions: WorkflowVersions,
    snapshots: MachineSnapshots,
    eventTypes: ReadonlyMap<string, string>,
    checkPurity: boolean,
  ) {
    this.#versions = versions;
    this.#snapshots = snapshots;
    this.#eventTypes = eventTypes;
    this.#checkPurity = checkPurity;
  }

  /** Before its first command a process is in the initial state of the current version. */
  initialState(): AnyState {
    this.#initialState ??= this.#snapshots.stateOf(
      this.#start(this.#versions.current).snapshot,
      this.#versions.current,
    );
    return this.#initialState;
  }

  decide(state: AnyState, command: Command, ctx: DecideContext): StatechartEvent[] {
    const first = ctx.version === 0;
    const version = first ? this.#versions.current : state.workflowVersion;
    const machine = this.#versions.machine(version);
    const start = first
      ? this.#freshStart(version)
      : { snapshot: this.#snapshots.snapshotOf(state, machine), emitted: [], timers: [], effects: [] };
    const from = start.snapshot;
    const acceptedAt = ctx.now.toISOString();
    if (from.status !== 'active') {
      const message = `the process has completed (state ${show(from.value)}) and takes no more commands`;
      reject('completed', message, { state: from.value });
    }
    // Everything is decided on the command's JSON form, the one stored and replayed: its type,
    // not one a getter or toJSON showed the validator, says whether it is a timer's or an effect's.
    const text = JSON.stringify(command);
    const json = commandForm(text);
    const delayed = isDelayedEvent(json.type);
    if (delayed && !isTimerFiring(ctx, json.type)) {
      reject(
        'timer-only',
        `'${json.type}' is a delayed transition's event: only its durable timer delivers it, when it is due`,
        { state: from.value },
      );
    }
    const settled = isInvokeSettled(json.type) ? settledEventOf(json, ctx, from.value) : undefined;
    // An effect's outcome is recorded as the machine event it becomes, so replay needs no runtime.
    const input = settled === undefined ? json : asJsonData(settled);
    const event = machineEventOf(input, acceptedAt);
    if (settled !== undefined && !from.can(event) && this.#invokeActive(version, from, settled.actorId)) {
      // No onDone (or its guards refuse): xstate ignores the output, and so does the process.
      if ('output' in settled) return [];
      reject(
        'unhandled-failure',
        `invoke '${settled.actorId}' failed for good (${settled.error.message}) and state ${show(from.value)} has no onError that takes it: give the invoke an onError`,
        { state: from.value, error: settled.error },
      );
    }
    if (!from.can(event)) {
      const accepted = acceptedCommands(from, acceptedAt);
      const why = accepted.includes(json.type) ? ': its guard refused it' : '';
      reject(
        'invalid-state',
        `command '${json.type}' is not accepted in state ${show(from.value)}${why} (accepted: ${accepted.join(', ') || 'none'})`,
        { state: from.value, accepted },
      );
    }
    const where = { version, state: show(from.value), commandType: json.type };
    const suspects = () => actionsTaken(machine, from, event);
    // The machine gets its own copy of the command: an assigner that changes the event's arrays
    // in place must not change the command that is stored.
    const run = (start: AnyMachineSnapshot) =>
      this.#run(
        machine,
        start,
        ownCopy(event, settled === undefined ? text : undefined),
        version,
        true,
        settled?.actorId,
      );
    let step: Step;
    if (this.#checkPurity) {
      // Each run starts from its own copy of the context, so neither can change the resident
      // state; a run that changed its copy in place is impure (replay would not do it again).
      const copy = withContext(from, copyContext(from.context));
      step = run(copy);
      const changed = firstDifference(from.context, copy.context, 'context');
      if (changed !== undefined) {
        this.#impure(
          where,
          suspects(),
          `it changed the context it started from in place, ${changed}: an assigner must return new values, never push to, set on or assign into the context it was given`,
        );
      }
      const again = withClockMovedOn(() => run(withContext(from, copyContext(from.context))));
      this.#comparePurity(step, again, where, suspects);
    } else step = run(from);
    // Every type a machine takes is in the table; the rule covers anything xstate adds later.
    const eventType = delayed
      ? DELAY_ELAPSED
      : settled !== undefined
        ? 'output' in settled
          ? INVOKE_DONE
          : INVOKE_FAILED
        : (this.#eventTypes.get(json.type) ?? pastTenseEventType(json.type));
    // The process's first decision also starts its initial state's timers and effects.
    applyTimerRequests(ctx, first ? [...start.timers, ...step.timers] : step.timers);
    applyEffectRequests(ctx, first ? [...start.effects, ...step.effects] : step.effects);
    const record = recordOf(eventType, input, acceptedAt, first ? version : undefined, [
      ...start.emitted,
      ...step.emitted,
    ]);
    this.#decided.set(record, { from: state, to: this.#snapshots.stateOf(step.snapshot, version) });
    return [record];
  }

  evolve(state: AnyState, event: StatechartEvent): AnyState {
    const decided = this.#decided.get(event);
    if (decided !== undefined && decided.from === state) return decided.to;
    const type = this.#versions.aggregateType;
    const record = readRecord(type, event);
    const version = record.workflowVersion ?? state.workflowVersion;
    const machine = this.#versions.machine(version);
    const from =
      record.workflowVersion === undefined
        ? this.#snapshots.snapshotOf(state, machine)
        : this.#freshStart(version).snapshot;
    const machineEvent = machineEventOf(record.command, record.acceptedAt);
    if (from.status !== 'active' || !from.can(machineEvent)) {
      throw new WorkflowDiverged(
        type,
        version,
        `recorded '${record.type}' (command '${record.command.type}') is not accepted in state ${show(from.value)}`,
      );
    }
    return this.#snapshots.stateOf(this.#run(machine, from, machineEvent, version, false).snapshot, version);
  }

  /** Runs (and caches) a version's initial transition: throws for one that spawns, or is impure when checked. */
  startOf(version: string): void {
    this.#start(version);
  }

  /**
   * A process's start: the version's initial transition taken afresh (a `context` factory called
   * for this process, as xstate calls it for each actor), its context copied (a static `context`
   * object is one for all, also in xstate). The cached start is shared by every process, so an
   * assigner that changes the context in place (an array's `push`, a Map's `set`, a method of a
   * class instance) would otherwise change every later process's start, and their replays.
   */
  #freshStart(version: string): Step {
    this.#start(version); // vetted (and purity-checked) once
    const machine = this.#versions.machine(version);
    const [snapshot, actions] = initialTransition(machine);
    const step = checked(
      this.#versions.aggregateType,
      version,
      this.#invokesOf(version),
      undefined,
      snapshot,
      actions,
    );
    return { ...step, snapshot: withContext(step.snapshot, copyContext(step.snapshot.context)) };
  }

  /** The initial snapshot of a version, and what its entry actions emitted. Pure, so cached. */
  #start(version: string): Step {
    let step = this.#initial.get(version);
    if (step === undefined) {
      const machine = this.#versions.machine(version);
      const invokes = this.#invokesOf(version);
      const [snapshot, actions] = initialTransition(machine);
      step = checked(this.#versions.aggregateType, version, invokes, undefined, snapshot, actions);
      if (this.#checkPurity) {
        const [snapshot2, actions2] = withClockMovedOn(() => initialTransition(machine));
        const again = checked(this.#versions.aggregateType, version, invokes, undefined, snapshot2, actions2);
        this.#comparePurity(step, again, { version, state: '(initial)', commandType: '(start)' }, () => [
          `the context factory and the initial entry actions of '${machine.id}'`,
        ]);
      }
      this.#initial.set(version, step);
    }
    return step;
  }

  #comparePurity(
    a: TransitionResult,
    b: TransitionResult,
    where: { version: string; state: string; commandType: string },
    suspects: () => string[],
  ): void {
    const difference = transitionDifference(a, b);
    if (difference === undefined) return;
    this.#impure(where, suspects(), difference);
  }

  #impure(
    where: { version: string; state: string; commandType: string },
    suspects: string[],
    difference: string,
  ): never {
    throw new ImpureMachine(
      {
        aggregateType: this.#versions.aggregateType,
        workflowVersion: where.version,
        state: where.state,
        commandType: where.commandType,
      },
      suspects,
      difference,
    );
  }

  #run(
    machine: AnyStateMachine,
    from: AnyMachineSnapshot,
    event: EventObject,
    version: string,
    live: boolean,
    settled?: string,
  ): Step {
    const [snapshot, actions] = transition(machine, from, event);
    // Live, a transition the definition could not vet is refused before anything is stored;
    // in replay it was vetted when it was decided.
    return live
      ? checked(
          this.#versions.aggregateType,
          version,
          this.#invokesOf(version),
          from,
          snapshot,
          actions,
          settled,
        )
      : { snapshot, emitted: [], timers: [], effects: [] };
  }

  /** The promise invokes of a version's machine, by id (cached: the machine never changes). */
  #invokesOf(version: string): ReadonlyMap<string, PromiseInvoke> {
    let invokes = this.#invokes.get(version);
    if (invokes === undefined) {
      invokes = promiseInvokes(this.#versions.machine(version));
      this.#invokes.set(version, invokes);
    }
    return invokes;
  }

  /** Whether the state is still in the node that invokes `id`. */
  #invokeActive(version: string, snapshot: AnyMachineSnapshot, id: string): boolean {
    return this.#invokesOf(version).has(id) && snapshot._nodes.some((n) => n.invoke.some((i) => i.id === id));
  }
}

function checked(
  aggregateType: string,
  version: string,
  invokes: ReadonlyMap<string, PromiseInvoke>,
  from: AnyMachineSnapshot | undefined,
  snapshot: AnyMachineSnapshot,
  actions: readonly ExecutableActionObject[],
  settled?: string,
): Step {
  const features = unsupportedInTransition(snapshot, actions, invokes);
  if (features.length > 0)
    throw new UnsupportedMachine(`${aggregateType}: workflow version '${version}'`, features);
  if (snapshot.status === 'error') {
    // Machines start without input, so a context factory reading it is the usual cause.
    const start =
      from === undefined
        ? ' in its initial transition (a process starts without input: a context factory gets none; give what it starts from in its first command)'
        : '';
    throw new InvalidArgument(`${aggregateType}: the machine failed${start}: ${String(snapshot.error)}`);
  }
  return {
    snapshot,
    emitted: emittedBy(actions),
    timers: timerRequestsOf(actions),
    effects: effectRequestsOf(invokes, from, snapshot, actions, settled),
  };
}

function emittedBy(actions: readonly ExecutableActionObject[]): EventObject[] {
  const emitted: EventObject[] = [];
  for (const a of actions) {
    if (a.type === 'xstate.emit') emitted.push(asJsonData((a.params as { event: EventObject }).event));
  }
  return emitted;
}

/**
 * The command as stored: its JSON form, which must still be a command of a string type that is
 * not one of the machine's internal events (the validator refuses these already; this holds
 * for any way a command reaches decide).
 */
function commandForm(text: string | undefined): Command {
  const json = text === undefined ? undefined : (JSON.parse(text) as unknown);
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof type !== 'string') {
    throw new InvalidCommand(
      'the command as JSON (what is stored and decided) is not an object with a string type',
    );
  }
  if (type.startsWith('xstate.') && !isDelayedEvent(type) && !isInvokeSettled(type)) {
    throw new InvalidCommand(`'${type}': types starting with 'xstate.' are the machine's own events`);
  }
  return json as Command;
}

/** A copy of the machine event for one run, from the command's JSON text when there is one. */
function ownCopy(event: EventObject & { acceptedAt?: string }, text: string | undefined): EventObject {
  return text === undefined
    ? asJsonData(event)
    : ({ ...(JSON.parse(text) as EventObject), acceptedAt: event.acceptedAt } as EventObject);
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

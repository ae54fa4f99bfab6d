/**
 * The errors of @actorfold/xstate. Definition-time problems are core's INVALID_ARGUMENT (a
 * misuse of the API); the two replay errors get codes of their own, because neither is corrupt
 * data: the stored events are fine, the registered machines no longer fit them.
 */
import { ActorfoldError, type ErrorCode, InvalidArgument, isActorfoldError } from '@actorfold/core';

/** The codes of this package (listed in core's `ErrorCode`). */
export type StatechartErrorCode = Extract<
  ErrorCode,
  'UNKNOWN_WORKFLOW_VERSION' | 'WORKFLOW_DIVERGED' | 'IMPURE_MACHINE'
>;

/** One feature of a machine that cannot be event-sourced, and where it sits. */
export interface UnsupportedFeature {
  /** Dotted state node id, e.g. `'switch.requested'`. */
  readonly stateId: string;
  /** `'invoke'`, `'after'`, `'spawnChild'`, `'spawn'` (in `assign`), `'sendTo'`, `'delayed raise'`, `'custom action'`, `'wildcard'`, `'spawned actor'`. */
  readonly feature: string;
  /** What it is and why it cannot be replayed. */
  readonly message: string;
}

/**
 * A machine uses something an event-sourced process cannot replay (actors, timers, side
 * effects). Thrown by `fromMachine`, or from `decide` when only running the transition could
 * tell (the runtime then reports `DecideFailed` and stores nothing). Code `INVALID_ARGUMENT`.
 */
export class UnsupportedMachine extends InvalidArgument {
  readonly features: readonly UnsupportedFeature[];
  constructor(what: string, features: readonly UnsupportedFeature[]) {
    const list = features.map((f) => `  - ${f.stateId}: ${f.message}`).join('\n');
    super(`${what} cannot be event-sourced:\n${list}`);
    this.features = features;
  }
}

/**
 * A stream's first event names a workflow version that no machine is registered for (it was
 * removed from `machines`). Thrown by `evolve` during recovery, so the actor crashes (invariant 8)
 * and every command for that process fails with `ActorCrashed` whose `cause` is this error,
 * until the version is registered again. Nothing is skipped or guessed.
 */
export class UnknownWorkflowVersion extends ActorfoldError {
  readonly aggregateType: string;
  readonly workflowVersion: string;
  readonly registered: readonly string[];
  constructor(aggregateType: string, workflowVersion: string, registered: readonly string[]) {
    super(
      'UNKNOWN_WORKFLOW_VERSION',
      `${aggregateType}: the process runs on workflow version '${workflowVersion}', which is not registered ` +
        `(registered: ${registered.join(', ')}); keep every version that running processes use in \`machines\``,
    );
    this.aggregateType = aggregateType;
    this.workflowVersion = workflowVersion;
    this.registered = registered;
  }
}

/**
 * A recorded command is not accepted by the registered machine of its workflow version when the
 * stream is replayed: the machine was changed in place, or a guard or assigner is not pure (reads
 * the clock or random numbers). Thrown by `evolve`, so the actor crashes like for
 * {@link UnknownWorkflowVersion}. Register changed behaviour as a new workflow version instead.
 */
export class WorkflowDiverged extends ActorfoldError {
  readonly aggregateType: string;
  readonly workflowVersion: string;
  constructor(aggregateType: string, workflowVersion: string, detail: string) {
    super(
      'WORKFLOW_DIVERGED',
      `${aggregateType}: replay diverged from workflow version '${workflowVersion}': ${detail}`,
    );
    this.aggregateType = aggregateType;
    this.workflowVersion = workflowVersion;
  }
}

/**
 * Taking the same command twice from the same state gave two different results: a guard or an
 * assigner reads something other than the context and the event (`Math.random()`, `Date.now()`,
 * `new Date()`, a counter outside the machine). Replay would then rebuild a different context
 * from the very events that were acknowledged. Thrown by decide when the purity check is on
 * (`fromMachine({ checkPurity: true })`, always in `given()`); nothing is stored.
 */
export class ImpureMachine extends ActorfoldError {
  readonly aggregateType: string;
  readonly workflowVersion: string;
  /** The state the transition started from (`'ready'`, or `{"review":"firstLine"}`). */
  readonly state: string;
  /** The command type whose transition is not pure. */
  readonly commandType: string;
  /** The actions that ran on the transition, by name (`'addTodo'`) or kind (`'assign'`): the suspects. */
  readonly actions: readonly string[];
  /** Where the two runs differ, e.g. `context.todos[0].id: "k3j2" vs "9x1c"`. */
  readonly difference: string;
  constructor(
    where: { aggregateType: string; workflowVersion: string; state: string; commandType: string },
    actions: readonly string[],
    difference: string,
  ) {
    const suspects = actions.length === 0 ? "a guard, or the machine's context factory" : actions.join(', ');
    super(
      'IMPURE_MACHINE',
      `${where.aggregateType}: workflow version '${where.workflowVersion}' is not pure: command ` +
        `'${where.commandType}' in state ${where.state} gave two different results when taken twice ` +
        `(${difference}); look at ${suspects}. A guard or assigner must read only the context and the ` +
        'event: use event.acceptedAt for time, and ids from the command or the context, never ' +
        'Math.random(), Date.now() or new Date(), or replay builds a different context',
    );
    this.aggregateType = where.aggregateType;
    this.workflowVersion = where.workflowVersion;
    this.state = where.state;
    this.commandType = where.commandType;
    this.actions = actions;
    this.difference = difference;
  }
}

/** True for an {@link ImpureMachine} (any installed copy). */
export function isImpureMachine(e: unknown): e is ImpureMachine {
  return isActorfoldError(e) && (e.code as string) === 'IMPURE_MACHINE';
}

/**
 * True for an {@link UnknownWorkflowVersion} (any installed copy). Callers of a handle see it as
 * the `cause` of an `ActorCrashed`: `isUnknownWorkflowVersion(e.cause)`.
 */
export function isUnknownWorkflowVersion(e: unknown): e is UnknownWorkflowVersion {
  return isActorfoldError(e) && (e.code as string) === 'UNKNOWN_WORKFLOW_VERSION';
}

/** True for a {@link WorkflowDiverged} (any installed copy); like the above, usually an `ActorCrashed`'s `cause`. */
export function isWorkflowDiverged(e: unknown): e is WorkflowDiverged {
  return isActorfoldError(e) && (e.code as string) === 'WORKFLOW_DIVERGED';
}

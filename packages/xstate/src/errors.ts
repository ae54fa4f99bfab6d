/**
 * The errors of @actorfold/xstate. Definition-time problems are core's INVALID_ARGUMENT (a
 * misuse of the API); the two replay errors get codes of their own, because neither is corrupt
 * data: the stored events are fine, the registered machines no longer fit them.
 */
import { ActorfoldError, type ErrorCode, InvalidArgument, isActorfoldError } from '@actorfold/core';

/** The codes of this package (listed in core's `ErrorCode`). */
export type StatechartErrorCode = Extract<ErrorCode, 'UNKNOWN_WORKFLOW_VERSION' | 'WORKFLOW_DIVERGED'>;

/** One feature of a machine that cannot be event-sourced, and where it sits. */
export interface UnsupportedFeature {
  /** Dotted state node id, e.g. `'switch.requested'`. */
  readonly stateId: string;
  /** `'invoke'`, `'after'`, `'spawnChild'`, `'sendTo'`, `'delayed raise'`, `'custom action'`, `'wildcard'`, `'spawned actor'`. */
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

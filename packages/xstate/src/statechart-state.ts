/**
 * The state of a statechart process as the runtime holds it and `h.state()` returns it, and
 * the machine snapshot behind it.
 */
import type { AnyMachineSnapshot, AnyStateMachine, MachineContext, StateValue } from 'xstate';

/** What `h.state()` resolves to for a statechart aggregate. */
// #region statechart-state (shown in docs/statecharts.md)
export interface StatechartState<TContext = MachineContext> {
  /** The machine's state value: `'requested'`, or `{ confirmed: 'awaitingMasterData' }` for nested states. */
  readonly value: StateValue;
  /** The machine's context. */
  readonly context: TContext;
  /** The workflow version the process runs on (before its first command: the one it would start on). */
  readonly workflowVersion: string;
  /** True once the machine reached a top-level final state: commands are then refused as `completed`. */
  readonly done: boolean;
}
// #endregion statechart-state

/**
 * Pairs each state the aggregate returns with its full machine snapshot (history values
 * included), without putting the snapshot into the state users see. A state made elsewhere (a
 * test's `givenState`, a copy) is resolved from its value and context instead, which loses only
 * history values.
 */
export class MachineSnapshots {
  readonly #byState = new WeakMap<StatechartState<unknown>, AnyMachineSnapshot>();

  /** The state for a snapshot, remembered with it. */
  stateOf(snapshot: AnyMachineSnapshot, workflowVersion: string): StatechartState<unknown> {
    const state: StatechartState<unknown> = {
      value: snapshot.value,
      context: snapshot.context,
      workflowVersion,
      done: snapshot.status === 'done',
    };
    this.#byState.set(state, snapshot);
    return state;
  }

  /** The machine snapshot behind a state. */
  snapshotOf(state: StatechartState<unknown>, machine: AnyStateMachine): AnyMachineSnapshot {
    const known = this.#byState.get(state);
    if (known !== undefined && known.machine === machine) return known;
    const snapshot = machine.resolveState({
      value: state.value,
      context: state.context,
      status: state.done ? 'done' : 'active',
    });
    this.#byState.set(state, snapshot);
    return snapshot;
  }
}

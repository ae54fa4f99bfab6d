/**
 * The example daemon's read models, kept by exactly-once projections (docs/projections.md):
 * the open supplier-switch processes by state, and the balance total over all accounts.
 */
import { defineProjection, type EventEnvelope } from '@actorfold/core';
import type { StatechartState } from '@actorfold/xstate';
import type { AccountEvent } from './account.js';
import { type SupplierSwitchContext, supplierSwitch } from './supplier-switch.js';

type SwitchState = StatechartState<SupplierSwitchContext>;

export interface OpenSwitches {
  /** Open processes (not yet supplying, rejected or cancelled) by state, e.g. `{ requested: 2 }`. */
  byState: Record<string, number>;
  /** Each open process's state, by process id. Finished processes leave the read model. */
  processes: Record<
    string,
    { state: string; workflowVersion: string; meteringPoint: string; switchDate: string }
  >;
  /** Processes that finished, by final state. */
  finished: Record<string, number>;
  /** The full statechart state of each open process, folded with the aggregate's own evolve. */
  machines: Record<string, SwitchState>;
}

/**
 * Open supplier switches by state. Each event is folded with the process aggregate's own
 * `evolve`, so the read model can never disagree with the statechart about a state.
 */
export const openSwitches = defineProjection<OpenSwitches>({
  name: 'open-switches',
  aggregateTypes: [supplierSwitch.type],
  init: () => ({ byState: {}, processes: {}, finished: {}, machines: {} }),
  handlers: Object.fromEntries(
    supplierSwitch.eventTypes.map((type) => [
      type,
      (model: OpenSwitches, e: EventEnvelope) => foldSwitch(model, e),
    ]),
  ),
});

function foldSwitch(model: OpenSwitches, e: EventEnvelope): OpenSwitches {
  const id = e.aggregateId;
  const before = model.machines[id] ?? supplierSwitch.initialState();
  const after = supplierSwitch.evolve(before, e.data as Parameters<typeof supplierSwitch.evolve>[1]);
  const previous = model.processes[id]?.state;
  if (previous !== undefined) model.byState[previous] = (model.byState[previous] ?? 1) - 1;
  if (previous !== undefined && model.byState[previous] === 0) delete model.byState[previous];
  const state = typeof after.value === 'string' ? after.value : JSON.stringify(after.value);
  if (after.done) {
    delete model.machines[id];
    delete model.processes[id];
    model.finished[state] = (model.finished[state] ?? 0) + 1;
  } else {
    model.machines[id] = after;
    model.processes[id] = {
      state,
      workflowVersion: after.workflowVersion,
      meteringPoint: after.context.meteringPoint,
      switchDate: after.context.switchDate,
    };
    model.byState[state] = (model.byState[state] ?? 0) + 1;
  }
  return model;
}

export interface Balances {
  /** The sum of all account balances. */
  total: number;
  /** Accounts opened and not closed. */
  openAccounts: number;
}

/** The balance total over all accounts. */
export const balances = defineProjection<Balances>({
  name: 'balances',
  aggregateTypes: ['account'],
  init: () => ({ total: 0, openAccounts: 0 }),
  handlers: {
    Opened: (m) => ({ ...m, openAccounts: m.openAccounts + 1 }),
    Deposited: (m, e) => ({
      ...m,
      total: m.total + (e.data as Extract<AccountEvent, { type: 'Deposited' }>).amount,
    }),
    Withdrawn: (m, e) => ({
      ...m,
      total: m.total - (e.data as Extract<AccountEvent, { type: 'Withdrawn' }>).amount,
    }),
    Closed: (m) => ({ ...m, openAccounts: m.openAccounts - 1 }),
  },
});

/** Every read model the daemon keeps. */
export const readModels = [openSwitches, balances] as const;

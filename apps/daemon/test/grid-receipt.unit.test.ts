/**
 * The supplier switch's statechart taking the grid operator's receipt (the result of its
 * registration effect, delivered as `recordGridReceipt`), next to its answer period.
 */
import { given } from '@actorfold/testing';
import { fromMachine } from '@actorfold/xstate';
import { describe, expect, it } from 'vitest';
import {
  type RecordGridReceipt,
  type SupplierSwitchCommand,
  supplierSwitchV1,
  supplierSwitchV2,
} from '../src/domain/supplier-switch.js';

/**
 * The daemon's machines without its client command schema, which refuses the receipt: the runtime
 * delivers an effect's result without validating it, as it does a timer's command.
 */
const supplierSwitch = fromMachine({
  type: 'supplier-switch',
  machines: { 'FV2025-04-01': supplierSwitchV1, 'FV2025-10-01': supplierSwitchV2 },
});

const NOW = '2025-01-01T00:00:00.000Z';
const request = {
  type: 'requestSwitch',
  meteringPoint: '51238696781',
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2025-01-15',
} as const satisfies SupplierSwitchCommand;
const requested = [
  { type: 'SwitchRequested', command: request, acceptedAt: NOW, workflowVersion: 'FV2025-10-01' },
];
const effect = { id: 'registration', name: 'grid.requestSwitch', version: 1, attempts: 1 };

const accepted: RecordGridReceipt = {
  type: 'recordGridReceipt',
  effect,
  outcome: 'done',
  output: { receipt: 'accepted', receiptId: 'R-1' },
};
const refused: RecordGridReceipt = {
  type: 'recordGridReceipt',
  effect,
  outcome: 'done',
  output: { receipt: 'refused', reasonCode: 'Z03' },
};
const undelivered: RecordGridReceipt = {
  type: 'recordGridReceipt',
  effect: { ...effect, attempts: 5 },
  outcome: 'failed',
  error: { message: 'grid operator unavailable', code: 'GRID_UNAVAILABLE' },
};

describe("the supplier switch and the grid operator's receipt", () => {
  it('records an accepted registration and keeps waiting for the answer', async () => {
    const { state } = await given(supplierSwitch, requested)
      .when(accepted)
      .thenState((s) => s.value === 'requested');
    expect(state.context.registration).toEqual({ status: 'accepted', receiptId: 'R-1', at: NOW });
  });

  it('ends as rejected with the operator code of a refused registration, telling the new supplier', async () => {
    const { state, events } = await given(supplierSwitch, requested)
      .when(refused)
      .thenState((s) => s.value === 'rejected');
    expect(state.context.rejection?.code).toBe('Z03');
    expect(events[0]?.emitted).toEqual([{ type: 'switchFailed', to: '9900000000011', reasonCode: 'Z03' }]);
  });

  it('records a registration that could not be delivered, and leaves the ending to the answer period', async () => {
    const { state } = await given(supplierSwitch, requested)
      .when(undelivered)
      .thenState((s) => s.value === 'requested');
    expect(state.context.registration).toEqual({
      status: 'undelivered',
      error: 'grid operator unavailable',
      at: NOW,
    });
  });

  it('still takes the answer after the receipt', async () => {
    const afterReceipt = [...requested, { type: 'GridReceiptRecorded', command: accepted, acceptedAt: NOW }];
    await given(supplierSwitch, afterReceipt)
      .when({ type: 'confirmSwitch' })
      .thenState((s) => s.value === 'confirmed' && s.context.registration?.status === 'accepted');
  });
});

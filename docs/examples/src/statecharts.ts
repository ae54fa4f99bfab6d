/**
 * docs/statecharts.md: the supplier switch of the example daemon refusing commands (the
 * `accepted` lists), and a deploy that lacks the workflow version a process started on. Runs as
 * one program (test/examples.test.ts) on the in-memory store, with a simulated clock.
 */
import { isDeepStrictEqual } from 'node:util';
import { createRuntime, isRejection, memoryStore, SimulatedClock } from '@actorfold/core';
import {
  type SupplierSwitchCommand,
  supplierSwitchV1,
  supplierSwitch as today,
} from '@actorfold/example-daemon/domain';
import { fromMachine } from '@actorfold/xstate';

const store = memoryStore();
// Requested a week before the switch date: the grid operator's answer period (P10D) runs on.
const clock = new SimulatedClock(Date.parse('2025-01-08T00:00:00Z'));
const first = await createRuntime({ store, clock, aggregates: [today] });
const id = '51238696781-2025-01-15';
const pending = first.get(today, id);
await pending.execute({
  type: 'requestSwitch',
  meteringPoint: '51238696781',
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2025-01-15',
});

/** The details of the rejection the command meets now. */
async function refusal(command: SupplierSwitchCommand): Promise<unknown> {
  try {
    await pending.execute(command);
  } catch (e) {
    if (isRejection(e)) return e.details;
    throw e;
  }
  throw new Error(`${command.type} was accepted`);
}

// #region accepted
// awaiting the grid operator, before the switch date
// (recordGridReceipt is the grid operator's receipt, delivered by the registration effect)
const before = {
  state: 'requested',
  accepted: ['confirmSwitch', 'rejectSwitch', 'cancelSwitch', 'recordGridReceipt'],
};
// the same, on the switch date: confirmSwitch's guard (beforeSwitchDate) fails on context and time
const onTheDay = { state: 'requested', accepted: ['rejectSwitch', 'cancelSwitch', 'recordGridReceipt'] };
// rejectSwitch with an unknown answer code: refused, but still listed (knownReasonCode reads the payload)
// #endregion accepted
console.log(isDeepStrictEqual(await refusal({ type: 'startSupply' }), before));
console.log(isDeepStrictEqual(await refusal({ type: 'rejectSwitch', reasonCode: 'Z99' }), before));
clock.advance(Date.parse('2025-01-15T06:00:00Z') - clock.now());
console.log(isDeepStrictEqual(await refusal({ type: 'confirmSwitch' }), onTheDay));

// A deploy that no longer registers FV2025-10-01, which the process started on.
const supplierSwitch = fromMachine({
  type: 'supplier-switch',
  machines: { 'FV2025-04-01': supplierSwitchV1 },
});
const runtime = await createRuntime({ store, aggregates: [supplierSwitch] });

// #region unknown-version
import { isActorfoldError } from '@actorfold/core';
import { isUnknownWorkflowVersion } from '@actorfold/xstate';

try {
  await runtime.get(supplierSwitch, id).state();
} catch (e) {
  if (isActorfoldError(e) && e.code === 'ACTOR_CRASHED' && isUnknownWorkflowVersion(e.cause)) {
    // e.cause.workflowVersion is not among e.cause.registered: deploy with that machine again
    console.log(e.cause.workflowVersion, e.cause.registered);
  }
}
// #endregion unknown-version
await runtime.shutdown(); // each shutdown closes the shared store: both at the end
await first.shutdown();

/**
 * xstate's workflow-event-based: a visa decision event (approved or rejected) starts the
 * matching handling service; without a decision in time, the no-decision handling runs.
 */
import { expect } from 'vitest';
import { setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type VisaCommand = { type: 'start' } | { type: 'visaApprovedEvent' } | { type: 'visaRejectedEvent' };

const DECISION_MS = 1_000;

const machine = setup({
  types: { events: {} as WithAcceptedAt<VisaCommand> },
  delays: { visaDecisionTimeout: DECISION_MS },
  actors: {
    handleApprovedVisaWorkflowID: remote<void>(),
    handleRejectedVisaWorkflowID: remote<void>(),
    handleNoVisaDecisionWorkflowId: remote<void>(),
  },
}).createMachine({
  id: 'eventbasedswitchstate',
  initial: 'Applied',
  states: {
    // Added: a process begins with its first command, which starts the wait for a decision.
    Applied: { on: { start: 'CheckVisaStatus' } },
    CheckVisaStatus: {
      on: { visaApprovedEvent: 'HandleApprovedVisa', visaRejectedEvent: 'HandleRejectedVisa' },
      after: { visaDecisionTimeout: 'HandleNoVisaDecision' },
    },
    HandleApprovedVisa: { invoke: { src: 'handleApprovedVisaWorkflowID', onDone: 'End' } },
    HandleRejectedVisa: { invoke: { src: 'handleRejectedVisaWorkflowID', onDone: 'End' } },
    HandleNoVisaDecision: { invoke: { src: 'handleNoVisaDecisionWorkflowId', onDone: 'End' } },
    End: { type: 'final' },
  },
});

const services = () =>
  new SimulatedServices({
    handleApprovedVisaWorkflowID: () => undefined,
    handleRejectedVisaWorkflowID: () => undefined,
    handleNoVisaDecisionWorkflowId: () => undefined,
  });

export const eventBased: RunningExample = {
  status: 'runs',
  example: 'workflow-event-based',
  uses: ['after (named delay) beside event transitions', 'invoke (promise) x3', 'final'],
  adaptations: ['a start command begins the wait for a decision (the original starts it with the actor)'],
  machine,
  services,
  scenarios: [
    {
      title: 'an approved visa is handled as approved, and the decision timeout never fires',
      store: 'level',
      async drive({ run, send, reach, services }) {
        await send({ type: 'start' });
        await send({ type: 'visaApprovedEvent' });
        await reach('End');
        await run.advance(DECISION_MS * 2);
        expect(services.sequence()).toEqual(['handleApprovedVisaWorkflowID']);
      },
    },
    {
      title: 'a rejected visa is handled as rejected',
      store: 'memory',
      async drive({ send, reach, services }) {
        await send({ type: 'start' });
        await send({ type: 'visaRejectedEvent' });
        await reach('End');
        expect(services.sequence()).toEqual(['handleRejectedVisaWorkflowID']);
      },
    },
    {
      title: 'no decision within the timeout runs the no-decision handling, and a late decision is refused',
      store: 'memory',
      async drive({ run, send, reach, state, services }) {
        await send({ type: 'start' });
        await run.advance(DECISION_MS - 1);
        expect((await state()).value).toBe('CheckVisaStatus');
        await run.advance(1);
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['handleNoVisaDecisionWorkflowId']);
        await expect(send({ type: 'visaApprovedEvent' })).rejects.toMatchObject({ reason: 'completed' });
      },
    },
  ],
};

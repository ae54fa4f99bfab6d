/**
 * xstate's workflow-finalize-college-app: once the application, the SAT scores and the
 * recommendation letter have all arrived (in any order), the application is finalized (a
 * promise service).
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Application {
  applicantId: string | null;
  applicationSubmitted: boolean;
  satScoresReceived: boolean;
  recommendationLetterReceived: boolean;
}

type CollegeCommand =
  | { type: 'start'; applicantId: string }
  | { type: 'ApplicationSubmitted' }
  | { type: 'SATScoresReceived' }
  | { type: 'RecommendationLetterReceived' };

const machine = setup({
  types: { context: {} as Application, events: {} as WithAcceptedAt<CollegeCommand> },
  actors: { finalizeApplicationFunction: remote<{ applicantId: string | null }, { applicantId: string }>() },
}).createMachine({
  id: 'finalizeCollegeApplication',
  initial: 'Ready',
  context: {
    applicantId: null,
    applicationSubmitted: false,
    satScoresReceived: false,
    recommendationLetterReceived: false,
  },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: {
      on: {
        start: {
          target: 'FinalizeApplication',
          actions: assign({ applicantId: ({ event }) => event.applicantId }),
        },
      },
    },
    FinalizeApplication: {
      on: {
        ApplicationSubmitted: { actions: assign({ applicationSubmitted: true }) },
        SATScoresReceived: { actions: assign({ satScoresReceived: true }) },
        RecommendationLetterReceived: { actions: assign({ recommendationLetterReceived: true }) },
      },
      always: {
        guard: ({ context }) =>
          context.applicationSubmitted && context.satScoresReceived && context.recommendationLetterReceived,
        target: 'FinalizingApplication',
      },
    },
    FinalizingApplication: {
      invoke: {
        src: 'finalizeApplicationFunction',
        input: ({ context }) => ({ applicantId: context.applicantId }),
        onDone: 'Finalized',
      },
    },
    Finalized: { type: 'final' },
  },
});

export const finalizeCollegeApp: RunningExample = {
  status: 'runs',
  example: 'workflow-finalize-college-app',
  uses: ['assign', 'always (guarded)', 'invoke (promise)', 'input', 'final'],
  adaptations: ['input (the applicant id) comes with a start command'],
  machine,
  services: () => new SimulatedServices({ finalizeApplicationFunction: (input) => input }),
  scenarios: [
    {
      title: 'the application is finalized once all three documents arrived, in any order',
      store: 'level',
      async drive({ run, send, state, reach, services }) {
        await send({ type: 'start', applicantId: '123' });
        await send({ type: 'SATScoresReceived' });
        await run.advance(1_000);
        await send({ type: 'RecommendationLetterReceived' });
        await run.settle();
        expect((await state()).value).toBe('FinalizeApplication');
        expect(services.calls).toHaveLength(0);
        await send({ type: 'ApplicationSubmitted' });
        expect(await reach('Finalized')).toMatchObject({ done: true });
        expect(services.callsOf('finalizeApplicationFunction').map((c) => c.input)).toEqual([
          { applicantId: '123' },
        ]);
      },
    },
  ],
};

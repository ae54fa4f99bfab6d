/**
 * xstate's workflow-applicant-request: an applicant of 18 or over has the application started
 * (a promise service), a younger one gets a rejection e-mail; a failed start also rejects.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { RequestRefused, SimulatedServices } from '../support/simulated-services.js';

interface Applicant {
  fname: string;
  lname: string;
  age: number;
  email: string;
}

type ApplicantCommand = { type: 'Submit'; applicant: Applicant };

const machine = setup({
  types: { context: {} as { applicant: Applicant | null }, events: {} as WithAcceptedAt<ApplicantCommand> },
  actors: {
    startApplicationWorkflowId: remote<{ applicant: Applicant | null }>(),
    sendRejectionEmailFunction: remote<{ applicant: Applicant | null }>(),
  },
  guards: { isOver18: ({ event }) => event.type === 'Submit' && event.applicant.age >= 18 },
}).createMachine({
  id: 'applicantrequest',
  initial: 'CheckApplication',
  context: { applicant: null },
  states: {
    CheckApplication: {
      on: {
        Submit: [
          {
            guard: 'isOver18',
            target: 'StartApplication',
            actions: assign({ applicant: ({ event }) => event.applicant }),
          },
          { target: 'RejectApplication', actions: assign({ applicant: ({ event }) => event.applicant }) },
        ],
      },
    },
    StartApplication: {
      invoke: {
        src: 'startApplicationWorkflowId',
        input: ({ context }) => ({ applicant: context.applicant }),
        onDone: 'End',
        onError: 'RejectApplication',
      },
    },
    RejectApplication: {
      invoke: {
        src: 'sendRejectionEmailFunction',
        input: ({ context }) => ({ applicant: context.applicant }),
        onDone: 'End',
      },
    },
    End: { type: 'final' },
  },
});

const applicant = (age: number): Applicant => ({
  fname: 'John',
  lname: 'Stockton',
  age,
  email: 'js@example.com',
});

export const applicantRequest: RunningExample = {
  status: 'runs',
  example: 'workflow-applicant-request',
  uses: ['invoke (promise) x2', 'onError', 'guards', 'input', 'final'],
  adaptations: ["the applicant (the original's input) comes with the Submit command"],
  machine,
  services: () =>
    new SimulatedServices({
      startApplicationWorkflowId: (input) => {
        const { applicant: a } = input as { applicant: Applicant };
        if (a.email === '') throw new RequestRefused('no e-mail address');
      },
      sendRejectionEmailFunction: () => undefined,
    }),
  scenarios: [
    {
      title: 'an applicant of 22 has the application started and the process ends',
      store: 'level',
      async drive({ send, reach, services }) {
        await send({ type: 'Submit', applicant: applicant(22) });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['startApplicationWorkflowId']);
      },
    },
    {
      title: 'an applicant of 16 is sent a rejection e-mail and the process ends',
      store: 'memory',
      async drive({ send, reach, services }) {
        await send({ type: 'Submit', applicant: applicant(16) });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['sendRejectionEmailFunction']);
      },
    },
    {
      title: 'an application whose start fails is rejected instead (onError)',
      store: 'memory',
      async drive({ send, reach, services }) {
        await send({ type: 'Submit', applicant: { ...applicant(30), email: '' } });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['startApplicationWorkflowId', 'sendRejectionEmailFunction']);
      },
    },
  ],
};

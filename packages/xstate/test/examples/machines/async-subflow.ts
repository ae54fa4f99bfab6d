/**
 * xstate's workflow-async-subflow: the workflow invokes an onboarding child machine, which asks
 * two questions through a promise service (a prompt on the terminal there). Invoking a machine
 * is refused: a child actor lives outside the event stream.
 */
import { assign, setup } from 'xstate';
import type { RefusedExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';

const onboarding = setup({
  types: { context: {} as { name: string | null } },
  actors: { prompt: remote<{ question: string }, { response: string }>() },
}).createMachine({
  id: 'onboarding',
  initial: 'Welcome',
  context: { name: null },
  states: {
    Welcome: {
      invoke: {
        src: 'prompt',
        input: { question: 'What is your name?' },
        onDone: { target: 'Personalize', actions: assign({ name: ({ event }) => event.output.response }) },
      },
    },
    Personalize: {
      invoke: {
        src: 'prompt',
        input: ({ context }) => ({
          question: `Welcome ${context.name}, press enter to finish the onboarding`,
        }),
        onDone: 'Completed',
      },
    },
    Completed: { type: 'final' },
  },
});

const machine = setup({ actors: { onboarding } }).createMachine({
  id: 'async-subflow',
  initial: 'Onboard',
  states: {
    Onboard: { invoke: { src: 'onboarding', onDone: 'Onboarded' } },
    Onboarded: { type: 'final' },
  },
});

export const asyncSubflow: RefusedExample = {
  status: 'refused',
  example: 'workflow-async-subflow',
  uses: ['invoke (child machine)', 'invoke (promise) x2 in the child', 'assign'],
  machine,
  reason:
    'the subflow is a child machine invoked by the parent; a child process is a second aggregate, started by a command and answering with one',
  features: ['invoke'],
  alternative: /make it an aggregate of its own.*fromPromise/,
};

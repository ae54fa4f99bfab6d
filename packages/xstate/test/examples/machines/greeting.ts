/** xstate's workflow-greeting: greets the person given as input (a promise service), then ends. */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type StartCommand = { type: 'start'; person: { name: string } };

const machine = setup({
  types: { context: {} as { greeting: string | null }, events: {} as WithAcceptedAt<StartCommand> },
  actors: { greetingFunction: remote<{ name: string }, { greeting: string }>() },
}).createMachine({
  id: 'greeting',
  initial: 'Ready',
  context: { greeting: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: { on: { start: 'Greet' } },
    Greet: {
      invoke: {
        src: 'greetingFunction',
        // The original reads the person from the init event's input; here from the start command.
        input: ({ event }) => ({ name: event.type === 'start' ? event.person.name : '' }),
        onDone: { target: 'Greeted', actions: assign({ greeting: ({ event }) => event.output.greeting }) },
      },
    },
    Greeted: { type: 'final', output: ({ context }) => ({ greeting: context.greeting }) },
  },
});

export const greeting: RunningExample = {
  status: 'runs',
  example: 'workflow-greeting',
  uses: [
    'invoke (promise) in the initial state, input from the init event',
    'assign',
    'final state with output',
  ],
  adaptations: ['input (the person) comes with a start command'],
  machine,
  services: () =>
    new SimulatedServices({
      greetingFunction: (input) => ({ greeting: `Hello, ${(input as { name: string }).name}!` }),
    }),
  scenarios: [
    {
      title: 'Jenny is greeted with "Hello, Jenny!" and the process ends',
      store: 'level',
      async drive({ send, reach, services }) {
        await send({ type: 'start', person: { name: 'Jenny' } });
        expect(await reach('Greeted')).toMatchObject({ done: true, context: { greeting: 'Hello, Jenny!' } });
        expect(services.callsOf('greetingFunction').map((c) => c.input)).toEqual([{ name: 'Jenny' }]);
      },
    },
  ],
};

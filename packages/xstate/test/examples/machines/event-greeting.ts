/** xstate's workflow-event-greeting: a greet event has the greeting function (a promise service) greet by name. */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type GreetCommand = { type: 'greet'; greet: { name: string } };

const machine = setup({
  types: { context: {} as { greeting: string | null }, events: {} as WithAcceptedAt<GreetCommand> },
  actors: { greetingFunction: remote<{ name: string }, { greeting: string }>() },
}).createMachine({
  id: 'event-greeting',
  initial: 'Waiting',
  context: { greeting: null },
  states: {
    Waiting: { on: { greet: 'Greet' } },
    Greet: {
      invoke: {
        src: 'greetingFunction',
        // The invoke's input is read from the event that entered the state.
        input: ({ event }) => ({ name: event.type === 'greet' ? event.greet.name : '' }),
        onDone: { target: 'Greeted', actions: assign({ greeting: ({ event }) => event.output.greeting }) },
      },
    },
    Greeted: { type: 'final', output: ({ context }) => ({ greeting: context.greeting }) },
  },
});

export const eventGreeting: RunningExample = {
  status: 'runs',
  example: 'workflow-event-greeting',
  uses: ['invoke (promise) with input from the triggering event', 'assign', 'final state with output'],
  adaptations: ['the context declares greeting (null until greeted)'],
  machine,
  services: () =>
    new SimulatedServices({
      greetingFunction: (input) => ({ greeting: `Hello, ${(input as { name: string }).name}!` }),
    }),
  scenarios: [
    {
      title: 'a greet event for Jenny ends greeted with "Hello, Jenny!"',
      store: 'memory',
      async drive({ send, reach }) {
        await send({ type: 'greet', greet: { name: 'Jenny' } });
        expect(await reach('Greeted')).toMatchObject({ done: true, context: { greeting: 'Hello, Jenny!' } });
      },
    },
  ],
};

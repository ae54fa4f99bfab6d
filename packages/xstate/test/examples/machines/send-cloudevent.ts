/** xstate's workflow-send-cloudevent: provisions a batch of orders (one promise service), then ends with their outcomes. */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Order {
  id: string;
  item: string;
  quantity: string;
}

type Outcome = { id: string; outcome: string };

type StartCommand = { type: 'start'; orders: Order[] };

const machine = setup({
  types: {
    context: {} as { orders: Order[]; provisionedOrders: Outcome[] | null },
    events: {} as WithAcceptedAt<StartCommand>,
  },
  actors: { provisionOrdersFunction: remote<{ orders: Order[] }, Outcome[]>() },
}).createMachine({
  id: 'sendcloudeventonprovision',
  initial: 'Ready',
  context: { orders: [], provisionedOrders: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: {
      on: {
        start: { target: 'ProvisionOrdersState', actions: assign({ orders: ({ event }) => event.orders }) },
      },
    },
    ProvisionOrdersState: {
      invoke: {
        src: 'provisionOrdersFunction',
        input: ({ context }) => ({ orders: context.orders }),
        onDone: { target: 'End', actions: assign({ provisionedOrders: ({ event }) => event.output }) },
      },
    },
    End: { type: 'final', output: ({ context }) => ({ provisionedOrders: context.provisionedOrders }) },
  },
});

export const sendCloudevent: RunningExample = {
  status: 'runs',
  example: 'workflow-send-cloudevent',
  uses: ['invoke (promise)', 'assign', 'input', 'final state with output'],
  adaptations: ['input (the orders) comes with a start command'],
  machine,
  services: () =>
    new SimulatedServices({
      provisionOrdersFunction: (input) =>
        (input as { orders: Order[] }).orders.map((o) => ({ id: o.id, outcome: 'SUCCESS' })),
    }),
  scenarios: [
    {
      title: 'two orders are provisioned and their outcomes kept',
      store: 'memory',
      async drive({ send, reach }) {
        await send({
          type: 'start',
          orders: [
            { id: '123', item: 'laptop', quantity: '10' },
            { id: '456', item: 'desktop', quantity: '4' },
          ],
        });
        expect(await reach('End')).toMatchObject({
          done: true,
          context: {
            provisionedOrders: [
              { id: '123', outcome: 'SUCCESS' },
              { id: '456', outcome: 'SUCCESS' },
            ],
          },
        });
      },
    },
  ],
};

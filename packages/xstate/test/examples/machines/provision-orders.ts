/**
 * xstate's workflow-provision-orders: provisions an order (a promise service); an order missing
 * its id, item or quantity fails, and `onError` guards on the error's message pick the
 * exception handling (one service each); either way the workflow ends.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { RequestRefused, SimulatedServices } from '../support/simulated-services.js';

interface Order {
  id: string;
  item: string;
  quantity: string;
}

type StartCommand = { type: 'start'; order: Order };

/** What the failure carries to the machine: the error's message, as the runtime records it. */
const messageIs =
  (message: string) =>
  ({ event }: { event: { error?: unknown } }) =>
    (event.error as { message?: unknown } | undefined)?.message === message;

const machine = setup({
  types: { context: {} as { order: Order | null }, events: {} as WithAcceptedAt<StartCommand> },
  actors: {
    provisionOrderFunction: remote<{ order: Order | null }, { order: Order }>(),
    applyOrderWorkflowId: remote<void>(),
    handleMissingIdExceptionWorkflow: remote<void>(),
    handleMissingItemExceptionWorkflow: remote<void>(),
    handleMissingQuantityExceptionWorkflow: remote<void>(),
  },
}).createMachine({
  id: 'provisionorders',
  initial: 'Ready',
  context: { order: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: {
      on: { start: { target: 'ProvisionOrder', actions: assign({ order: ({ event }) => event.order }) } },
    },
    ProvisionOrder: {
      invoke: {
        src: 'provisionOrderFunction',
        input: ({ context }) => ({ order: context.order }),
        onDone: 'ApplyOrder',
        onError: [
          { guard: messageIs('Missing order id'), target: 'Exception.MissingId' },
          { guard: messageIs('Missing order item'), target: 'Exception.MissingItem' },
          { guard: messageIs('Missing order quantity'), target: 'Exception.MissingQuantity' },
        ],
      },
    },
    ApplyOrder: { invoke: { src: 'applyOrderWorkflowId', onDone: 'End' } },
    End: { type: 'final' },
    Exception: {
      initial: 'MissingId',
      states: {
        MissingId: { invoke: { src: 'handleMissingIdExceptionWorkflow', onDone: 'End' } },
        MissingItem: { invoke: { src: 'handleMissingItemExceptionWorkflow', onDone: 'End' } },
        MissingQuantity: { invoke: { src: 'handleMissingQuantityExceptionWorkflow', onDone: 'End' } },
        End: { type: 'final' },
      },
      onDone: 'End',
    },
  },
});

/** The provisioning system refuses incomplete orders for good (no retry helps). */
function provisioning(): SimulatedServices {
  return new SimulatedServices({
    provisionOrderFunction: (input) => {
      const { order } = input as { order: Order };
      if (!order.id) throw new RequestRefused('Missing order id');
      if (!order.item) throw new RequestRefused('Missing order item');
      if (!order.quantity) throw new RequestRefused('Missing order quantity');
      return { order };
    },
    applyOrderWorkflowId: () => undefined,
    handleMissingIdExceptionWorkflow: () => undefined,
    handleMissingItemExceptionWorkflow: () => undefined,
    handleMissingQuantityExceptionWorkflow: () => undefined,
  });
}

const order: Order = { id: '123', item: 'laptop', quantity: '10' };

export const provisionOrders: RunningExample = {
  status: 'runs',
  example: 'workflow-provision-orders',
  uses: [
    'invoke (promise) x5',
    'onError with guards on the error',
    'nested states',
    'onDone of a compound state',
    'input',
  ],
  adaptations: ['input (the order) comes with a start command'],
  machine,
  services: provisioning,
  scenarios: [
    {
      title: 'a complete order is provisioned and applied',
      store: 'memory',
      async drive({ send, reach, services }) {
        await send({ type: 'start', order });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['provisionOrderFunction', 'applyOrderWorkflowId']);
      },
    },
    {
      title: 'an order without an id is handled as a missing id, after one attempt',
      store: 'level',
      async drive({ send, reach, services }) {
        await send({ type: 'start', order: { ...order, id: '' } });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['provisionOrderFunction', 'handleMissingIdExceptionWorkflow']);
      },
    },
    {
      title: 'an order without a quantity is handled as a missing quantity',
      store: 'memory',
      async drive({ send, reach, services }) {
        await send({ type: 'start', order: { ...order, quantity: '' } });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual([
          'provisionOrderFunction',
          'handleMissingQuantityExceptionWorkflow',
        ]);
      },
    },
  ],
};

/**
 * xstate's workflow-purchase-order-deadline: an order goes through created, confirmed, shipped
 * and finished; if it is not finished within thirty days (an `after` on the root), it is
 * cancelled (a promise service).
 */
import { expect } from 'vitest';
import { log, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type OrderCommand =
  | { type: 'OrderCreatedEvent' }
  | { type: 'OrderConfirmedEvent' }
  | { type: 'ShipmentSentEvent' };

const machine = setup({
  types: { events: {} as WithAcceptedAt<OrderCommand> },
  actions: {
    logNewOrderCreated: log('new order created'),
    logOrderConfirmed: log('order confirmed'),
    logOrderShipped: log('order shipped'),
    logOrderFinished: log('order finished'),
    logOrderCancelled: log('order cancelled'),
  },
  actors: { CancelOrder: remote<void>() },
}).createMachine({
  id: 'order',
  initial: 'StartNewOrder',
  after: { P30D: { target: '.CancelOrder' } },
  states: {
    StartNewOrder: {
      on: { OrderCreatedEvent: { target: 'WaitForOrderConfirmation', actions: 'logNewOrderCreated' } },
    },
    WaitForOrderConfirmation: {
      on: { OrderConfirmedEvent: { target: 'WaitOrderShipped', actions: 'logOrderConfirmed' } },
    },
    WaitOrderShipped: { on: { ShipmentSentEvent: { target: 'OrderFinished', actions: 'logOrderShipped' } } },
    OrderFinished: { type: 'final', entry: 'logOrderFinished' },
    CancelOrder: { invoke: { src: 'CancelOrder', onDone: 'OrderCancelled' } },
    OrderCancelled: { type: 'final', entry: 'logOrderCancelled' },
  },
});

const DAY = 86_400_000;

export const purchaseOrderDeadline: RunningExample = {
  status: 'runs',
  example: 'workflow-purchase-order-deadline',
  uses: [
    'after on the root (named delay PT30D; here the ISO-8601 key P30D)',
    'invoke (promise)',
    'named actions (logging)',
    'final',
  ],
  adaptations: [
    "the logging actions are xstate's log() (the original's are functions calling console.log)",
    'the thirty days count from OrderCreatedEvent, the first command',
  ],
  machine,
  services: () => new SimulatedServices({ CancelOrder: () => undefined }),
  scenarios: [
    {
      title: 'an order finished within thirty days is never cancelled, and its deadline is gone',
      store: 'level',
      async drive({ run, send, services }) {
        await send({ type: 'OrderCreatedEvent' });
        await run.advance(10 * DAY, DAY);
        await send({ type: 'OrderConfirmedEvent' });
        await run.advance(10 * DAY, DAY);
        expect(await send({ type: 'ShipmentSentEvent' })).toMatchObject({
          value: 'OrderFinished',
          done: true,
        });
        expect(await run.store.timers?.count()).toBe(0);
        await run.advance(20 * DAY, DAY);
        expect(services.calls).toHaveLength(0);
      },
    },
    {
      title: 'an order not finished in thirty days is cancelled',
      store: 'level',
      async drive({ run, send, state, reach, services }) {
        await send({ type: 'OrderCreatedEvent' });
        await run.advance(10 * DAY, DAY);
        await send({ type: 'OrderConfirmedEvent' });
        await run.advance(20 * DAY - 1, DAY);
        expect((await state()).value).toBe('WaitOrderShipped');
        await run.advance(1, 1);
        expect(await reach('OrderCancelled')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual(['CancelOrder']);
        await expect(send({ type: 'ShipmentSentEvent' })).rejects.toMatchObject({ reason: 'completed' });
      },
    },
  ],
};

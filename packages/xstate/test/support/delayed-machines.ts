/**
 * Machines with delayed transitions (`after`), shaped after xstate's own examples and docs:
 * the traffic light of the "Delayed transitions" docs page (stately.ai/docs/delayed-transitions,
 * with a delay computed from context as in its `delays` section), the retry after a failure of
 * xstate's examples/fetch (here with an exponential back-off), and the deadline of
 * examples/workflow-purchase-order-deadline (an `after: { PT30D }` on the root, from the
 * Serverless Workflow examples). The offer is ours, in the same style. Rewritten as fixtures, not copied.
 */
import { assign, emit, setup } from 'xstate';
import type { WithAcceptedAt } from '../../src/index.js';

export type LightCommand = { type: 'pressButton' } | { type: 'powerOutage' } | { type: 'powerRestored' };

/** green 30 s → yellow 5 s → red (10 s + 5 s per waiting pedestrian) → green; parallel pedestrian signal. */
export const trafficLight = setup({
  types: { context: {} as { pedestrians: number }, events: {} as WithAcceptedAt<LightCommand> },
  delays: { redTime: ({ context }) => 10_000 + 5_000 * context.pedestrians },
}).createMachine({
  id: 'light',
  context: { pedestrians: 0 },
  initial: 'running',
  states: {
    running: {
      on: { powerOutage: 'flashing' },
      type: 'parallel',
      states: {
        lamp: {
          initial: 'green',
          states: {
            green: {
              after: { 30000: 'yellow' },
              on: {
                pressButton: { actions: assign({ pedestrians: ({ context }) => context.pedestrians + 1 }) },
              },
            },
            yellow: { after: { 5000: 'red' } },
            red: {
              after: { redTime: { target: 'green', actions: assign({ pedestrians: 0 }) } },
            },
          },
        },
        // A second region with its own timer: parallel timers are independent.
        beacon: {
          initial: 'on',
          states: { on: { after: { 1000: 'off' } }, off: { after: { 1000: 'on' } } },
        },
      },
    },
    flashing: { on: { powerRestored: 'running' } },
  },
});

export type RetryCommand = { type: 'fetch' } | { type: 'succeed' } | { type: 'fail' } | { type: 'retry' };

/** A fetch that, after a failure, tries again by itself after 1 s, 2 s, 4 s; gives up after 3 attempts. */
export const retryWithBackoff = setup({
  types: { context: {} as { attempts: number }, events: {} as WithAcceptedAt<RetryCommand> },
  delays: { backoff: ({ context }) => 1_000 * 2 ** (context.attempts - 1) },
  guards: { mayRetry: ({ context }) => context.attempts < 3 },
}).createMachine({
  id: 'fetch',
  context: { attempts: 0 },
  initial: 'idle',
  states: {
    idle: { on: { fetch: 'loading' } },
    loading: {
      entry: [assign({ attempts: ({ context }) => context.attempts + 1 }), emit({ type: 'requestSent' })],
      on: { succeed: 'success', fail: 'failure' },
    },
    failure: {
      always: { guard: ({ context }) => context.attempts >= 3, target: 'gaveUp' },
      after: { backoff: { guard: 'mayRetry', target: 'loading' } },
      on: { retry: 'loading' },
    },
    success: { type: 'final' },
    gaveUp: { type: 'final' },
  },
});

export type OrderCommand =
  | { type: 'createOrder' }
  | { type: 'confirmOrder' }
  | { type: 'sendShipment' }
  | { type: 'finishOrder' };

/** Every order not finished 30 days after it started is cancelled (a root-level ISO-8601 deadline). */
export const purchaseOrder = setup({
  types: { events: {} as WithAcceptedAt<OrderCommand> },
}).createMachine({
  id: 'order',
  initial: 'startNewOrder',
  // An ISO-8601 key that names no delay: typed xstate wants declared delays, plain JS does not.
  after: { P30D: { target: '.cancelled' } } as never,
  states: {
    startNewOrder: { on: { createOrder: 'awaitingConfirmation' } },
    awaitingConfirmation: { on: { confirmOrder: 'awaitingShipment' } },
    awaitingShipment: { on: { sendShipment: 'shipped' } },
    shipped: { on: { finishOrder: 'finished' } },
    finished: { type: 'final' },
    cancelled: { type: 'final', entry: emit({ type: 'orderCancelled' }) },
  },
});

export type OfferCommand =
  | { type: 'makeOffer'; validFor: string }
  | { type: 'accept' }
  | { type: 'withdraw' };

/** An offer valid for as long as the offer says (an ISO-8601 duration from the command, kept in context). */
export const expiringOffer = setup({
  types: { context: {} as { validFor: string }, events: {} as WithAcceptedAt<OfferCommand> },
  delays: { validity: ({ context }) => context.validFor as unknown as number },
}).createMachine({
  id: 'offer',
  context: { validFor: 'PT0S' },
  initial: 'draft',
  states: {
    draft: {
      on: {
        makeOffer: {
          target: 'open',
          actions: assign({ validFor: ({ event }) => event.validFor }),
        },
      },
    },
    open: {
      after: { validity: 'expired' },
      on: { accept: 'accepted', withdraw: 'withdrawn' },
    },
    accepted: { type: 'final' },
    withdrawn: { type: 'final' },
    expired: { type: 'final', entry: emit({ type: 'offerExpired' }) },
  },
});

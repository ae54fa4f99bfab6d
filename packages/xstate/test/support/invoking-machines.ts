/**
 * Machines that invoke promise logic, shaped after xstate's own examples: the fetch of
 * examples/fetch (load a user, retry after a failure), and a payment with a deadline next to the
 * invoke (examples/workflow-… services that wait with `after`). Rewritten as fixtures, not
 * copied. The promise creators here are what `effectsFromMachine` registers; decide never runs them.
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import type { WithAcceptedAt } from '../../src/index.js';

export interface User {
  readonly id: string;
  readonly name: string;
}

export type FetchCommand = { type: 'fetch'; userId: string } | { type: 'cancel' } | { type: 'retry' };

/** What the fetch's promise creator was called with, in order (by effectsFromMachine's implementation). */
export const fetchCalls: Array<{ input: unknown; aborted: () => boolean }> = [];

/** The remote the fetch calls; tests replace it. */
export const remote: { fetchUser: (input: { userId: string }, signal: AbortSignal) => Promise<User> } = {
  fetchUser: async ({ userId }) => ({ id: userId, name: `user ${userId}` }),
};

export const fetchUser = fromPromise<User, { userId: string }>(async ({ input, signal }) => {
  fetchCalls.push({ input, aborted: () => signal.aborted });
  return remote.fetchUser(input, signal);
});

/** idle → loading (invokes fetchUser) → success, or failure → retry → loading again; cancel while loading. */
export const userFetch = setup({
  types: {
    context: {} as { userId: string | null; user: User | null; error: string | null; attempts: number },
    events: {} as WithAcceptedAt<FetchCommand>,
  },
  actors: { fetchUser },
}).createMachine({
  id: 'fetch',
  context: { userId: null, user: null, error: null, attempts: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: { fetch: { target: 'loading', actions: assign({ userId: ({ event }) => event.userId }) } },
    },
    loading: {
      entry: assign({ attempts: ({ context }) => context.attempts + 1 }),
      invoke: {
        src: 'fetchUser',
        input: ({ context }) => ({ userId: context.userId ?? '' }),
        onDone: {
          target: 'success',
          actions: [assign({ user: ({ event }) => event.output }), emit({ type: 'userLoaded' })],
        },
        onError: {
          target: 'failure',
          actions: assign({ error: ({ event }) => (event.error as { message: string }).message }),
        },
      },
      on: { cancel: 'cancelled' },
    },
    failure: { on: { retry: 'loading' } },
    success: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export type PaymentCommand = { type: 'checkout'; orderId: string; amount: number } | { type: 'abort' };

export const charge = fromPromise<{ receipt: string }, { orderId: string; amount: number }>(
  async ({ input }) => ({ receipt: `r-${input.orderId}` }),
);

export const notify = fromPromise<null, { orderId: string }>(async () => null);

/**
 * A payment with a deadline: `paying` invokes the charge (its own id) and the notification (a
 * generated id) at once, and gives up after 10 minutes (a durable timer next to the effect).
 */
export const payment = setup({
  types: {
    context: {} as { orderId: string; amount: number; receipt: string | null; failure: string | null },
    events: {} as WithAcceptedAt<PaymentCommand>,
  },
  actors: { charge, notify },
}).createMachine({
  id: 'payment',
  context: { orderId: '', amount: 0, receipt: null, failure: null },
  initial: 'cart',
  states: {
    cart: {
      on: {
        checkout: {
          target: 'paying',
          actions: assign({ orderId: ({ event }) => event.orderId, amount: ({ event }) => event.amount }),
        },
      },
    },
    paying: {
      invoke: [
        {
          id: 'charge',
          src: 'charge',
          input: ({ context }) => ({ orderId: context.orderId, amount: context.amount }),
          onDone: { target: 'paid', actions: assign({ receipt: ({ event }) => event.output.receipt }) },
          onError: { target: 'failed', actions: assign({ failure: ({ event }) => String(event.error) }) },
        },
        { src: 'notify', input: ({ context }) => ({ orderId: context.orderId }) },
      ],
      after: { 600000: { target: 'failed', actions: assign({ failure: 'timeout' }) } },
      on: { abort: 'failed' },
    },
    paid: { type: 'final' },
    failed: { type: 'final' },
  },
});

/** A machine whose initial state invokes: the effect starts with the process's first command. */
export const greeter = setup({
  types: {
    events: {} as WithAcceptedAt<{ type: 'poke' }>,
    context: {} as { greeting: string | null; pokes: number },
  },
  actors: { greet: fromPromise<string, { to: string }>(async ({ input }) => `hello ${input.to}`) },
}).createMachine({
  id: 'greeter',
  context: { greeting: null, pokes: 0 },
  initial: 'greeting',
  on: { poke: { actions: assign({ pokes: ({ context }) => context.pokes + 1 }) } },
  states: {
    greeting: {
      invoke: {
        src: 'greet',
        input: { to: 'world' },
        onDone: { target: 'greeted', actions: assign({ greeting: ({ event }) => event.output }) },
        onError: 'greeted',
      },
    },
    greeted: {},
  },
});

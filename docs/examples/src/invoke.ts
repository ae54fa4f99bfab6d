/**
 * docs/statecharts.md: a checkout whose state machine invokes a (simulated) payment provider as
 * a durable effect; one order is paid, one declined after its retries. Runs as one program
 * (test/examples.test.ts) on the in-memory store.
 */
// #region invoke
import { createRuntime, memoryStore } from '@actorfold/core';
import { effectsFromMachine, fromMachine, type WithAcceptedAt } from '@actorfold/xstate';
import { assign, fromPromise, setup } from 'xstate';

type CheckoutCommand = { type: 'checkout'; orderId: string; cents: number } | { type: 'abandon' };

/** The payment provider (simulated): declines anything over 100 euros. */
const chargeCard = fromPromise<{ receipt: string }, { orderId: string; cents: number }>(
  async ({ input, signal }) => {
    signal.throwIfAborted();
    if (input.cents > 10_000) throw new Error('card declined');
    return { receipt: `rcpt-${input.orderId}` };
  },
);

const checkoutMachine = setup({
  types: {
    context: {} as { orderId: string; cents: number; receipt: string | null; declined: string | null },
    events: {} as WithAcceptedAt<CheckoutCommand>,
  },
  actors: { chargeCard },
}).createMachine({
  id: 'checkout',
  context: { orderId: '', cents: 0, receipt: null, declined: null },
  initial: 'cart',
  states: {
    cart: {
      on: {
        checkout: {
          target: 'charging',
          actions: assign(({ event }) =>
            event.type === 'checkout' ? { orderId: event.orderId, cents: event.cents } : {},
          ),
        },
      },
    },
    charging: {
      // Entering `charging` requests the effect 'chargeCard' (id 'charge'); leaving cancels it.
      invoke: {
        id: 'charge',
        src: 'chargeCard',
        input: ({ context }) => ({ orderId: context.orderId, cents: context.cents }),
        onDone: { target: 'paid', actions: assign({ receipt: ({ event }) => event.output.receipt }) },
        onError: {
          target: 'declined',
          actions: assign({ declined: ({ event }) => (event.error as { message: string }).message }),
        },
      },
      on: { abandon: 'abandoned' },
    },
    paid: { type: 'final' },
    declined: { type: 'final' },
    abandoned: { type: 'final' },
  },
});

const checkout = fromMachine({ type: 'checkout', machines: { v1: checkoutMachine } });

const runtime = await createRuntime({
  store: memoryStore(),
  aggregates: [checkout],
  // The runtime runs chargeCard's promise creator, never decide or replay.
  effects: { implementations: effectsFromMachine(checkout), maxAttempts: 3, backoff: { initialMs: 10 } },
});
await runtime.get(checkout, 'o-1').execute({ type: 'checkout', orderId: 'o-1', cents: 4_200 });
await runtime.get(checkout, 'o-2').execute({ type: 'checkout', orderId: 'o-2', cents: 99_900 });
// #endregion invoke

/** Waits until the process has completed (its effect settled and its outcome was taken). */
async function settled(id: string) {
  for (;;) {
    const { state, version } = await runtime.get(checkout, id).state();
    if (state.done) return { state, version };
    await new Promise((r) => setTimeout(r, 10));
  }
}
const paid = await settled('o-1');
const declined = await settled('o-2');
console.log(paid.state.value, paid.state.context.receipt, paid.version);
console.log(declined.state.value, declined.state.context.declined, declined.version);
await runtime.shutdown();

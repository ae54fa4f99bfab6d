/**
 * xstate's workflow-reusing-functions: a payment confirmation machine (check funds, then send
 * one of two e-mails through promise services) tells its parent when it ends (sendParent); the
 * parent invokes it, forwards payments to it (forwardTo) and logs every event (a '*' transition
 * with a custom action). Refused: both machines talk to other actors.
 */
import { assign, createMachine, forwardTo, sendParent, setup } from 'xstate';
import type { RefusedExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';

interface PaymentReceivedEvent {
  type: 'PaymentReceivedEvent';
  accountId: string;
  payment: { amount: number };
  customer: { name: string };
  funds: { available: boolean };
}

interface Payment {
  customer: { name: string } | null;
  payment: { amount: number } | null;
  funds: { available: boolean } | null;
  accountId: string | null;
}

const paymentConfirmation = setup({
  types: { context: {} as Payment, events: {} as PaymentReceivedEvent },
  actors: {
    checkfunds: remote<{ account: string | null; paymentamount: number }, { available: boolean }>(),
    sendSuccessEmail: remote<{ applicant: { name: string } | null }>(),
    sendInsufficientFundsEmail: remote<{ applicant: { name: string } | null }>(),
  },
  guards: { fundsAvailable: ({ context }) => context.funds?.available === true },
}).createMachine({
  id: 'paymentconfirmation',
  initial: 'Pending',
  context: { customer: null, payment: null, funds: null, accountId: null },
  states: {
    Pending: {
      on: {
        PaymentReceivedEvent: {
          target: 'PaymentReceived',
          actions: assign({
            customer: ({ event }) => event.customer,
            payment: ({ event }) => event.payment,
            funds: ({ event }) => event.funds,
            accountId: ({ event }) => event.accountId,
          }),
        },
      },
    },
    PaymentReceived: {
      invoke: {
        src: 'checkfunds',
        input: ({ context }) => ({ account: context.accountId, paymentamount: context.payment?.amount ?? 0 }),
        onDone: { target: 'ConfirmBasedOnFunds', actions: assign({ funds: ({ event }) => event.output }) },
      },
    },
    ConfirmBasedOnFunds: {
      always: [
        { guard: 'fundsAvailable', target: 'SendPaymentSuccess' },
        { target: 'SendInsufficientResults' },
      ],
    },
    SendPaymentSuccess: {
      invoke: {
        src: 'sendSuccessEmail',
        input: ({ context }) => ({ applicant: context.customer }),
        onDone: 'End',
      },
    },
    SendInsufficientResults: {
      invoke: {
        src: 'sendInsufficientFundsEmail',
        input: ({ context }) => ({ applicant: context.customer }),
        onDone: 'End',
      },
    },
    End: {
      type: 'final',
      entry: sendParent(({ context }) => ({ type: 'ConfirmationCompletedEvent', payment: context.payment })),
    },
  },
});

const seen: string[] = [];

const machine = createMachine({
  id: 'parent',
  types: {} as { events: PaymentReceivedEvent },
  invoke: { id: 'paymentconfirmation', src: paymentConfirmation },
  on: {
    PaymentReceivedEvent: { actions: forwardTo('paymentconfirmation') },
    '*': { actions: ({ event }) => void seen.push(event.type) },
  },
});

export const reusingFunctions: RefusedExample = {
  status: 'refused',
  example: 'workflow-reusing-functions',
  uses: [
    'invoke (child machine)',
    'invoke (promise) x3 in the child',
    'sendParent',
    'forwardTo',
    "wildcard '*' transition",
    'custom action',
    'always (guarded)',
  ],
  machine,
  reason:
    'the parent invokes the payment machine, forwards events to it (forwardTo) and logs through a wildcard transition; the child answers with sendParent',
  features: ['invoke', 'sendTo', 'wildcard', 'custom action'],
  alternative: /emit\(\)/,
};

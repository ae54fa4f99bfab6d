/**
 * xstate's workflow-credit-check: a credit check (a promise service, given fifteen minutes by an
 * `after` beside the invoke) decides whether the application is started or a rejection e-mail
 * is sent.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { ServiceNotAvailable, SimulatedServices } from '../support/simulated-services.js';

interface Customer {
  id: string;
  name: string;
  SSN: number;
  yearlyIncome: number;
  address: string;
  employer: string;
}

type Decision = 'Approved' | 'Denied';

interface CreditCheck {
  customer: Customer | null;
  creditCheck: { decision: Decision } | null;
}

type StartCommand = { type: 'start'; customer: Customer };

const machine = setup({
  types: { context: {} as CreditCheck, events: {} as WithAcceptedAt<StartCommand> },
  actors: {
    callCreditCheckMicroservice: remote<
      { customer: Customer | null },
      { decision: Decision; score: number }
    >(),
    startApplicationWorkflowId: remote<{ customer: Customer | null }, { application: { id: string } }>(),
    sendRejectionEmailFunction: remote<{ applicant: Customer | null }, { email: { id: string } }>(),
  },
}).createMachine({
  id: 'customercreditcheck',
  initial: 'Ready',
  context: { customer: null, creditCheck: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: {
      on: { start: { target: 'CheckCredit', actions: assign({ customer: ({ event }) => event.customer }) } },
    },
    CheckCredit: {
      invoke: {
        src: 'callCreditCheckMicroservice',
        input: ({ context }) => ({ customer: context.customer }),
        onDone: {
          target: 'EvaluateDecision',
          actions: assign({ creditCheck: ({ event }) => ({ decision: event.output.decision }) }),
        },
      },
      after: { PT15M: 'Timeout' },
    },
    EvaluateDecision: {
      always: [
        { guard: ({ context }) => context.creditCheck?.decision === 'Approved', target: 'StartApplication' },
        { guard: ({ context }) => context.creditCheck?.decision === 'Denied', target: 'RejectApplication' },
        { target: 'RejectApplication' },
      ],
    },
    StartApplication: {
      invoke: {
        src: 'startApplicationWorkflowId',
        input: ({ context }) => ({ customer: context.customer }),
        onDone: 'End',
      },
    },
    RejectApplication: {
      invoke: {
        src: 'sendRejectionEmailFunction',
        input: ({ context }) => ({ applicant: context.customer }),
        onDone: 'End',
      },
    },
    End: { type: 'final' },
    Timeout: {},
  },
});

const customer = (yearlyIncome: number): Customer => ({
  id: 'customer123',
  name: 'John Doe',
  SSN: 123456,
  yearlyIncome,
  address: '123 MyLane, MyCity',
  employer: 'MyCompany',
});

/** The bureau approves incomes of 30 000 and more; `down` makes it fail every attempt. */
function bureau(down = false): SimulatedServices {
  return new SimulatedServices({
    callCreditCheckMicroservice: {
      behaviour: (input) => {
        if (down) throw new ServiceNotAvailable('credit bureau unreachable');
        const { customer: c } = input as { customer: Customer };
        return c.yearlyIncome >= 30_000
          ? { decision: 'Approved', score: 700 }
          : { decision: 'Denied', score: 450 };
      },
      maxAttempts: 1_000,
    },
    startApplicationWorkflowId: () => ({ application: { id: 'application123' } }),
    sendRejectionEmailFunction: () => ({ email: { id: 'email123' } }),
  });
}

const MINUTE = 60_000;

export const creditCheck: RunningExample = {
  status: 'runs',
  example: 'workflow-credit-check',
  uses: [
    'invoke (promise) x3',
    'after (ISO-8601 PT15M) beside an invoke: a timeout',
    'always (guarded)',
    'input',
  ],
  adaptations: ['input (the customer) comes with a start command'],
  machine,
  runner: { backoff: { initialMs: MINUTE, factor: 1, maxMs: MINUTE } },
  services: () => bureau(),
  scenarios: [
    {
      title: 'an approved customer has the application started, and the timeout is cancelled',
      store: 'level',
      async drive({ send, reach, services, run }) {
        await send({ type: 'start', customer: customer(50_000) });
        expect(await reach('End')).toMatchObject({
          done: true,
          context: { creditCheck: { decision: 'Approved' } },
        });
        expect(services.sequence()).toEqual(['callCreditCheckMicroservice', 'startApplicationWorkflowId']);
        expect(await run.store.timers?.count()).toBe(0);
      },
    },
    {
      title: 'a denied customer is sent a rejection e-mail',
      store: 'memory',
      async drive({ send, reach, services }) {
        await send({ type: 'start', customer: customer(10_000) });
        expect(await reach('End')).toMatchObject({
          done: true,
          context: { creditCheck: { decision: 'Denied' } },
        });
        expect(services.sequence()).toEqual(['callCreditCheckMicroservice', 'sendRejectionEmailFunction']);
      },
    },
    {
      title:
        'a bureau that does not answer in fifteen minutes times the check out, and its effect is no longer retried',
      store: 'level',
      services: () => bureau(true),
      async drive({ send, reach, services, run }) {
        await send({ type: 'start', customer: customer(50_000) });
        await run.advance(15 * MINUTE, MINUTE);
        expect(await reach('Timeout')).toMatchObject({ done: false, context: { creditCheck: null } });
        const tries = services.calls.length;
        expect(tries).toBeGreaterThan(1);
        expect(await run.runtime.effects().count()).toBe(0);
        await run.advance(30 * MINUTE, MINUTE);
        expect(services.calls).toHaveLength(tries);
      },
    },
  ],
};

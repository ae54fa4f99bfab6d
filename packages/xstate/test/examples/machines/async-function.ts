/** xstate's workflow-async-function: sends an e-mail to the customer (a promise service), then ends. */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { ServiceNotAvailable, SimulatedServices } from '../support/simulated-services.js';

type StartCommand = { type: 'start'; customer: string };

const machine = setup({
  types: { context: {} as { customer: string | null }, events: {} as WithAcceptedAt<StartCommand> },
  actors: { sendEmail: remote<{ customer: string | null }>() },
}).createMachine({
  id: 'async-function-invocation',
  initial: 'Ready',
  context: { customer: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: {
      on: { start: { target: 'Send email', actions: assign({ customer: ({ event }) => event.customer }) } },
    },
    'Send email': {
      invoke: {
        src: 'sendEmail',
        input: ({ context }) => ({ customer: context.customer }),
        onDone: 'Email sent',
      },
    },
    'Email sent': { type: 'final' },
  },
});

export const asyncFunction: RunningExample = {
  status: 'runs',
  example: 'workflow-async-function',
  uses: ['invoke (promise)', 'input', 'final'],
  adaptations: ['input (the customer) comes with a start command'],
  machine,
  runner: { backoff: { initialMs: 1_000, factor: 1, maxMs: 1_000 } },
  services: () =>
    new SimulatedServices({
      sendEmail: (_input, attempt) => {
        if (attempt === 1) throw new ServiceNotAvailable('mail server down');
      },
    }),
  scenarios: [
    {
      title: 'the e-mail is sent (a second attempt after the mail server was down) and the process ends',
      store: 'level',
      async drive({ run, send, reach, services }) {
        await send({ type: 'start', customer: 'david@example.com' });
        await run.until(() => services.calls.length === 1, 'the first attempt');
        await run.advance(1_000, 250);
        expect(await reach('Email sent')).toMatchObject({ done: true });
        const calls = services.callsOf('sendEmail');
        expect(calls.map((c) => [c.attempt, c.input])).toEqual([
          [1, { customer: 'david@example.com' }],
          [2, { customer: 'david@example.com' }],
        ]);
        expect(calls[1]?.idempotencyKey).toBe(calls[0]?.idempotencyKey);
      },
    },
    {
      title:
        'a retry pending when the runtime restarts is made by the next runtime, under the same idempotency key',
      store: 'level',
      async drive({ run, send, reach, services }) {
        await send({ type: 'start', customer: 'david@example.com' });
        await run.until(() => services.calls.length === 1, 'the first attempt');
        await run.restart();
        await run.advance(1_000, 250);
        expect(await reach('Email sent')).toMatchObject({ done: true });
        const [first, second] = services.callsOf('sendEmail');
        expect([first?.attempt, second?.attempt]).toEqual([1, 2]);
        expect(second?.idempotencyKey).toBe(first?.idempotencyKey);
      },
    },
  ],
};

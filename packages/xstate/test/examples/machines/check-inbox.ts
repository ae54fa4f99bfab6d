/**
 * xstate's workflow-check-inbox: a callback actor invoked on the root sends a reminder every
 * interval (setInterval); each reminder checks the inbox and texts the messages found (promise
 * services). The callback actor is refused: it lives outside the event stream.
 */
import { expect } from 'vitest';
import { assign, fromCallback, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RefusedExample, RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Message {
  subject: string;
  priority: 'high' | 'low';
}

const machine = setup({
  types: { context: {} as { messages: Message[] }, events: {} as { type: 'reminder' } },
  actors: {
    schedule: fromCallback<{ type: 'reminder' }, { interval: number }>(({ input, sendBack }) => {
      const timer = setInterval(() => sendBack({ type: 'reminder' }), input.interval);
      return () => clearInterval(timer);
    }),
    checkInboxFunction: remote<void, Message[]>(),
    sendTextsFunction: remote<{ messages: Message[] }, { status: string }>(),
  },
}).createMachine({
  id: 'checkInbox',
  initial: 'Idle',
  context: { messages: [] },
  invoke: { src: 'schedule', input: { interval: 2_000 } },
  states: {
    Idle: { on: { reminder: 'CheckInbox' } },
    CheckInbox: {
      invoke: {
        src: 'checkInboxFunction',
        onDone: {
          target: 'SendTextForHighPriority',
          actions: assign({ messages: ({ event }) => event.output }),
        },
      },
    },
    SendTextForHighPriority: {
      invoke: {
        src: 'sendTextsFunction',
        input: ({ context }) => ({ messages: context.messages }),
        onDone: 'Idle',
      },
    },
  },
});

const INTERVAL_MS = 2_000;

/** The way out the refusal names: the schedule as a durable timer (after) on the waiting state. */
const withAfter = setup({
  types: { context: {} as { messages: Message[] }, events: {} as WithAcceptedAt<{ type: 'start' }> },
  actors: {
    checkInboxFunction: remote<void, Message[]>(),
    sendTextsFunction: remote<{ messages: Message[] }, { status: string }>(),
  },
}).createMachine({
  id: 'checkInbox',
  initial: 'Subscribed',
  context: { messages: [] },
  states: {
    Subscribed: { on: { start: 'Idle' } },
    Idle: { after: { [INTERVAL_MS]: 'CheckInbox' } },
    CheckInbox: {
      invoke: {
        src: 'checkInboxFunction',
        onDone: {
          target: 'SendTextForHighPriority',
          actions: assign({ messages: ({ event }) => event.output }),
        },
      },
    },
    SendTextForHighPriority: {
      invoke: {
        src: 'sendTextsFunction',
        input: ({ context }) => ({ messages: context.messages }),
        onDone: 'Idle',
      },
    },
  },
});

/** An inbox that holds one more message at each check. */
function inbox(): SimulatedServices {
  let checks = 0;
  return new SimulatedServices({
    checkInboxFunction: () => {
      checks++;
      return Array.from({ length: checks }, (_, i) => ({
        subject: `message ${i + 1}`,
        priority: i % 2 === 0 ? 'high' : 'low',
      }));
    },
    sendTextsFunction: () => ({ status: 'success' }),
  });
}

const rewritten: RunningExample = {
  status: 'runs',
  example: 'workflow-check-inbox',
  uses: ['after (2000 ms loop)', 'invoke (promise) x2', 'assign'],
  adaptations: [
    'the setInterval callback becomes an after transition on Idle',
    'a start command begins the schedule',
  ],
  machine: withAfter,
  services: inbox,
  scenarios: [
    {
      title: 'the inbox is checked and texts are sent every two seconds',
      store: 'level',
      async drive({ run, send, reach, state, services }) {
        await send({ type: 'start' });
        await run.advance(INTERVAL_MS - 1, INTERVAL_MS / 4);
        expect(services.calls).toHaveLength(0);
        for (let round = 1; round <= 2; round++) {
          await run.advance(round === 1 ? 1 : INTERVAL_MS, INTERVAL_MS / 4);
          await run.until(
            () => services.callsOf('sendTextsFunction').length === round,
            `round ${round} texted`,
          );
          await reach('Idle', `round ${round} done`);
        }
        expect((await state()).context).toMatchObject({
          messages: [{ subject: 'message 1' }, { subject: 'message 2' }],
        });
        expect(services.callsOf('sendTextsFunction')[1]?.input).toMatchObject({ messages: { length: 2 } });
      },
    },
  ],
};

export const checkInbox: RefusedExample = {
  status: 'refused',
  example: 'workflow-check-inbox',
  uses: ['invoke (callback, on the root: setInterval)', 'invoke (promise) x2', 'assign'],
  machine,
  reason:
    'the periodic schedule is a callback actor (setInterval) invoked on the root; a periodic wake-up is an after transition, the services are promise invokes',
  features: ['invoke'],
  alternative: /fromPromise.*durable timer \(after\)/,
  rewritten,
};

/**
 * xstate's workflow-check-inbox: a callback actor invoked on the root sends a reminder every
 * interval (setInterval); each reminder checks the inbox and texts the messages found (promise
 * services). The callback actor is refused: it lives outside the event stream.
 */
import { assign, fromCallback, setup } from 'xstate';
import type { RefusedExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';

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

export const checkInbox: RefusedExample = {
  status: 'refused',
  example: 'workflow-check-inbox',
  uses: ['invoke (callback, on the root: setInterval)', 'invoke (promise) x2', 'assign'],
  machine,
  reason:
    'the periodic schedule is a callback actor (setInterval) invoked on the root; a periodic wake-up is an after transition, the services are promise invokes',
  features: ['invoke'],
  alternative: /after/,
};

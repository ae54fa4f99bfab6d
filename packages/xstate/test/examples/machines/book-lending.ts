/**
 * xstate's workflow-book-lending: a lending request looks the book's status up; an available
 * book is checked out and the lender told; a book on loan is reported to the lender, who may
 * ask for a hold (then the status is looked up again after two weeks) or decline.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Lender {
  name: string;
  address: string;
  phone: string;
}

type BookStatus = 'onloan' | 'available' | 'unknown';

interface Lending {
  book: { title: string; id: string; status: BookStatus } | null;
  lender: Lender | null;
}

type LendingCommand =
  | { type: 'bookLendingRequest'; book: { title: string; id: string }; lender: Lender }
  | { type: 'holdBook' }
  | { type: 'declineBookhold' };

type ForLender = { bookid: string; lender: Lender | null };

const machine = setup({
  types: { context: {} as Lending, events: {} as WithAcceptedAt<LendingCommand> },
  actors: {
    'Get status for book': remote<{ bookid: string }, { status: BookStatus }>(),
    'Send status to lender': remote<{ bookid: string; message: string }>(),
    'Request hold for lender': remote<ForLender>(),
    'Cancel hold request for lender': remote<ForLender>(),
    'Check out book with id': remote<{ bookid: string }>(),
    'Notify Lender for checkout': remote<ForLender>(),
  },
}).createMachine({
  id: 'booklending',
  initial: 'Book Lending Request',
  context: { book: null, lender: null },
  states: {
    'Book Lending Request': {
      on: {
        bookLendingRequest: {
          target: 'Get Book Status',
          actions: assign({
            book: ({ event }) => ({ ...event.book, status: 'unknown' as const }),
            lender: ({ event }) => event.lender,
          }),
        },
      },
    },
    'Get Book Status': {
      invoke: {
        src: 'Get status for book',
        input: ({ context }) => ({ bookid: context.book?.id ?? '' }),
        onDone: {
          target: 'Book Status Decision',
          actions: assign({
            book: ({ context, event }) =>
              context.book ? { ...context.book, status: event.output.status } : null,
          }),
        },
      },
    },
    'Book Status Decision': {
      always: [
        { guard: ({ context }) => context.book?.status === 'onloan', target: 'Report Status To Lender' },
        { guard: ({ context }) => context.book?.status === 'available', target: 'Check Out Book' },
        { target: 'End' },
      ],
    },
    'Report Status To Lender': {
      invoke: {
        src: 'Send status to lender',
        input: ({ context }) => ({
          bookid: context.book?.id ?? '',
          message: `Book ${context.book?.title} is already on loan`,
        }),
        onDone: 'Wait for Lender response',
      },
    },
    'Wait for Lender response': { on: { holdBook: 'Request Hold', declineBookhold: 'Cancel Request' } },
    'Request Hold': {
      invoke: {
        src: 'Request hold for lender',
        input: ({ context }) => ({ bookid: context.book?.id ?? '', lender: context.lender }),
        onDone: 'Sleep two weeks',
      },
    },
    'Cancel Request': {
      invoke: {
        src: 'Cancel hold request for lender',
        input: ({ context }) => ({ bookid: context.book?.id ?? '', lender: context.lender }),
        onDone: 'End',
      },
    },
    'Sleep two weeks': { after: { P2W: 'Get Book Status' } },
    'Check Out Book': {
      initial: 'Checking out book',
      states: {
        'Checking out book': {
          invoke: {
            src: 'Check out book with id',
            input: ({ context }) => ({ bookid: context.book?.id ?? '' }),
            onDone: 'Notifying Lender',
          },
        },
        'Notifying Lender': {
          invoke: {
            src: 'Notify Lender for checkout',
            input: ({ context }) => ({ bookid: context.book?.id ?? '', lender: context.lender }),
            onDone: 'End',
          },
        },
        End: { type: 'final' },
      },
    },
    End: { type: 'final' },
  },
});

const request = {
  type: 'bookLendingRequest',
  book: { title: "The Hitchhiker's Guide to the Galaxy", id: '42' },
  lender: { name: 'John Doe', address: '1 Main St', phone: '555-0100' },
};

/** The library: the book is on loan for the first `loanedFor` look-ups, then available. */
function library(loanedFor: number): SimulatedServices {
  let lookups = 0;
  return new SimulatedServices({
    'Get status for book': () => ({ status: ++lookups <= loanedFor ? 'onloan' : 'available' }),
    'Send status to lender': () => undefined,
    'Request hold for lender': () => undefined,
    'Cancel hold request for lender': () => undefined,
    'Check out book with id': () => undefined,
    'Notify Lender for checkout': () => undefined,
  });
}

const TWO_WEEKS = 14 * 86_400_000;

export const bookLending: RunningExample = {
  status: 'runs',
  example: 'workflow-book-lending',
  uses: [
    'invoke (promise) x6',
    'always (guarded)',
    'after (PT2W)',
    'nested states with a final child',
    'assign',
    'final',
  ],
  adaptations: [
    'the lender of the request is kept in the context (the original leaves it null)',
    "the two weeks are spelled P2W: the original's PT2W is no ISO-8601 duration (weeks go before the T)",
  ],
  machine,
  services: () => library(0),
  scenarios: [
    {
      title: 'an available book is checked out and the lender notified',
      store: 'level',
      async drive({ send, reach, services }) {
        await send(request);
        const out = await reach({ 'Check Out Book': 'End' }, 'the checkout finished');
        // The original gives 'Check Out Book' no onDone: the process stays there, not done.
        expect(out).toMatchObject({ done: false, context: { book: { id: '42', status: 'available' } } });
        expect(services.sequence()).toEqual([
          'Get status for book',
          'Check out book with id',
          'Notify Lender for checkout',
        ]);
        expect(services.callsOf('Notify Lender for checkout')[0]?.input).toEqual({
          bookid: '42',
          lender: request.lender,
        });
      },
    },
    {
      title: 'a book on loan is held for the lender and checked out when it is back two weeks later',
      store: 'level',
      services: () => library(1),
      async drive({ run, send, reach, state, services }) {
        await send(request);
        await reach('Wait for Lender response', 'the lender was told the book is on loan');
        await send({ type: 'holdBook' });
        await reach('Sleep two weeks', 'the hold was requested');
        await run.advance(TWO_WEEKS - 60_000, TWO_WEEKS / 4);
        expect((await state()).value).toBe('Sleep two weeks');
        await run.advance(60_000, 60_000);
        await reach({ 'Check Out Book': 'End' }, 'the checkout after two weeks');
        expect(services.callsOf('Get status for book')).toHaveLength(2);
        expect(services.sequence().slice(1, 3)).toEqual(['Send status to lender', 'Request hold for lender']);
      },
    },
    {
      title: 'a lender who declines the hold has the request cancelled, and the process ends',
      store: 'memory',
      services: () => library(1),
      async drive({ send, reach, services }) {
        await send(request);
        await reach('Wait for Lender response', 'the lender was told the book is on loan');
        await send({ type: 'declineBookhold' });
        expect(await reach('End')).toMatchObject({ done: true });
        expect(services.sequence()).toEqual([
          'Get status for book',
          'Send status to lender',
          'Cancel hold request for lender',
        ]);
      },
    },
  ],
};

/**
 * xstate's workflow-car-auction-bids: bids are stored while the auction is open; a delay closes
 * it (a final state whose output is the highest bid).
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Bid {
  carid: string;
  amount: number;
  bidder: { id: string; firstName: string; lastName: string };
}

type AuctionCommand = { type: 'start' } | { type: 'CarBidEvent'; bid: Bid };

const BIDDING_MS = 3_000;

const machine = setup({
  types: { context: {} as { bids: Bid[] }, events: {} as WithAcceptedAt<AuctionCommand> },
  delays: { BiddingDelay: BIDDING_MS },
}).createMachine({
  id: 'handleCarAuctionBid',
  initial: 'Opening',
  context: { bids: [] },
  states: {
    // Added: a process begins with its first command, so opening the auction is one.
    Opening: { on: { start: 'StoreCarAuctionBid' } },
    StoreCarAuctionBid: {
      on: {
        CarBidEvent: { actions: assign({ bids: ({ context, event }) => [...context.bids, event.bid] }) },
      },
      after: { BiddingDelay: 'BiddingEnded' },
    },
    BiddingEnded: {
      type: 'final',
      output: ({ context }) => ({
        winningBid: context.bids.reduce((best, bid) => (bid.amount > best.amount ? bid : best)),
      }),
    },
  },
});

const bid = (amount: number, id: string): Bid => ({
  carid: 'car123',
  amount,
  bidder: { id, firstName: id, lastName: 'Bidder' },
});

export const carAuctionBids: RunningExample = {
  status: 'runs',
  example: 'workflow-car-auction-bids',
  uses: ['after (named delay)', 'assign', 'final state with output'],
  adaptations: ['a start command opens the auction (the bidding delay then runs from it)'],
  machine,
  services: () => new SimulatedServices({}),
  scenarios: [
    {
      title:
        'bids made within the bidding delay are kept, the delay ends the auction, later bids are refused',
      store: 'level',
      async drive({ run, send, state }) {
        await send({ type: 'start' });
        await run.advance(1_000);
        await send({ type: 'CarBidEvent', bid: bid(3_000, 'xyz') });
        await run.advance(1_000);
        await send({ type: 'CarBidEvent', bid: bid(4_000, 'abc') });
        await run.advance(BIDDING_MS - 2_000 - 1);
        expect((await state()).value).toBe('StoreCarAuctionBid');
        await run.advance(1);
        const ended = await state();
        expect(ended).toMatchObject({ value: 'BiddingEnded', done: true });
        expect((ended.context as { bids: Bid[] }).bids.map((b) => b.amount)).toEqual([3_000, 4_000]);
        await expect(send({ type: 'CarBidEvent', bid: bid(9_000, 'late') })).rejects.toMatchObject({
          reason: 'completed',
        });
      },
    },
  ],
};

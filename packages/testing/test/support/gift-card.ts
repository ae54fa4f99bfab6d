/**
 * A gift card Decider with an async decide, as Decider-pattern libraries allow: plain JSON events
 * and state, and refusals thrown as errors that carry a string `code` (named to the aggregate by
 * a predicate). A decide that throws anything else is a bug.
 */
import type { Decider } from '@actorfold/core';

export class GiftCardError extends Error {
  readonly code: 'not-issued' | 'already-issued' | 'insufficient-balance' | 'expired';
  constructor(code: GiftCardError['code'], message: string) {
    super(message);
    this.name = 'GiftCardError';
    this.code = code;
  }
}

export type GiftCardCommand =
  | { type: 'IssueGiftCard'; amount: number }
  | { type: 'RedeemGiftCard'; orderId: string; amount: number }
  | { type: 'ExpireGiftCard' }
  | { type: 'Scratch' };

export type GiftCardEvent =
  | { type: 'GiftCardIssued'; amount: number }
  | { type: 'GiftCardRedeemed'; orderId: string; amount: number }
  | { type: 'GiftCardExpired'; balanceLost: number };

export interface GiftCard {
  status: 'none' | 'active' | 'expired';
  balance: number;
  redeemedOrders: string[];
}

export const giftCardDecider: Decider<GiftCard, GiftCardCommand, GiftCardEvent> = {
  initialState: () => ({ status: 'none', balance: 0, redeemedOrders: [] }),

  async decide(command, state) {
    // Awaiting something first, as a decide that loads a price list or checks a rule would.
    await Promise.resolve();
    switch (command.type) {
      case 'IssueGiftCard':
        if (state.status !== 'none') throw new GiftCardError('already-issued', 'the card was issued before');
        return { type: 'GiftCardIssued', amount: command.amount };
      case 'RedeemGiftCard':
        if (state.status === 'none') throw new GiftCardError('not-issued', 'no such card');
        if (state.status === 'expired') throw new GiftCardError('expired', 'the card has expired');
        // Redeeming for the same order twice changes nothing (the domain's own idempotency).
        if (state.redeemedOrders.includes(command.orderId)) return [];
        if (command.amount > state.balance) {
          throw new GiftCardError('insufficient-balance', `balance ${state.balance} < ${command.amount}`);
        }
        return [{ type: 'GiftCardRedeemed', orderId: command.orderId, amount: command.amount }];
      case 'ExpireGiftCard':
        if (state.status !== 'active') return [];
        return { type: 'GiftCardExpired', balanceLost: state.balance };
      case 'Scratch':
        // A bug, not a business rule: an async decide that rejects with a plain error.
        throw new TypeError('scratching is not implemented');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'GiftCardIssued':
        return { status: 'active', balance: event.amount, redeemedOrders: [] };
      case 'GiftCardRedeemed':
        return {
          ...state,
          balance: state.balance - event.amount,
          redeemedOrders: [...state.redeemedOrders, event.orderId],
        };
      case 'GiftCardExpired':
        return { ...state, status: 'expired', balance: 0 };
    }
  },
};

/** The aggregate's predicate for its domain errors. */
export const isGiftCardError = (error: unknown): boolean => error instanceof GiftCardError;

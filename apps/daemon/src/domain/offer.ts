/**
 * A tariff offer to a customer, valid for a period: the plain-decider example of a durable
 * timer. Making the offer schedules its expiry with the `OfferMade` event; accepting or
 * withdrawing it cancels the expiry with their event; when the expiry comes due the runtime
 * delivers `expire`, which records `OfferExpired`. Illustrative: the validity rules are made up.
 */
import { addIsoDuration, defineAggregate, parseIsoDuration, reject } from '@actorfold/core';
import * as v from 'valibot';
import { namedIssues } from './named-issues.js';

export type OfferCommand =
  | { type: 'makeOffer'; customer: string; pricePerKwh: number; validFor: string }
  | { type: 'accept' }
  | { type: 'withdraw' }
  /** Delivered by the offer's `expiry` timer only. */
  | { type: 'expire' };

export type OfferEvent =
  | { type: 'OfferMade'; customer: string; pricePerKwh: number; validUntil: string }
  | { type: 'OfferAccepted' }
  | { type: 'OfferWithdrawn' }
  | { type: 'OfferExpired' };

export interface OfferState {
  status: 'new' | 'open' | 'accepted' | 'withdrawn' | 'expired';
  customer: string;
  /** Minor units (tenths of a cent) per kWh. */
  pricePerKwh: number;
  /** ISO-8601 UTC; empty before the offer is made. */
  validUntil: string;
}

/** The name of the offer's one timer. */
export const EXPIRY = 'expiry';

/** The longest validity an offer may have (illustrative). */
const MAX_VALIDITY_MS = 90 * 86_400_000;

const isDuration = (text: string) => {
  try {
    parseIsoDuration(text);
    return true;
  } catch {
    return false;
  }
};

/** What the offer takes: `expire` too, which decide accepts only from its timer. */
export const offerCommandSchema = namedIssues<OfferCommand>(
  v.variant(
    'type',
    [
      v.strictObject({
        type: v.literal('makeOffer'),
        customer: v.pipe(v.string('expected a string'), v.trim(), v.nonEmpty('must not be empty')),
        pricePerKwh: v.pipe(v.number('expected a number'), v.safeInteger('expected a whole number')),
        validFor: v.pipe(
          v.string('expected a string'),
          v.check(isDuration, "expected an ISO-8601 duration such as 'P14D'"),
        ),
      }),
      v.strictObject({ type: v.literal('accept') }),
      v.strictObject({ type: v.literal('withdraw') }),
      v.strictObject({ type: v.literal('expire') }),
    ],
    (issue) => `expected one of "makeOffer", "accept", "withdraw", "expire", got ${issue.received}`,
  ),
);

/** A tariff offer that expires by itself. */
export const offer = defineAggregate<OfferState, OfferCommand, OfferEvent>({
  type: 'offer',
  initialState: () => ({ status: 'new', customer: '', pricePerKwh: 0, validUntil: '' }),
  validateCommand: offerCommandSchema,
  decide(state, cmd, ctx) {
    switch (cmd.type) {
      case 'makeOffer': {
        if (state.status !== 'new') reject('already-made', `the offer is ${state.status}`);
        if (!(cmd.pricePerKwh > 0)) reject('invalid-price', 'the price must be positive');
        const now = ctx.now.getTime();
        const until = addIsoDuration(now, parseIsoDuration(cmd.validFor));
        if (until <= now || until - now > MAX_VALIDITY_MS)
          reject('invalid-validity', 'an offer is valid for more than 0 s and at most 90 days');
        // The due time is the one the event records: both come from ctx.now, never the wall clock.
        ctx.timers.schedule(EXPIRY, { at: until }, { type: 'expire' });
        const validUntil = new Date(until).toISOString();
        return [{ type: 'OfferMade', customer: cmd.customer, pricePerKwh: cmd.pricePerKwh, validUntil }];
      }
      case 'accept':
      case 'withdraw':
        if (state.status !== 'open') reject('not-open', `the offer is ${state.status}`);
        ctx.timers.cancel(EXPIRY);
        return [{ type: cmd.type === 'accept' ? 'OfferAccepted' : 'OfferWithdrawn' }];
      case 'expire':
        // Only the timer may expire an offer; a client's `expire` would end it early.
        if (ctx.firedTimer?.name !== EXPIRY)
          reject('timer-only', 'an offer expires by its timer, when its validity has passed');
        return state.status === 'open' ? [{ type: 'OfferExpired' }] : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'OfferMade':
        return {
          status: 'open',
          customer: event.customer,
          pricePerKwh: event.pricePerKwh,
          validUntil: event.validUntil,
        };
      case 'OfferAccepted':
        return { ...state, status: 'accepted' };
      case 'OfferWithdrawn':
        return { ...state, status: 'withdrawn' };
      case 'OfferExpired':
        return { ...state, status: 'expired' };
    }
  },
});

/**
 * The Decider samples as aggregates. Their options go through variables: `codec` and
 * `domainErrors` are fields of the aggregate spec, passed on by `fromDecider` as they are.
 */
import { fromDecider, richCodec } from '@actorfold/core';
import { giftCardDecider, isGiftCardError } from './gift-card.js';
import { IllegalStateError, shoppingCartDecider, ValidationError } from './shopping-cart.js';

const cartOptions = {
  type: 'shopping-cart',
  // Its events carry Dates and its state a Map: the rich codec keeps both.
  codec: richCodec,
  domainErrors: [IllegalStateError, ValidationError],
  snapshots: { every: 2, schemaVersion: 1 },
};

/** The Emmett-style shopping cart on the rich codec, its thrown errors named as refusals. */
export const shoppingCart = fromDecider(shoppingCartDecider, cartOptions);

const { codec: _rich, ...jsonCartOptions } = cartOptions;

/** The same cart left on the default (json) codec: its Dates cannot be stored as they are. */
export const jsonShoppingCart = fromDecider(shoppingCartDecider, {
  ...jsonCartOptions,
  type: 'json-shopping-cart',
});

const giftCardOptions = { type: 'gift-card', domainErrors: isGiftCardError };

/** The async gift card, on the default json codec, refusals named by a predicate. */
export const giftCard = fromDecider(giftCardDecider, giftCardOptions);

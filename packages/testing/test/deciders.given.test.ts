/**
 * Decider samples written the way Emmett writes its own (see test/support), adapted by
 * `fromDecider`, with their spec cases on given/when/then: thrown domain errors are refusals,
 * an async decide is awaited, and Maps and Dates in state and events compare by content.
 */
import { describe, it } from 'vitest';
import { given } from '../src/index.js';
import { giftCard, shoppingCart } from './support/deciders.js';
import type { PricedProductItem, ShoppingCartEvent } from './support/shopping-cart.js';

const shoppingCartId = 'cart-1';
const now = new Date('2025-03-01T10:00:00.000Z');
const oldTime = new Date('2025-02-01T10:00:00.000Z');
const shoes: PricedProductItem = { productId: 'shoes', quantity: 2, unitPrice: 100 };
const added: ShoppingCartEvent = {
  type: 'ProductItemAddedToShoppingCart',
  data: { shoppingCartId, productItem: shoes, addedAt: oldTime },
};
const confirmed: ShoppingCartEvent = {
  type: 'ShoppingCartConfirmed',
  data: { shoppingCartId, confirmedAt: oldTime },
};

describe('shopping cart (Emmett-style Decider)', () => {
  describe('when empty', () => {
    it('adds a product item', async () => {
      await given(shoppingCart)
        .when({
          type: 'AddProductItemToShoppingCart',
          data: { shoppingCartId, productItem: shoes },
          metadata: { now },
        })
        .then([
          {
            type: 'ProductItemAddedToShoppingCart',
            data: { shoppingCartId, productItem: shoes, addedAt: now },
          },
        ]);
    });

    it('refuses a quantity that is not positive (ValidationError)', async () => {
      await given(shoppingCart)
        .when({
          type: 'AddProductItemToShoppingCart',
          data: { shoppingCartId, productItem: { ...shoes, quantity: 0 } },
        })
        .thenRejects('ValidationError');
    });

    it('cannot be confirmed (IllegalStateError)', async () => {
      await given(shoppingCart)
        .when({ type: 'ConfirmShoppingCart', data: { shoppingCartId }, metadata: { now } })
        .thenRejects('IllegalStateError');
    });
  });

  describe('when opened', () => {
    it('keeps the quantities in a Map and the opening time as a Date', async () => {
      await given(shoppingCart, [added])
        .when({
          type: 'AddProductItemToShoppingCart',
          data: { shoppingCartId, productItem: shoes },
          metadata: { now },
        })
        .thenState({ status: 'Opened', productItems: new Map([['shoes', 4]]), openedAt: oldTime });
    });

    it('confirms', async () => {
      await given(shoppingCart, [added])
        .when({ type: 'ConfirmShoppingCart', data: { shoppingCartId }, metadata: { now } })
        .then([{ type: 'ShoppingCartConfirmed', data: { shoppingCartId, confirmedAt: now } }]);
    });

    it('refuses to remove more than the cart holds', async () => {
      await given(shoppingCart, [added])
        .when({
          type: 'RemoveProductItemFromShoppingCart',
          data: { shoppingCartId, productItem: { ...shoes, quantity: 3 } },
          metadata: { now },
        })
        .thenRejects('IllegalStateError');
    });

    it('removes a product item down to nothing', async () => {
      await given(shoppingCart, [added])
        .when({
          type: 'RemoveProductItemFromShoppingCart',
          data: { shoppingCartId, productItem: shoes },
          metadata: { now },
        })
        .thenState((cart) => cart.status === 'Opened' && cart.productItems.size === 0);
    });
  });

  describe('when confirmed', () => {
    it('does not add products', async () => {
      await given(shoppingCart, [added, confirmed])
        .when({
          type: 'AddProductItemToShoppingCart',
          data: { shoppingCartId, productItem: shoes },
          metadata: { now },
        })
        .thenRejects('IllegalStateError');
    });

    it('cannot be cancelled', async () => {
      await given(shoppingCart, [added, confirmed])
        .when({ type: 'CancelShoppingCart', data: { shoppingCartId }, metadata: { now } })
        .thenRejects('IllegalStateError');
    });
  });
});

describe('gift card (async Decider, refusals named by a predicate)', () => {
  it('is issued once', async () => {
    await given(giftCard)
      .when({ type: 'IssueGiftCard', amount: 50 })
      .then([{ type: 'GiftCardIssued', amount: 50 }]);
    await given(giftCard, [{ type: 'GiftCardIssued', amount: 50 }])
      .when({ type: 'IssueGiftCard', amount: 50 })
      .thenRejects('already-issued');
  });

  it('redeems within its balance, and refuses beyond it with the error’s code', async () => {
    const issued = given(giftCard, [{ type: 'GiftCardIssued', amount: 50 }]);
    await issued
      .when({ type: 'RedeemGiftCard', orderId: 'o-1', amount: 20 })
      .thenState({ status: 'active', balance: 30, redeemedOrders: ['o-1'] });
    await issued
      .when({ type: 'RedeemGiftCard', orderId: 'o-1', amount: 51 })
      .thenRejects('insufficient-balance');
  });

  it('redeems for the same order only once', async () => {
    await given(giftCard, [
      { type: 'GiftCardIssued', amount: 50 },
      { type: 'GiftCardRedeemed', orderId: 'o-1', amount: 20 },
    ])
      .when({ type: 'RedeemGiftCard', orderId: 'o-1', amount: 20 })
      .thenNothingHappens();
  });

  it('refuses an expired card, and expiring twice changes nothing', async () => {
    const expired = given(giftCard, [
      { type: 'GiftCardIssued', amount: 50 },
      { type: 'GiftCardExpired', balanceLost: 50 },
    ]);
    await expired.when({ type: 'RedeemGiftCard', orderId: 'o-2', amount: 1 }).thenRejects('expired');
    await expired.when({ type: 'ExpireGiftCard' }).thenNothingHappens();
  });

  it('reports an async decide that rejects with a plain error as a bug, not a refusal', async () => {
    await given(giftCard)
      .when({ type: 'Scratch' })
      .thenFails(/scratching is not implemented/);
  });
});

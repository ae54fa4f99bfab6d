/**
 * A shopping cart written the way Emmett's samples write their Deciders: commands and events as
 * `{ type, data, metadata? }`, a state that is a union by `status` keeping its items in a Map,
 * Dates in the events, and business rules that throw error classes instead of returning refusals.
 * Nothing here knows actorfold; `fromDecider` adapts it.
 */
import type { Decider } from '@actorfold/core';

export class IllegalStateError extends Error {
  readonly errorCode = 403;
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
  }
}

export class ValidationError extends Error {
  readonly errorCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

export interface PricedProductItem {
  productId: string;
  quantity: number;
  unitPrice: number;
}

export type ShoppingCartEvent =
  | {
      type: 'ProductItemAddedToShoppingCart';
      data: { shoppingCartId: string; productItem: PricedProductItem; addedAt: Date };
    }
  | {
      type: 'ProductItemRemovedFromShoppingCart';
      data: { shoppingCartId: string; productItem: PricedProductItem; removedAt: Date };
    }
  | { type: 'ShoppingCartConfirmed'; data: { shoppingCartId: string; confirmedAt: Date } }
  | { type: 'ShoppingCartCancelled'; data: { shoppingCartId: string; canceledAt: Date } };

type WithNow = { metadata?: { now?: Date } };

export type ShoppingCartCommand =
  | ({
      type: 'AddProductItemToShoppingCart';
      data: { shoppingCartId: string; productItem: PricedProductItem };
    } & WithNow)
  | ({
      type: 'RemoveProductItemFromShoppingCart';
      data: { shoppingCartId: string; productItem: PricedProductItem };
    } & WithNow)
  | ({ type: 'ConfirmShoppingCart'; data: { shoppingCartId: string } } & WithNow)
  | ({ type: 'CancelShoppingCart'; data: { shoppingCartId: string } } & WithNow);

export type ShoppingCart =
  | { status: 'Empty' }
  | { status: 'Opened'; productItems: Map<string, number>; openedAt: Date }
  | { status: 'Closed'; closedAt: Date };

export const initialState = (): ShoppingCart => ({ status: 'Empty' });

export function evolve(state: ShoppingCart, event: ShoppingCartEvent): ShoppingCart {
  switch (event.type) {
    case 'ProductItemAddedToShoppingCart':
    case 'ProductItemRemovedFromShoppingCart': {
      if (state.status === 'Closed') return state;
      const { productId, quantity } = event.data.productItem;
      const items = state.status === 'Opened' ? new Map(state.productItems) : new Map<string, number>();
      const change = event.type === 'ProductItemAddedToShoppingCart' ? quantity : -quantity;
      const left = (items.get(productId) ?? 0) + change;
      if (left > 0) items.set(productId, left);
      else items.delete(productId);
      // getTime() on the event's Date: replay must give evolve a Date, not a string.
      const at = 'addedAt' in event.data ? event.data.addedAt : event.data.removedAt;
      const openedAt = state.status === 'Opened' ? state.openedAt : new Date(at.getTime());
      return { status: 'Opened', productItems: items, openedAt };
    }
    case 'ShoppingCartConfirmed':
      return { status: 'Closed', closedAt: event.data.confirmedAt };
    case 'ShoppingCartCancelled':
      return { status: 'Closed', closedAt: event.data.canceledAt };
  }
}

/** The total quantity in an opened cart; reads the Map, as Emmett's sample does. */
function totalQuantity(items: Map<string, number>): number {
  let total = 0;
  for (const quantity of items.values()) total += quantity;
  return total;
}

export function decide(command: ShoppingCartCommand, state: ShoppingCart): ShoppingCartEvent {
  const now = command.metadata?.now ?? new Date();
  switch (command.type) {
    case 'AddProductItemToShoppingCart': {
      if (state.status === 'Closed') throw new IllegalStateError('Shopping Cart already closed');
      const { productItem } = command.data;
      if (!(productItem.quantity > 0)) throw new ValidationError('quantity must be positive');
      return { type: 'ProductItemAddedToShoppingCart', data: { ...command.data, addedAt: now } };
    }
    case 'RemoveProductItemFromShoppingCart': {
      if (state.status !== 'Opened') throw new IllegalStateError('Shopping Cart is not opened');
      const { productItem } = command.data;
      if ((state.productItems.get(productItem.productId) ?? 0) < productItem.quantity) {
        throw new IllegalStateError('Not enough products');
      }
      return { type: 'ProductItemRemovedFromShoppingCart', data: { ...command.data, removedAt: now } };
    }
    case 'ConfirmShoppingCart':
      if (state.status !== 'Opened') throw new IllegalStateError('Shopping Cart is not opened');
      if (totalQuantity(state.productItems) <= 0) throw new IllegalStateError('Shopping Cart is empty');
      return { type: 'ShoppingCartConfirmed', data: { ...command.data, confirmedAt: now } };
    case 'CancelShoppingCart':
      if (state.status !== 'Opened') throw new IllegalStateError('Shopping Cart is not opened');
      return { type: 'ShoppingCartCancelled', data: { ...command.data, canceledAt: now } };
  }
}

export const shoppingCartDecider: Decider<ShoppingCart, ShoppingCartCommand, ShoppingCartEvent> = {
  decide,
  evolve,
  initialState,
};

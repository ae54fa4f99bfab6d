/** Two workflow versions of a parcel process: the second adds a packing step before shipping. */
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../src/index.js';

export type ParcelCommand =
  | { type: 'register'; to: string }
  | { type: 'pack'; weightKg: number }
  | { type: 'ship' }
  | { type: 'deliver' };

export interface ParcelContext {
  to: string;
  weightKg: number;
}

const parcelSetup = setup({
  types: { context: {} as ParcelContext, events: {} as WithAcceptedAt<ParcelCommand> },
  actions: {
    registered: assign({ to: ({ event }) => (event.type === 'register' ? event.to : '') }),
  },
});

/** FV2025-04-01: registered → shipped → delivered. */
export const parcelV1 = parcelSetup.createMachine({
  id: 'parcel',
  context: { to: '', weightKg: 0 },
  initial: 'new',
  states: {
    new: { on: { register: { target: 'registered', actions: 'registered' } } },
    registered: { on: { ship: 'shipped' } },
    shipped: { on: { deliver: 'delivered' } },
    delivered: { type: 'final' },
  },
});

/** FV2025-10-01: registered → packed → shipped → delivered. */
export const parcelV2 = parcelSetup.createMachine({
  id: 'parcel',
  context: { to: '', weightKg: 0 },
  initial: 'new',
  states: {
    new: { on: { register: { target: 'registered', actions: 'registered' } } },
    registered: {
      on: {
        pack: {
          target: 'packed',
          actions: assign({ weightKg: ({ event }) => (event.type === 'pack' ? event.weightKg : 0) }),
        },
      },
    },
    packed: { on: { ship: 'shipped' } },
    shipped: { on: { deliver: 'delivered' } },
    delivered: { type: 'final' },
  },
});

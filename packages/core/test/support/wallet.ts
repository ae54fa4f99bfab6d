/**
 * A wallet written by a first definition (event schema 1) and read by a later one (schema 3)
 * through a chain of upcasters:
 * - 1 → 2: Deposited gains `currency: 'EUR'`; Noted is dropped; Refunded splits into a
 *   Withdrawn and a Deposited (which then goes on through 2 → 3).
 * - 2 → 3: Deposited is renamed Credited, its amount in cents.
 */
import { type DomainEvent, defineAggregate, type Upcaster, upcaster } from '../../src/index.js';

export type WalletV1Event =
  | { type: 'Deposited'; amount: number }
  | { type: 'Noted'; text: string }
  | { type: 'Refunded'; amount: number };
type WalletV1Command =
  | { type: 'deposit'; amount: number }
  | { type: 'note'; text: string }
  | { type: 'refund'; amount: number };

export const walletV1 = defineAggregate<{ amount: number }, WalletV1Command, WalletV1Event>({
  type: 'wallet',
  initialState: () => ({ amount: 0 }),
  decide: (_s, c) => {
    switch (c.type) {
      case 'deposit':
        return [{ type: 'Deposited', amount: c.amount }];
      case 'note':
        return [{ type: 'Noted', text: c.text }];
      case 'refund':
        return [{ type: 'Refunded', amount: c.amount }];
    }
  },
  evolve: (s, e) => (e.type === 'Deposited' ? { amount: s.amount + e.amount } : s),
  snapshots: { every: 0, schemaVersion: 1 },
});

export type WalletEvent =
  | { type: 'Credited'; cents: number; currency: string }
  | { type: 'Withdrawn'; cents: number };
type WalletCommand = { type: 'credit'; cents: number } | { type: 'withdraw'; cents: number };
export interface WalletState {
  cents: number;
  /** Every event evolve saw, by type: counts how often each was folded. */
  seen: string[];
}

type DepositedV1 = { type: 'Deposited'; amount: number };
type DepositedV2 = { type: 'Deposited'; amount: number; currency: string };

/** The three-step chain; `spy` (if any) is told of every upcaster call. */
export function walletUpcasters(spy?: (step: string, stored: { version: number }) => void): Upcaster[] {
  return [
    upcaster<DepositedV1, DepositedV2>('Deposited', 1, (e, stored) => {
      spy?.('Deposited@1', stored);
      return { ...e, currency: 'EUR' };
    }),
    upcaster('Noted', 1, (_e, stored) => {
      spy?.('Noted@1', stored);
      return [];
    }),
    upcaster<{ type: 'Refunded'; amount: number }, DomainEvent>('Refunded', 1, (e, stored) => {
      spy?.('Refunded@1', stored);
      return [
        { type: 'Withdrawn', cents: e.amount * 100 },
        { type: 'Deposited', amount: e.amount, currency: 'EUR' },
      ];
    }),
    upcaster<DepositedV2, WalletEvent>('Deposited', 2, (e, stored) => {
      spy?.('Deposited@2', stored);
      return { type: 'Credited', cents: e.amount * 100, currency: e.currency };
    }),
  ];
}

/** The later definition; `extra` overrides fields (upcasters, snapshots). */
type WalletSpec = Parameters<typeof defineAggregate<WalletState, WalletCommand, WalletEvent>>[0];

/** The later definition; `extra` overrides fields (upcasters, snapshots; `undefined` removes one). */
export function walletV3(extra: { [K in keyof WalletSpec]?: WalletSpec[K] | undefined } = {}) {
  return defineAggregate<WalletState, WalletCommand, WalletEvent>({
    type: 'wallet',
    eventSchemaVersion: 3,
    upcasters: walletUpcasters(),
    initialState: () => ({ cents: 0, seen: [] }),
    decide: (_s, c) =>
      c.type === 'credit'
        ? [{ type: 'Credited', cents: c.cents, currency: 'EUR' }]
        : [{ type: 'Withdrawn', cents: c.cents }],
    evolve: (s, e) => ({
      cents: e.type === 'Credited' ? s.cents + e.cents : s.cents - e.cents,
      seen: [...s.seen, e.type],
    }),
    // The state's shape changed from the first definition's: older snapshots must not be used.
    snapshots: { every: 0, schemaVersion: 2 },
    ...(extra as Partial<WalletSpec>),
  });
}

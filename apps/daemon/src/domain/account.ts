// #region account (shown in docs/getting-started.md)
import { defineAggregate, reject } from '@actorfold/core';

export type AccountCommand =
  | { type: 'open'; owner: string }
  | { type: 'deposit'; amount: number }
  | { type: 'withdraw'; amount: number }
  | { type: 'close' };

export type AccountEvent =
  | { type: 'Opened'; owner: string }
  | { type: 'Deposited'; amount: number }
  | { type: 'Withdrawn'; amount: number }
  | { type: 'Closed' };

export interface AccountState {
  status: 'new' | 'open' | 'closed';
  owner: string;
  balance: number;
}

/** A bank account: the plain-decider example aggregate. */
export const account = defineAggregate<AccountState, AccountCommand, AccountEvent>({
  type: 'account',
  initialState: () => ({ status: 'new', owner: '', balance: 0 }),
  decide(state, cmd) {
    if (cmd.type === 'open') return state.status === 'new' ? [{ type: 'Opened', owner: cmd.owner }] : [];
    if (state.status !== 'open') reject('not-open', `account is ${state.status}`);
    switch (cmd.type) {
      case 'deposit':
        if (!(cmd.amount > 0)) reject('invalid-amount', 'amount must be positive');
        return [{ type: 'Deposited', amount: cmd.amount }];
      case 'withdraw':
        if (!(cmd.amount > 0)) reject('invalid-amount', 'amount must be positive');
        if (cmd.amount > state.balance)
          reject('insufficient-funds', `balance ${state.balance}`, { balance: state.balance });
        return [{ type: 'Withdrawn', amount: cmd.amount }];
      case 'close':
        if (state.balance !== 0) reject('balance-not-zero', `balance ${state.balance}`);
        return [{ type: 'Closed' }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, status: 'open', owner: event.owner };
      case 'Deposited':
        return { ...state, balance: state.balance + event.amount };
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.amount };
      case 'Closed':
        return { ...state, status: 'closed' };
    }
  },
  snapshots: { every: 50, schemaVersion: 1 },
});
// #endregion account

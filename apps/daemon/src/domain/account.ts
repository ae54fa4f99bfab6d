import { defineAggregate, reject } from '@actorfold/core';
import * as v from 'valibot';
import { namedIssues } from './named-issues.js';

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

/**
 * An amount in minor units (cents): a whole number. JSON numbers that are not (`"5"`, `1.5`,
 * `1e309`, which parses as Infinity) are refused before decide runs; whether the amount is
 * positive is the account's own rule (a rejection, `invalid-amount`).
 */
const amount = v.pipe(
  v.number('expected a number'),
  v.safeInteger('expected a whole number of cents, at most 2^53 - 1 in size'),
);

/** What the account takes: exactly these shapes, no other fields, no other types. */
export const accountCommandSchema = namedIssues<AccountCommand>(
  v.variant(
    'type',
    [
      v.strictObject({
        type: v.literal('open'),
        owner: v.pipe(v.string('expected a string'), v.trim(), v.nonEmpty('must not be empty')),
      }),
      v.strictObject({ type: v.literal('deposit'), amount }),
      v.strictObject({ type: v.literal('withdraw'), amount }),
      v.strictObject({ type: v.literal('close') }),
    ],
    (issue) => `expected one of "open", "deposit", "withdraw", "close", got ${issue.received}`,
  ),
);

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
        if (state.balance + cmd.amount > Number.MAX_SAFE_INTEGER)
          reject('balance-limit', `the balance would exceed ${Number.MAX_SAFE_INTEGER}`, {
            balance: state.balance,
          });
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
  validateCommand: accountCommandSchema,
  snapshots: { every: 50, schemaVersion: 1 },
});

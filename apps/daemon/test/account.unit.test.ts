import { given } from '@actorfold/testing';
import { describe, it } from 'vitest';
import { type AccountCommand, type AccountEvent, account } from '../src/domain/account.js';

const opened: AccountEvent = { type: 'Opened', owner: 'ada' };
const closed: AccountEvent = { type: 'Closed' };
const deposited = (amount: number): AccountEvent => ({ type: 'Deposited', amount });
const withdrawn = (amount: number): AccountEvent => ({ type: 'Withdrawn', amount });

/** Every command that needs an open account. */
const moneyCommands: AccountCommand[] = [
  { type: 'deposit', amount: 5 },
  { type: 'withdraw', amount: 5 },
  { type: 'close' },
];

describe('account', () => {
  describe('a new account', () => {
    it('opens for its owner', async () => {
      await given(account)
        .when({ type: 'open', owner: 'ada' })
        .then([{ type: 'Opened', owner: 'ada' }]);
    });

    it('is open, empty and owned after opening', async () => {
      await given(account)
        .when({ type: 'open', owner: 'ada' })
        .thenState({ status: 'open', owner: 'ada', balance: 0 });
    });

    it.each(moneyCommands)('rejects $type as not-open', async (command) => {
      await given(account).when(command).thenRejects('not-open');
    });
  });

  describe('an open account', () => {
    const open = given(account, [opened, deposited(10)]);

    it('ignores open: opening is idempotent, even for another owner', async () => {
      await open.when({ type: 'open', owner: 'ada' }).thenNothingHappens();
      await open.when({ type: 'open', owner: 'bob' }).thenState((s) => s.owner === 'ada');
    });

    it('takes a deposit and adds it to the balance', async () => {
      await open.when({ type: 'deposit', amount: 5 }).then([deposited(5)]);
      await open.when({ type: 'deposit', amount: 5 }).thenState((s) => s.balance === 15);
    });

    it.each([0, -5])('rejects a deposit of %s as invalid-amount', async (amount) => {
      await open.when({ type: 'deposit', amount }).thenRejects('invalid-amount');
    });

    it.each([
      ['NaN', Number.NaN, 'amount: expected a number'],
      ['Infinity (what JSON 1e309 parses to)', Number.POSITIVE_INFINITY, 'amount: expected a whole number'],
      ['a fraction', 1.5, 'amount: expected a whole number'],
      ['the string "5"', '5', 'amount: expected a number'],
    ])('refuses a deposit of %s as an invalid command naming the amount', async (_what, amount, message) => {
      await open.when({ type: 'deposit', amount: amount as number }).thenInvalid(message);
    });

    it('rejects a deposit that would take the balance past 2^53 - 1 as balance-limit', async () => {
      await open
        .when({ type: 'deposit', amount: Number.MAX_SAFE_INTEGER })
        .thenRejects('balance-limit', { balance: 10 });
    });

    it('pays out a withdrawal up to the balance', async () => {
      await open.when({ type: 'withdraw', amount: 4 }).then([withdrawn(4)]);
      await open.when({ type: 'withdraw', amount: 10 }).thenState((s) => s.balance === 0);
    });

    it.each([0, -5])('rejects a withdrawal of %s as invalid-amount', async (amount) => {
      await open.when({ type: 'withdraw', amount }).thenRejects('invalid-amount');
    });

    it('refuses commands of unknown types, with extra fields, or missing fields, naming the field', async () => {
      await open
        .when({ type: 'fly' } as never)
        .thenInvalid(/^account: invalid command: type: expected one of "open"/);
      await open.when({ type: 'close', color: 'red' } as never).thenInvalid('color: ');
      await open.when({ type: 'withdraw' } as never).thenInvalid('amount: ');
      await given(account).when({ type: 'open', owner: ' ' }).thenInvalid('owner: must not be empty');
    });

    it('rejects a withdrawal above the balance as insufficient-funds, with the balance in the details', async () => {
      await open.when({ type: 'withdraw', amount: 11 }).thenRejects('insufficient-funds', { balance: 10 });
    });

    it('counts earlier withdrawals against the balance', async () => {
      await open
        .given([withdrawn(7)])
        .when({ type: 'withdraw', amount: 4 })
        .thenRejects('insufficient-funds', { balance: 3 });
    });

    it('closes when the balance is zero', async () => {
      await open
        .given([withdrawn(10)])
        .when({ type: 'close' })
        .then([{ type: 'Closed' }]);
      await given(account, [opened])
        .when({ type: 'close' })
        .thenState({ status: 'closed', owner: 'ada', balance: 0 });
    });

    it('refuses to close with money in it as balance-not-zero', async () => {
      await open.when({ type: 'close' }).thenRejects('balance-not-zero');
    });
  });

  describe('a closed account', () => {
    const gone = given(account, [opened, deposited(3), withdrawn(3), closed]);

    it('ignores open: a closed account is not reopened', async () => {
      await gone.when({ type: 'open', owner: 'ada' }).thenNothingHappens();
      await gone.when({ type: 'open', owner: 'ada' }).thenState((s) => s.status === 'closed');
    });

    it.each(moneyCommands)('rejects $type as not-open', async (command) => {
      await gone.when(command).thenRejects('not-open');
    });
  });
});

/** README.md, "A taste": the smallest complete program. Run: node --import tsx src/taste.ts */
// #region taste
import { createRuntime, defineAggregate, reject } from '@actorfold/core';
import { levelStore } from '@actorfold/level';

type State = { open: boolean; balance: number };
type Cmd = { type: 'open' } | { type: 'deposit'; amount: number } | { type: 'withdraw'; amount: number };
type Evt = { type: 'Opened' } | { type: 'Deposited'; amount: number } | { type: 'Withdrawn'; amount: number };

const account = defineAggregate<State, Cmd, Evt>({
  type: 'account',
  initialState: () => ({ open: false, balance: 0 }),
  decide(state, cmd) {
    if (cmd.type === 'open') return state.open ? [] : [{ type: 'Opened' }];
    if (!state.open) reject('not-open');
    if (cmd.type === 'withdraw' && cmd.amount > state.balance) reject('insufficient-funds');
    return [
      cmd.type === 'deposit'
        ? { type: 'Deposited', amount: cmd.amount }
        : { type: 'Withdrawn', amount: cmd.amount },
    ];
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, open: true };
      case 'Deposited':
        return { ...state, balance: state.balance + event.amount };
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.amount };
    }
  },
});

const runtime = await createRuntime({ store: levelStore({ path: './data' }), aggregates: [account] });
const h = runtime.get(account, 'acc-1');
await h.execute({ type: 'open' }, { commandId: 'open-1' });
const { version, state } = await h.execute({ type: 'deposit', amount: 5 }, { commandId: 'c-1' });
console.log(version, state.balance); // 2 5
await runtime.shutdown();
// #endregion taste

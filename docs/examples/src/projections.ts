/**
 * docs/projections.md: the global log read with subscribe, and a projection over it. Runs as one
 * program (test/examples.test.ts) on the in-memory store.
 */
import { createRuntime } from '@actorfold/core';
import { account } from '@actorfold/example-daemon/domain';

const runtime = await createRuntime({ aggregates: [account] });
const alice = runtime.get(account, 'alice');
await alice.execute({ type: 'open', owner: 'alice' });
const { events } = await alice.execute({ type: 'deposit', amount: 5 });
const last = events.at(-1)?.position ?? 0;

// #region subscribe
for await (const e of runtime.subscribe({ fromPosition: 1, filter: { aggregateTypes: ['account'] } })) {
  console.log(e.position, e.streamId, e.type);
  if (e.position === last) break; // a subscription follows the log live: stop where you want
}
// #endregion subscribe

const position = last;

// #region projection
import { defineProjection } from '@actorfold/core';

const balances = defineProjection({
  name: 'balances', // names the checkpoint in the store
  init: () => ({ total: 0, byAccount: {} as Record<string, number> }),
  handlers: {
    Deposited(state, e) {
      const { amount } = e.data as { type: 'Deposited'; amount: number };
      state.total += amount;
      state.byAccount[e.aggregateId] = (state.byAccount[e.aggregateId] ?? 0) + amount;
    },
  },
  aggregateTypes: ['account'], // optional filter
  mode: 'exactly-once', // the default
  commitEvery: 100, // the default
});

const p = runtime.project(balances);
await p.waitFor(position); // read your writes: resolves once events up to `position` are in
p.state(); // the read model (treat it as read-only)
p.status(); // { name, state, position, checkpoint, lag, error?, attempt? }
// #endregion projection
console.log(JSON.stringify(p.state()), p.status().position === position);
await runtime.shutdown();

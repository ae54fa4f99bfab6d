/**
 * docs/upcasting.md: a stream written by a first definition of `wallet` (event schema 1), read
 * after a "deploy" by a second one (schema 2) through its upcasters, on a LevelDB folder
 * (`./data`). Runs as one program (test/examples.test.ts).
 */
import { createRuntime, defineAggregate, defineProjection, upcast } from '@actorfold/core';
import { levelStore } from '@actorfold/level';

// #region v1
// The first version: an amount in euros, and free-text notes.
type DepositedV1 = { type: 'Deposited'; amount: number };
type NotedV1 = { type: 'Noted'; text: string };

const walletV1 = defineAggregate<
  { euros: number },
  { type: 'deposit'; amount: number } | { type: 'note'; text: string },
  DepositedV1 | NotedV1
>({
  type: 'wallet',
  initialState: () => ({ euros: 0 }),
  decide: (_s, c) =>
    c.type === 'deposit' ? [{ type: 'Deposited', amount: c.amount }] : [{ type: 'Noted', text: c.text }],
  evolve: (s, e) => (e.type === 'Deposited' ? { euros: s.euros + e.amount } : s),
});
// #endregion v1

const v1 = await createRuntime({ store: levelStore({ path: './data' }), aggregates: [walletV1] });
await v1.get(walletV1, 'ada').execute({ type: 'deposit', amount: 5 });
await v1.get(walletV1, 'ada').execute({ type: 'note', text: 'birthday' });
await v1.shutdown();

// #region v2
import { upcaster } from '@actorfold/core';

// The second version: amounts in cents with a currency, and no notes any more.
type Credited = { type: 'Credited'; cents: number; currency: string };

const wallet = defineAggregate<{ cents: number }, { type: 'credit'; cents: number }, Credited>({
  type: 'wallet',
  eventSchemaVersion: 2, // what new events are stored at
  upcasters: [
    // Deposited at schema 1 is read as a Credited (another type, another shape).
    upcaster<DepositedV1, Credited>('Deposited', 1, (e) => ({
      type: 'Credited',
      cents: e.amount * 100,
      currency: 'EUR',
    })),
    // Noted at schema 1 is read as nothing at all: [] drops it (its version still counts).
    upcaster('Noted', 1, () => []),
  ],
  initialState: () => ({ cents: 0 }),
  decide: (_s, c) => [{ type: 'Credited', cents: c.cents, currency: 'EUR' }],
  evolve: (s, e) => ({ cents: s.cents + e.cents }),
});
// #endregion v2

// #region read
const runtime = await createRuntime({ store: levelStore({ path: './data' }), aggregates: [wallet] });
const ada = runtime.get(wallet, 'ada');
console.log(await ada.state()); // { state: { cents: 500 }, version: 2 }: both stored events, upcast
const { events } = await ada.execute({ type: 'credit', cents: 250 });
console.log(events[0]?.version, events[0]?.schemaVersion); // 3 2: new events at schema 2

const total = runtime.project(
  defineProjection({
    name: 'credited',
    init: () => ({ cents: 0 }),
    // Handlers are keyed by the type as read: Credited, also for the Deposited stored at schema 1.
    handlers: { Credited: (s, e) => ({ cents: s.cents + (e.data as Credited).cents }) },
  }),
);
await total.waitFor(3);
console.log(total.state()); // { cents: 750 }
// #endregion read

// #region test
// Upcasters are plain functions: test them on their own.
console.log(upcast(wallet, { type: 'Deposited', amount: 2 } as DepositedV1, 1)); // [{ type: 'Credited', cents: 200, currency: 'EUR' }]
// #endregion test
await runtime.shutdown();

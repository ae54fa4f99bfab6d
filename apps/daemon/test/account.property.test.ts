/**
 * The account as the daemon runs it, fed random commands with hostile amounts (strings, NaN,
 * ±Infinity, fractions, -0, huge numbers, missing or extra fields): every command is either
 * refused before anything is stored, or accepted as a model of the account says; the balance is
 * always a whole number ≥ 0, and what a replay of the stream gives equals what execute returned.
 */
import { createRuntime, type EventStore, memoryStore } from '@actorfold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { account } from '../src/domain/index.js';

const RUNS = process.env.ACTORFOLD_SOAK === '1' ? 500 : 60;

const hostileAmount = fc.oneof(
  fc.integer({ min: -20, max: 200 }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    1.5,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    Number.MIN_VALUE,
  ),
  fc.constantFrom('5', '', null, true, [5], { n: 5 }),
  fc.double(),
);

const command = fc.oneof(
  fc.record({ type: fc.constantFrom('deposit', 'withdraw'), amount: hostileAmount }),
  fc.record({ type: fc.constantFrom('deposit', 'withdraw') }),
  fc.record({ type: fc.constant('deposit'), amount: fc.integer({ min: 1, max: 9 }), note: fc.string() }),
  fc.constantFrom({ type: 'close' }, { type: 'fly' }, { type: 'open', owner: 'again' }),
);

/** A memory store that keeps its data when the runtime closes it, as a folder on disk would. */
function disk(): EventStore {
  const store = memoryStore();
  return { ...store, close: async () => {} };
}

describe('the account under hostile commands', () => {
  it('refuses what is not a valid command, accepts the rest as the model does, and replays to the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 25 }), async (commands) => {
        const store = disk();
        const rt = await createRuntime({ store, aggregates: [account] });
        const h = rt.get(account, 'a');
        await h.execute({ type: 'open', owner: 'Ada' });
        let model = { balance: 0, open: true };
        for (const c of commands) {
          const outcome = await h.execute(c as never).then(
            (r) => ({ ok: true as const, state: r.state }),
            (e: { code: string; reason?: string }) => ({
              ok: false as const,
              code: e.code,
              reason: e.reason,
            }),
          );
          const amount = (c as { amount?: unknown }).amount;
          const wellFormed =
            (c.type === 'deposit' || c.type === 'withdraw') &&
            Object.keys(c).length === 2 &&
            Number.isSafeInteger(amount);
          if (c.type === 'open' || c.type === 'close') {
            expect(outcome.ok || outcome.code === 'REJECTED').toBe(true);
            if (outcome.ok && c.type === 'close') model = { ...model, open: false };
          } else if (!wellFormed) {
            expect(outcome).toMatchObject({ ok: false, code: 'INVALID_COMMAND' });
          } else {
            const n = amount as number;
            const allowed =
              model.open &&
              n > 0 &&
              (c.type === 'deposit' ? model.balance + n <= Number.MAX_SAFE_INTEGER : n <= model.balance);
            expect(outcome.ok).toBe(allowed);
            if (allowed) model = { ...model, balance: model.balance + (c.type === 'deposit' ? n : -n) };
          }
          const { state } = await h.state();
          expect(state.balance).toBe(model.balance);
          expect(Number.isSafeInteger(state.balance) && state.balance >= 0).toBe(true);
        }
        const live = await h.state();
        await rt.shutdown();
        const again = await createRuntime({ store, aggregates: [account] });
        expect(await again.get(account, 'a').state()).toEqual(live);
        await again.shutdown();
      }),
      { numRuns: RUNS },
    );
  });
});

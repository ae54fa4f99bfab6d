/**
 * docs/effects.md: a supplier switch that asks the grid operator (a simulated remote) through a
 * durable effect and records its answer. Runs as one program (test/examples.test.ts) on the
 * in-memory store.
 */
// #region switch
import { setTimeout as sleep } from 'node:timers/promises';
import { createRuntime, defineAggregate, type EffectResult, reject, SimulatedClock } from '@actorfold/core';

type Answer = { accepted: boolean; reference: string };
type Cmd =
  | { type: 'request'; meter: string; supplier: string }
  | { type: 'abort' }
  | (EffectResult<Answer> & { type: 'GridAnswered' });
type Evt =
  | { type: 'Requested'; meter: string; supplier: string }
  | { type: 'Aborted' }
  | { type: 'Confirmed'; reference: string }
  | { type: 'Refused'; why: string };
type State = { status: 'none' | 'waiting' | 'confirmed' | 'refused' | 'aborted' };

const supplierSwitch = defineAggregate<State, Cmd, Evt>({
  type: 'switch',
  initialState: () => ({ status: 'none' }),
  decide(state, cmd, ctx) {
    switch (cmd.type) {
      case 'request':
        if (state.status !== 'none') reject('already-requested');
        // Stored in the same append as `Requested`; run by the runtime once that append is durable.
        ctx.effects.request(
          'grid.switchSupplier',
          { meter: cmd.meter, supplier: cmd.supplier },
          { id: 'grid', resultType: 'GridAnswered', maxAttempts: 4 },
        );
        return [{ type: 'Requested', meter: cmd.meter, supplier: cmd.supplier }];
      case 'abort':
        if (state.status !== 'waiting') reject('not-waiting', state.status);
        ctx.effects.cancel('grid'); // not retried, not delivered; aborted if running
        return [{ type: 'Aborted' }];
      case 'GridAnswered':
        // Delivered once in effect: its commandId derives from the effect's identity.
        if (ctx.settledEffect === undefined || state.status !== 'waiting') return [];
        if (cmd.outcome === 'failed') return [{ type: 'Refused', why: cmd.error.message }];
        return cmd.output.accepted
          ? [{ type: 'Confirmed', reference: cmd.output.reference }]
          : [{ type: 'Refused', why: 'the grid operator said no' }];
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'Requested':
        return { status: 'waiting' };
      case 'Aborted':
        return { status: 'aborted' };
      case 'Confirmed':
        return { status: 'confirmed' };
      case 'Refused':
        return { status: 'refused' };
    }
  },
});
// #endregion switch

// #region run
let calls = 0;
const clock = new SimulatedClock(Date.parse('2026-03-01T00:00:00Z'));
const runtime = await createRuntime({
  aggregates: [supplierSwitch],
  clock,
  effects: {
    implementations: {
      // The simulated grid operator: down on the first call, then it answers. A real one gets
      // ctx.idempotencyKey (the same on every attempt) so that it can deduplicate.
      'grid.switchSupplier': async (input: { meter: string; supplier: string }, ctx) => {
        calls++;
        if (ctx.attempt === 1) throw new Error('503 from the grid operator');
        return { accepted: true, reference: `${input.meter}-${ctx.idempotencyKey.slice(0, 6)}` };
      },
    },
    backoff: { initialMs: 10, maxMs: 100 },
  },
});
await runtime.get(supplierSwitch, 's-1').execute({ type: 'request', meter: 'M-7', supplier: 'green' });
// Time passes (a simulated second): the attempt, the back-off, the retry and the delivery run.
for (let i = 0; i < 10; i++) {
  clock.advance(100);
  await sleep(5);
}
const { state } = await runtime.get(supplierSwitch, 's-1').state();
const { effectsStarted, effectsRetried, effectsSucceeded } = runtime.metrics().counters;
console.log(state.status, calls, effectsStarted, effectsRetried, effectsSucceeded);
// confirmed 2 2 1 1
await runtime.shutdown();
// #endregion run

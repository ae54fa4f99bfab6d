/**
 * docs/timers.md: an offer that expires unless accepted, on the simulated clock. Runs as one
 * program (test/examples.test.ts) on the in-memory store.
 */
// #region offer
import { createRuntime, defineAggregate, reject, SimulatedClock } from '@actorfold/core';

type Cmd = { type: 'make'; price: number } | { type: 'accept' } | { type: 'expire' };
type Evt = { type: 'Made'; price: number } | { type: 'Accepted' } | { type: 'Expired' };
type State = { status: 'none' | 'open' | 'accepted' | 'expired' };

const offer = defineAggregate<State, Cmd, Evt>({
  type: 'offer',
  initialState: () => ({ status: 'none' }),
  decide(state, cmd, ctx) {
    switch (cmd.type) {
      case 'make':
        if (state.status !== 'none') reject('already-made');
        // Written in the same append as `Made`: no offer without its expiry, no expiry without its offer.
        ctx.timers.schedule('expiry', { after: 'P7D' }, { type: 'expire' });
        return [{ type: 'Made', price: cmd.price }];
      case 'accept':
        if (state.status !== 'open') reject('not-open', state.status);
        ctx.timers.cancel('expiry');
        return [{ type: 'Accepted' }];
      case 'expire':
        // Sent by the timer (ctx.firedTimer says so); anyone else sending it changes nothing.
        return ctx.firedTimer !== undefined && state.status === 'open' ? [{ type: 'Expired' }] : [];
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'Made':
        return { status: 'open' };
      case 'Accepted':
        return { status: 'accepted' };
      case 'Expired':
        return { status: 'expired' };
    }
  },
});
// #endregion offer

// #region run
const clock = new SimulatedClock(Date.parse('2026-03-01T00:00:00Z'));
const runtime = await createRuntime({ aggregates: [offer], clock });
await runtime.get(offer, 'o-1').execute({ type: 'make', price: 10 });
await runtime.get(offer, 'o-2').execute({ type: 'make', price: 12 });
await runtime.get(offer, 'o-2').execute({ type: 'accept' }); // cancels o-2's expiry

for await (const t of runtime.timers().list()) {
  console.log(t.streamId, t.name, new Date(t.dueAt).toISOString(), t.command.type);
}
// offer/o-1 expiry 2026-03-08T00:00:00.000Z expire

clock.advance(7 * 24 * 60 * 60 * 1000); // a week later, o-1's expiry fires through its actor
for await (const { state } of runtime.get(offer, 'o-1').watch()) {
  if (state.status === 'expired') break;
}
console.log((await runtime.get(offer, 'o-2').state()).state.status, runtime.metrics().counters.timersFired);
// accepted 1
await runtime.shutdown();
// #endregion run

import { isRejection } from '@actorfold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ApprovalCommand, approvalWithSnapshots as approval } from './support/approval.js';
import { replay, stored } from './support/history.js';
import { decideContext, T0 } from './support/runtime.js';

const DAY = 86_400_000;
const RUNS = process.env.ACTORFOLD_SOAK ? 2_000 : 100;

const person = fc.constantFrom('ann', 'bob', 'cy');
/** Weighted so that most runs submit early and stay open long: final states are reached, but late. */
const command: fc.Arbitrary<ApprovalCommand> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('submit'),
      title: fc.string({ maxLength: 4 }),
      amount: fc.integer({ min: -5, max: 3000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('approve'), by: person }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('escalate') }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('comment'), text: fc.string({ maxLength: 4 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('revise'), amount: fc.integer({ min: 1, max: 3000 }) }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('pause') }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('resume') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('reject'), reason: fc.string({ maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('withdraw') }) },
) as fc.Arbitrary<ApprovalCommand>;
/** A command and how long after the previous one it arrives (up to three days: the withdraw guard is 7). */
const step = fc.record({ command, afterMs: fc.integer({ min: 0, max: 3 * DAY }) });
/** Mostly a submit first (some invalid), then anything. */
const steps = fc
  .tuple(
    fc.record({
      command: fc.record({
        type: fc.constant('submit' as const),
        title: fc.constant('t'),
        amount: fc.integer({ min: -100, max: 5000 }),
      }),
      afterMs: fc.constant(0),
    }),
    fc.array(step, { maxLength: 40, size: 'max' }),
  )
  .map(([first, rest]) => [first, ...rest]);

type State = ReturnType<typeof approval.initialState>;
type Event = ReturnType<typeof approval.decide>[number];

/** Runs the commands live (decide, then evolve on decide's own events), keeping every state. */
function live(steps: ReadonlyArray<{ command: ApprovalCommand; afterMs: number }>) {
  let state = approval.initialState();
  let now = T0;
  const events: Event[] = [];
  const states: State[] = [state];
  const times: number[] = [];
  for (const { command: c, afterMs } of steps) {
    now += afterMs;
    let decided: readonly Event[];
    try {
      decided = approval.decide(state, c, decideContext(events.length, new Date(now)));
    } catch (e) {
      // Refusals are expected; anything else is a bug.
      if (!isRejection(e) || !['invalid-state', 'completed'].includes(e.reason)) throw e;
      continue;
    }
    for (const e of decided) {
      state = approval.evolve(state, e);
      events.push(e);
      states.push(state);
      times.push(now);
    }
  }
  return { state, events, states, times };
}

/** The persisted form of a state: value, context, status and history values. */
const persisted = (s: State) => JSON.parse(JSON.stringify(approval.snapshots?.encode?.(s)));

/** What the runs covered, so the property cannot pass by exercising nothing. */
const covered = { events: 0, completed: 0, resumedIntoSecondLine: 0 };
function count(run: ReturnType<typeof live>): void {
  covered.events += run.events.length;
  if (run.state.done) covered.completed++;
  for (const [i, s] of run.states.entries()) {
    const resumed =
      run.states[i - 1]?.value === 'paused' && JSON.stringify(s.value) === '{"review":"secondLine"}';
    if (resumed) covered.resumedIntoSecondLine++;
  }
}

/** A CPU-bound property run; the default 5 s would make the test depend on the machine's load. */
const PROPERTY_TIMEOUT_MS = 120_000;

describe('statechart replay', () => {
  it(
    'reproduces the live state exactly for random accepted command sequences, history values included',
    () => {
      fc.assert(
        fc.property(steps, (input) => {
          const run = live(input);
          count(run);
          const replayed = replay(approval, stored(run.events));
          expect(replayed).toStrictEqual(run.state);
          expect(persisted(replayed)).toEqual(persisted(run.state));
        }),
        { numRuns: RUNS },
      );
      expect(covered.events).toBeGreaterThan(2 * RUNS);
      expect(covered.completed).toBeGreaterThan(0);
      expect(covered.resumedIntoSecondLine).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'continues from a snapshot at any version to the same state as a full replay',
    () => {
      fc.assert(
        fc.property(steps, fc.nat(), (input, cut) => {
          const run = live(input);
          if (run.events.length === 0) return;
          const at = 1 + (cut % run.events.length);
          const saved = JSON.parse(JSON.stringify(approval.snapshots?.encode?.(run.states[at] as State)));
          let state = approval.snapshots?.decode?.(saved) as State;
          for (const e of stored(run.events.slice(at))) state = approval.evolve(state, e);
          expect(state).toStrictEqual(run.state);
          expect(persisted(state)).toEqual(persisted(run.state));
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'records the same events when the same commands are decided again at the same times',
    () => {
      fc.assert(
        fc.property(steps, (input) => {
          const first = live(input);
          let state = approval.initialState();
          const again: Event[] = [];
          for (const [i, e] of stored(first.events).entries()) {
            const ctx = decideContext(i, new Date(first.times[i] as number));
            const [decided] = approval.decide(state, e.command, ctx);
            again.push(decided as Event);
            state = approval.evolve(state, decided as Event);
          }
          expect(stored(again)).toEqual(stored(first.events));
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

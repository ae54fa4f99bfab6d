import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import { fromMachine, INVOKE_DONE, INVOKE_FAILED, type WithAcceptedAt } from '../src/index.js';
import { T0 } from './support/runtime.js';
import { TimedProcess } from './support/timer-driver.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 2_000 : 100;

type JobCommand =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'watch' }
  | { type: 'unwatch' };

/**
 * Two parallel regions that invoke: a worker (its own invoke id, re-entered by `restart`, with a
 * deadline next to its effect) and a watcher (a generated id). Every way in and out of an
 * invoking state is a command, an effect's outcome or the deadline.
 */
const job = setup({
  types: {
    context: {} as { runs: number; done: number; failed: number; watched: number },
    events: {} as WithAcceptedAt<JobCommand>,
  },
  actors: {
    work: fromPromise<number, { run: number }>(async ({ input }) => input.run),
    watch: fromPromise<null>(async () => null),
  },
}).createMachine({
  id: 'job',
  type: 'parallel',
  context: { runs: 0, done: 0, failed: 0, watched: 0 },
  states: {
    worker: {
      initial: 'idle',
      states: {
        idle: { on: { start: 'running' } },
        running: {
          entry: assign({ runs: ({ context }) => context.runs + 1 }),
          invoke: {
            id: 'work',
            src: 'work',
            input: ({ context }) => ({ run: context.runs }),
            onDone: { target: 'idle', actions: assign({ done: ({ context }) => context.done + 1 }) },
            onError: { target: 'failed', actions: assign({ failed: ({ context }) => context.failed + 1 }) },
          },
          after: { 60000: 'failed' },
          on: { stop: 'idle', restart: { target: 'running', reenter: true } },
        },
        failed: { on: { start: 'running' } },
      },
    },
    watcher: {
      initial: 'off',
      states: {
        off: { on: { watch: 'on' } },
        on: {
          invoke: {
            src: 'watch',
            onDone: { target: 'off', actions: assign({ watched: ({ context }) => context.watched + 1 }) },
            onError: 'off',
          },
          on: { unwatch: 'off' },
        },
      },
    },
  },
});

const def = fromMachine({ type: 'job', machines: { v1: job } });
type Process = TimedProcess<
  ReturnType<typeof def.initialState>,
  JobCommand,
  ReturnType<typeof def.decide>[number]
>;

type Step =
  | { kind: 'command'; command: JobCommand }
  | { kind: 'settle'; pick: number; ok: boolean }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom<JobCommand['type']>('start', 'stop', 'restart', 'watch', 'unwatch')
      .map((type) => ({ kind: 'command' as const, command: { type } as JobCommand })),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), ok: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 90_000 }) }),
  },
);

/** The invoke ids whose states are active: exactly the effects that must be pending. */
function expectedPending(p: Process): string[] {
  const value = p.state.value as { worker: string; watcher: string };
  return [
    ...(value.worker === 'running' ? ['work'] : []),
    ...(value.watcher === 'on' ? ['0.job.watcher.on'] : []),
  ].sort();
}

const covered = { settled: 0, reentered: 0, deadlines: 0, cancelled: 0 };

/** A CPU-bound property run; the default 5 s would make the test depend on the machine's load. */
const PROPERTY_TIMEOUT_MS = 120_000;

describe('invoked effects, for random command, outcome and clock sequences', () => {
  it(
    'keep exactly the active invokes pending, take each outcome once, and replay to the live state',
    () => {
      fc.assert(
        fc.property(fc.array(step, { maxLength: 40, size: 'max' }), (steps) => {
          const p: Process = new TimedProcess(def, T0);
          for (const s of steps) {
            const before = new Map(p.pendingEffects);
            const eventsBefore = p.events.length;
            if (s.kind === 'command') {
              try {
                p.execute(s.command);
              } catch {
                // Refused in this state: nothing changed.
                expect(p.events.length).toBe(eventsBefore);
              }
              if (s.command.type === 'restart' && p.events.length > eventsBefore) {
                const again = p.pendingEffects.get('work');
                expect(again?.version).toBe(p.events.length);
                covered.reentered++;
              }
            } else if (s.kind === 'settle') {
              const ids = [...p.pendingEffects.keys()].sort();
              if (ids.length === 0) continue;
              const id = ids[s.pick % ids.length] as string;
              const events = p.settle(id, s.ok ? { output: 7 } : { error: { message: 'no' } });
              // Each outcome is recorded once, as the event of its kind.
              expect(events.map((e) => e.type)).toEqual([s.ok ? INVOKE_DONE : INVOKE_FAILED]);
              covered.settled++;
            } else {
              const fired = p.fired.length;
              p.advance(s.ms);
              covered.deadlines += p.fired.length - fired;
            }
            for (const id of before.keys()) if (!p.pendingEffects.has(id)) covered.cancelled++;
            expect([...p.pendingEffects.keys()].sort()).toEqual(expectedPending(p));
            // A pending effect's input is the run it was requested for.
            const work = p.pendingEffects.get('work');
            if (work !== undefined) expect(work.input).toEqual({ run: p.state.context.runs });
          }
          expect(p.replayed()).toEqual(p.state);
        }),
        { numRuns: RUNS },
      );
      expect(covered.settled).toBeGreaterThan(RUNS);
      expect(covered.reentered).toBeGreaterThan(0);
      expect(covered.deadlines).toBeGreaterThan(0);
      expect(covered.cancelled).toBeGreaterThan(RUNS);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

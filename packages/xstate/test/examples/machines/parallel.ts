/**
 * xstate's workflow-parallel: two branches of a parallel state each run a service (a short and
 * a long one); when both are done the workflow succeeds.
 */
import { expect } from 'vitest';
import { setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { ServiceNotAvailable, SimulatedServices } from '../support/simulated-services.js';

const machine = setup({
  types: { events: {} as WithAcceptedAt<{ type: 'start' }> },
  actors: { shortDelay: remote<void>(), longDelay: remote<void>() },
}).createMachine({
  id: 'parallel-execution',
  initial: 'Ready',
  states: {
    // Added: a process begins with its first command, which starts both branches.
    Ready: { on: { start: 'ParallelExec' } },
    ParallelExec: {
      type: 'parallel',
      states: {
        ShortDelayBranch: {
          initial: 'active',
          states: { active: { invoke: { src: 'shortDelay', onDone: 'done' } }, done: { type: 'final' } },
        },
        LongDelayBranch: {
          initial: 'active',
          states: { active: { invoke: { src: 'longDelay', onDone: 'done' } }, done: { type: 'final' } },
        },
      },
      onDone: 'Success',
    },
    Success: { type: 'final' },
  },
});

const LONG_MS = 3_000;

export const parallel: RunningExample = {
  status: 'runs',
  example: 'workflow-parallel',
  uses: ['parallel state', 'invoke (promise) in each region', 'onDone of a parallel state', 'final'],
  adaptations: [
    'a start command starts both branches',
    'the long service takes longer by failing its first attempt (retried after 3 s) instead of sleeping',
  ],
  machine,
  runner: { backoff: { initialMs: LONG_MS, factor: 1, maxMs: LONG_MS } },
  services: () =>
    new SimulatedServices({
      shortDelay: () => undefined,
      longDelay: (_input, attempt) => {
        if (attempt === 1) throw new ServiceNotAvailable('still busy');
      },
    }),
  scenarios: [
    {
      title: 'the short branch finishes first, the workflow succeeds only when the long one is done too',
      store: 'level',
      async drive({ run, send, reach }) {
        await send({ type: 'start' });
        await reach(
          { ParallelExec: { ShortDelayBranch: 'done', LongDelayBranch: 'active' } },
          'the short branch done, the long one still running',
        );
        await run.advance(LONG_MS, LONG_MS / 3);
        expect(await reach('Success')).toMatchObject({ done: true });
      },
    },
  ],
};

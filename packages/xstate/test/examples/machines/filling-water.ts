/**
 * xstate's workflow-filling-water: checks whether the glass is full; if not, adds water (one
 * count per half second, an `after` transition) and checks again; ends when full.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Counts {
  current: number;
  max: number;
}

type FillCommand = { type: 'start'; counts: Counts };

const machine = setup({
  types: { context: {} as { counts: Counts }, events: {} as WithAcceptedAt<FillCommand> },
}).createMachine({
  id: 'fillglassofwater',
  initial: 'Ready',
  context: { counts: { current: 0, max: 0 } },
  states: {
    // Added: the original's `input` arrives with the process's first command.
    Ready: {
      on: { start: { target: 'CheckIfFull', actions: assign({ counts: ({ event }) => event.counts }) } },
    },
    CheckIfFull: {
      always: [
        { target: 'AddWater', guard: ({ context }) => context.counts.current < context.counts.max },
        { target: 'GlassFull' },
      ],
    },
    AddWater: {
      after: {
        500: {
          target: 'CheckIfFull',
          actions: assign({
            counts: ({ context }) => ({ ...context.counts, current: context.counts.current + 1 }),
          }),
        },
      },
    },
    GlassFull: { type: 'final' },
  },
});

export const fillingWater: RunningExample = {
  status: 'runs',
  example: 'workflow-filling-water',
  uses: ['always (guarded)', 'after (500 ms, re-entered in a loop)', 'assign', 'input'],
  adaptations: ['input (current, max) comes with a start command'],
  machine,
  services: () => new SimulatedServices({}),
  scenarios: [
    {
      title: 'an empty glass of ten fills one count per half second and is full after five seconds',
      store: 'level',
      async drive({ run, send, state }) {
        await send({ type: 'start', counts: { current: 0, max: 10 } });
        await run.advance(4_999, 500);
        expect(await state()).toMatchObject({ value: 'AddWater', context: { counts: { current: 9 } } });
        await run.advance(1, 1);
        expect(await state()).toMatchObject({
          value: 'GlassFull',
          done: true,
          context: { counts: { current: 10 } },
        });
      },
    },
    {
      title: 'a glass that is already full ends at once, without a timer',
      store: 'memory',
      async drive({ run, send }) {
        expect(await send({ type: 'start', counts: { current: 3, max: 3 } })).toMatchObject({
          value: 'GlassFull',
          done: true,
        });
        expect(await run.store.timers?.count()).toBe(0);
      },
    },
  ],
};

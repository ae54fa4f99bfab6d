/** xstate's workflow-math-problem: solves a batch of expressions (one promise service), then ends with the results. */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type StartCommand = { type: 'start'; expressions: string[] };

const machine = setup({
  types: { context: {} as { results: string[] | null }, events: {} as WithAcceptedAt<StartCommand> },
  actors: { batchMathFunction: remote<{ problems: string[] }, { problem: string; result: string }[]>() },
}).createMachine({
  id: 'math-problem',
  initial: 'Ready',
  context: { results: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: { on: { start: 'Solve' } },
    Solve: {
      invoke: {
        src: 'batchMathFunction',
        input: ({ event }) => ({ problems: event.type === 'start' ? event.expressions : [] }),
        onDone: {
          target: 'Solved',
          actions: assign({ results: ({ event }) => event.output.map((r) => r.result) }),
        },
      },
    },
    Solved: { type: 'final', output: ({ context }) => ({ results: context.results }) },
  },
});

export const mathProblem: RunningExample = {
  status: 'runs',
  example: 'workflow-math-problem',
  uses: [
    'invoke (promise) in the initial state, input from the init event',
    'assign',
    'final state with output',
  ],
  adaptations: ['input (the expressions) comes with a start command'],
  machine,
  services: () =>
    new SimulatedServices({
      batchMathFunction: (input) =>
        (input as { problems: string[] }).problems.map((problem) => ({
          problem,
          result: `Solved ${problem}`,
        })),
    }),
  scenarios: [
    {
      title: 'four expressions are solved in one batch and the results kept in order',
      store: 'memory',
      async drive({ send, reach }) {
        await send({ type: 'start', expressions: ['2+2', '4-1', '10x3', '20/2'] });
        expect(await reach('Solved')).toMatchObject({
          done: true,
          context: { results: ['Solved 2+2', 'Solved 4-1', 'Solved 10x3', 'Solved 20/2'] },
        });
      },
    },
  ],
};

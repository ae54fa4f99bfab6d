/** xstate's workflow-hello: a machine whose initial state is final, with a fixed output. */

import { expect } from 'vitest';
import { createMachine } from 'xstate';
import type { RunningExample } from '../support/ported-example.js';
import { SimulatedServices } from '../support/simulated-services.js';

const machine = createMachine({
  id: 'helloworld',
  initial: 'Hello State',
  states: {
    'Hello State': { type: 'final', output: { result: 'Hello World!' } },
  },
});

export const hello: RunningExample = {
  status: 'runs',
  example: 'workflow-hello',
  uses: ['final initial state with output'],
  adaptations: [],
  machine,
  services: () => new SimulatedServices({}),
  scenarios: [
    {
      title: 'the process is complete before any command and refuses every command as completed',
      store: 'memory',
      async drive({ send, state }) {
        expect(await state()).toMatchObject({ value: 'Hello State', done: true });
        await expect(send({ type: 'greet' })).rejects.toMatchObject({
          code: 'REJECTED',
          reason: 'completed',
        });
      },
    },
  ],
};

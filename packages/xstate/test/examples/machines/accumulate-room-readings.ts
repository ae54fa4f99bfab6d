/**
 * xstate's workflow-accumulate-room-readings: temperature and humidity readings are kept for an
 * hour; if both arrived, a report is produced (a promise service) and a new hour begins.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface Readings {
  temperature: number | null;
  humidity: number | null;
}

type ReadingCommand =
  | { type: 'start' }
  | { type: 'TemperatureEvent'; roomId: string; temperature: number }
  | { type: 'HumidityEvent'; roomId: string; humidity: number };

const HOUR = 3_600_000;

const machine = setup({
  types: { context: {} as Readings, events: {} as WithAcceptedAt<ReadingCommand> },
  actors: { produceReport: remote<Readings>() },
  guards: { bothReadings: ({ context }) => context.temperature !== null && context.humidity !== null },
}).createMachine({
  id: 'roomreadings',
  initial: 'Waiting',
  context: { temperature: null, humidity: null },
  states: {
    // Added: a process begins with its first command, which opens the first hour.
    Waiting: { on: { start: 'ConsumeReading' } },
    ConsumeReading: {
      entry: assign({ temperature: null, humidity: null }),
      on: {
        TemperatureEvent: { actions: assign({ temperature: ({ event }) => event.temperature }) },
        HumidityEvent: { actions: assign({ humidity: ({ event }) => event.humidity }) },
      },
      after: {
        PT1H: {
          guard: 'bothReadings',
          target: 'GenerateReport',
        },
      },
    },
    GenerateReport: {
      invoke: {
        src: 'produceReport',
        input: ({ context }) => ({ temperature: context.temperature, humidity: context.humidity }),
        onDone: 'ConsumeReading',
      },
    },
  },
});

export const accumulateRoomReadings: RunningExample = {
  status: 'runs',
  example: 'workflow-accumulate-room-readings',
  uses: ['after (ISO-8601 PT1H, guarded)', 'invoke (promise)', 'entry assign', 'assign'],
  adaptations: ['a start command opens the first hour (the original starts it with the actor)'],
  machine,
  services: () => new SimulatedServices({ produceReport: () => undefined }),
  scenarios: [
    {
      title: 'readings of an hour produce one report with both values, and the next hour starts empty',
      store: 'level',
      async drive({ run, send, reach, services }) {
        await send({ type: 'start' });
        await send({ type: 'TemperatureEvent', roomId: 'kitchen', temperature: 20 });
        await run.advance(1_000);
        await send({ type: 'HumidityEvent', roomId: 'kitchen', humidity: 50 });
        await run.advance(HOUR - 1_000, HOUR / 4);
        const next = await reach('ConsumeReading', 'back to consuming readings after the report');
        expect(next.context).toEqual({ temperature: null, humidity: null });
        expect(services.callsOf('produceReport').map((c) => c.input)).toEqual([
          { temperature: 20, humidity: 50 },
        ]);
        await send({ type: 'TemperatureEvent', roomId: 'kitchen', temperature: 10 });
        expect(await send({ type: 'HumidityEvent', roomId: 'kitchen', humidity: 30 })).toMatchObject({
          value: 'ConsumeReading',
          context: { temperature: 10, humidity: 30 },
        });
      },
    },
    {
      title: 'an hour without a humidity reading produces no report',
      store: 'memory',
      async drive({ run, send, state, services }) {
        await send({ type: 'start' });
        await send({ type: 'TemperatureEvent', roomId: 'kitchen', temperature: 20 });
        await run.advance(HOUR, HOUR / 4);
        expect(await state()).toMatchObject({
          value: 'ConsumeReading',
          context: { temperature: 20, humidity: null },
        });
        expect(services.calls).toHaveLength(0);
      },
    },
  ],
};

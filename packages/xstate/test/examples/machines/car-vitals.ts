/**
 * xstate's workflow-car-vitals: while the car is on, a vitals-check child machine runs (four
 * promise services at once, then done when all four answered), and again a second after each
 * check; turning the car off stops it. Invoking the child machine is refused.
 */
import { expect } from 'vitest';
import { assign, log, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RefusedExample, RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type Reading = { value: number } | null;

interface Vitals {
  tirePressure: Reading;
  oilPressure: Reading;
  coolantLevel: Reading;
  battery: Reading;
}

const check = remote<void, { value: number }>;

const vitalsCheck = setup({
  types: { context: {} as Vitals },
  actors: {
    checkTirePressure: check(),
    checkOilPressure: check(),
    checkCoolantLevel: check(),
    checkBattery: check(),
  },
}).createMachine({
  id: 'vitalscheck',
  context: { tirePressure: null, oilPressure: null, coolantLevel: null, battery: null },
  initial: 'CheckVitals',
  states: {
    CheckVitals: {
      invoke: [
        {
          src: 'checkTirePressure',
          onDone: { actions: assign({ tirePressure: ({ event }) => event.output }) },
        },
        {
          src: 'checkOilPressure',
          onDone: { actions: assign({ oilPressure: ({ event }) => event.output }) },
        },
        {
          src: 'checkCoolantLevel',
          onDone: { actions: assign({ coolantLevel: ({ event }) => event.output }) },
        },
        { src: 'checkBattery', onDone: { actions: assign({ battery: ({ event }) => event.output }) } },
      ],
      always: {
        guard: ({ context }) =>
          context.tirePressure !== null &&
          context.oilPressure !== null &&
          context.coolantLevel !== null &&
          context.battery !== null,
        target: 'VitalsChecked',
      },
    },
    VitalsChecked: { type: 'final', output: ({ context }) => context },
  },
});

const machine = setup({
  types: { events: {} as { type: 'CarTurnedOnEvent' } | { type: 'CarTurnedOffEvent' } },
  actors: { vitalscheck: vitalsCheck },
}).createMachine({
  id: 'checkcarvitals',
  initial: 'WhenCarIsOn',
  on: { CarTurnedOffEvent: { target: '.WhenCarIsOn', actions: log('car turned off') } },
  states: {
    WhenCarIsOn: { on: { CarTurnedOnEvent: 'DoCarVitalChecks' } },
    DoCarVitalChecks: { invoke: { src: 'vitalscheck', onDone: 'CheckContinueVitalChecks' } },
    CheckContinueVitalChecks: { after: { 1000: 'DoCarVitalChecks' } },
  },
});

type CarCommand = { type: 'CarTurnedOnEvent' } | { type: 'CarTurnedOffEvent' };

/** The way out the refusal names: the child's states moved into this machine (parallel regions). */
const flattened = setup({
  types: { context: {} as Vitals & { checks: number }, events: {} as WithAcceptedAt<CarCommand> },
  actors: {
    checkTirePressure: check(),
    checkOilPressure: check(),
    checkCoolantLevel: check(),
    checkBattery: check(),
  },
}).createMachine({
  id: 'checkcarvitals',
  initial: 'WhenCarIsOn',
  context: { tirePressure: null, oilPressure: null, coolantLevel: null, battery: null, checks: 0 },
  on: { CarTurnedOffEvent: { target: '.WhenCarIsOn', actions: log('car turned off') } },
  states: {
    WhenCarIsOn: { on: { CarTurnedOnEvent: 'DoCarVitalChecks' } },
    DoCarVitalChecks: {
      type: 'parallel',
      entry: assign({ tirePressure: null, oilPressure: null, coolantLevel: null, battery: null }),
      states: {
        tires: {
          initial: 'checking',
          states: {
            checking: {
              invoke: {
                src: 'checkTirePressure',
                onDone: { target: 'checked', actions: assign({ tirePressure: ({ event }) => event.output }) },
              },
            },
            checked: { type: 'final' },
          },
        },
        oil: {
          initial: 'checking',
          states: {
            checking: {
              invoke: {
                src: 'checkOilPressure',
                onDone: { target: 'checked', actions: assign({ oilPressure: ({ event }) => event.output }) },
              },
            },
            checked: { type: 'final' },
          },
        },
        coolant: {
          initial: 'checking',
          states: {
            checking: {
              invoke: {
                src: 'checkCoolantLevel',
                onDone: { target: 'checked', actions: assign({ coolantLevel: ({ event }) => event.output }) },
              },
            },
            checked: { type: 'final' },
          },
        },
        battery: {
          initial: 'checking',
          states: {
            checking: {
              invoke: {
                src: 'checkBattery',
                onDone: { target: 'checked', actions: assign({ battery: ({ event }) => event.output }) },
              },
            },
            checked: { type: 'final' },
          },
        },
      },
      onDone: {
        target: 'CheckContinueVitalChecks',
        actions: assign({ checks: ({ context }) => context.checks + 1 }),
      },
    },
    CheckContinueVitalChecks: { after: { 1000: 'DoCarVitalChecks' } },
  },
});

const rewritten: RunningExample = {
  status: 'runs',
  example: 'workflow-car-vitals',
  uses: [
    'parallel state',
    'invoke (promise) x4',
    'onDone of a parallel state',
    'after (1000 ms loop)',
    'log',
  ],
  adaptations: [
    "the child machine's states become four parallel regions of this machine; a count of finished checks is kept",
  ],
  machine: flattened,
  services: () =>
    new SimulatedServices({
      checkTirePressure: () => ({ value: 100 }),
      checkOilPressure: () => ({ value: 90 }),
      checkCoolantLevel: () => ({ value: 80 }),
      checkBattery: () => ({ value: 70 }),
    }),
  scenarios: [
    {
      title: 'vitals are checked every second while the car is on, and not after it is turned off',
      store: 'level',
      async drive({ run, send, reach, services }) {
        await send({ type: 'CarTurnedOnEvent' });
        const first = await reach('CheckContinueVitalChecks', 'the first check');
        expect(first.context).toEqual({
          tirePressure: { value: 100 },
          oilPressure: { value: 90 },
          coolantLevel: { value: 80 },
          battery: { value: 70 },
          checks: 1,
        });
        await run.advance(1_000, 500);
        expect((await reach('CheckContinueVitalChecks', 'the second check')).context).toMatchObject({
          checks: 2,
        });
        expect(await send({ type: 'CarTurnedOffEvent' })).toMatchObject({ value: 'WhenCarIsOn' });
        expect(await run.store.timers?.count()).toBe(0);
        await run.advance(5_000, 1_000);
        expect(services.calls).toHaveLength(8);
      },
    },
  ],
};

export const carVitals: RefusedExample = {
  status: 'refused',
  example: 'workflow-car-vitals',
  uses: [
    'invoke (child machine)',
    'invoke (promise) x4 at once in the child',
    'always (guarded)',
    'after (1000 ms loop)',
    'log',
  ],
  machine,
  reason:
    'the vitals check is a child machine invoked by the parent; its four checks would run as promise invokes in parallel regions of one machine',
  features: ['invoke'],
  alternative: /make it an aggregate of its own.*fromPromise/,
  rewritten,
};

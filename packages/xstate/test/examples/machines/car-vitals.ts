/**
 * xstate's workflow-car-vitals: while the car is on, a vitals-check child machine runs (four
 * promise services at once, then done when all four answered), and again a second after each
 * check; turning the car off stops it. Invoking the child machine is refused.
 */
import { assign, log, setup } from 'xstate';
import type { RefusedExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';

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
  alternative: /promise|fromPromise|command/,
};

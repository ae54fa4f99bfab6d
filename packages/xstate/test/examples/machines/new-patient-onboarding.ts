/**
 * xstate's workflow-new-patient-onboarding: a new patient is stored, assigned a doctor and given
 * an appointment (three promise services in nested states); each call is retried while the
 * service is unavailable (up to ten attempts, three seconds apart: the original's retry policy,
 * here the effect runner's); a call that fails for good ends the onboarding at once.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { ServiceNotAvailable, SimulatedServices } from '../support/simulated-services.js';

type Patient = { name: string; condition: string };

type PatientCommand = { type: 'NewPatientEvent'; name: string; condition: string };

const machine = setup({
  types: { context: {} as { patient: Patient | null }, events: {} as WithAcceptedAt<PatientCommand> },
  actors: {
    StoreNewPatientInfo: remote<Patient | null>(),
    AssignDoctor: remote<void>(),
    ScheduleAppt: remote<void>(),
  },
}).createMachine({
  id: 'patientonboarding',
  initial: 'Idle',
  context: { patient: null },
  states: {
    Idle: {
      on: {
        NewPatientEvent: {
          target: 'Onboard',
          actions: assign({ patient: ({ event }) => ({ name: event.name, condition: event.condition }) }),
        },
      },
    },
    Onboard: {
      initial: 'StorePatient',
      states: {
        StorePatient: {
          invoke: {
            src: 'StoreNewPatientInfo',
            input: ({ context }) => context.patient,
            onDone: 'AssignDoctor',
            onError: '#End',
          },
        },
        AssignDoctor: { invoke: { src: 'AssignDoctor', onDone: 'ScheduleAppt', onError: '#End' } },
        ScheduleAppt: { invoke: { src: 'ScheduleAppt', onDone: 'Done', onError: '#End' } },
        Done: { type: 'final' },
      },
      onDone: { target: 'End', actions: assign({ patient: null }) },
    },
    End: { id: 'End', type: 'final' },
  },
});

/** The original retries on ServiceNotAvailable only, ten attempts at most. */
const retryPolicy = {
  maxAttempts: 10,
  retryable: (error: unknown) => error instanceof ServiceNotAvailable,
};

/** A service that is unavailable for its first `failures` attempts. */
function flaky(failures: number) {
  return {
    ...retryPolicy,
    behaviour: (_input: unknown, attempt: number) => {
      if (attempt <= failures) throw new ServiceNotAvailable(`attempt ${attempt}: service not available`);
    },
  };
}

const RETRY_MS = 3_000;

export const newPatientOnboarding: RunningExample = {
  status: 'runs',
  example: 'workflow-new-patient-onboarding',
  uses: [
    'invoke (promise) x3 in nested states',
    'onError to a state by id (#End)',
    'onDone of a compound state',
    'retries inside the services (cockatiel)',
    'assign',
    'final',
  ],
  adaptations: [
    "the services' retry policy (10 attempts, 3 s apart) is the effect runner's retry budget and back-off",
  ],
  machine,
  runner: { backoff: { initialMs: RETRY_MS, factor: 1, maxMs: RETRY_MS } },
  services: () =>
    new SimulatedServices({ StoreNewPatientInfo: flaky(2), AssignDoctor: flaky(0), ScheduleAppt: flaky(1) }),
  scenarios: [
    {
      title:
        'a patient is onboarded through the retries of unavailable services, each call under one idempotency key',
      store: 'level',
      async drive({ run, send, reach, services }) {
        await send({ type: 'NewPatientEvent', name: 'John Doe', condition: 'Broken Arm' });
        await run.until(() => services.calls.length === 1, 'the first attempt');
        for (let i = 0; i < 4 && !services.callsOf('ScheduleAppt').some((c) => c.attempt === 2); i++) {
          await run.advance(RETRY_MS, RETRY_MS / 3);
        }
        expect(await reach('End')).toMatchObject({ done: true, context: { patient: null } });
        expect(services.sequence()).toEqual([
          'StoreNewPatientInfo',
          'StoreNewPatientInfo',
          'StoreNewPatientInfo',
          'AssignDoctor',
          'ScheduleAppt',
          'ScheduleAppt',
        ]);
        expect(new Set(services.callsOf('StoreNewPatientInfo').map((c) => c.idempotencyKey)).size).toBe(1);
        expect(services.callsOf('StoreNewPatientInfo')[0]?.input).toEqual({
          name: 'John Doe',
          condition: 'Broken Arm',
        });
      },
    },
    {
      title: 'a doctor assignment unavailable for all ten attempts ends the onboarding without scheduling',
      store: 'memory',
      services: () =>
        new SimulatedServices({
          StoreNewPatientInfo: flaky(0),
          AssignDoctor: flaky(10),
          ScheduleAppt: flaky(0),
        }),
      async drive({ run, send, reach, services }) {
        await send({ type: 'NewPatientEvent', name: 'John Doe', condition: 'Broken Arm' });
        for (let i = 0; i < 12 && services.callsOf('AssignDoctor').length < 10; i++) {
          await run.advance(RETRY_MS, RETRY_MS / 3);
        }
        // onError leaves for #End directly: the Onboard onDone (which clears the patient) is not taken.
        expect(await reach('End')).toMatchObject({ done: true, context: { patient: { name: 'John Doe' } } });
        expect(services.callsOf('AssignDoctor').map((c) => c.attempt)).toEqual([
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
        ]);
        expect(services.callsOf('ScheduleAppt')).toHaveLength(0);
      },
    },
  ],
};

/**
 * xstate's workflow-event-based-service: each MakeVetAppointment event books an appointment
 * (a promise service) and the workflow goes back to waiting for the next one.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

interface PatientInfo {
  name: string;
  pet: string;
  reason: string;
}

interface AppointmentInfo {
  appointmentId: string;
  appointmentDate: string;
}

type VetCommand = { type: 'MakeVetAppointment'; patientInfo: PatientInfo };

const machine = setup({
  types: {
    context: {} as {
      patientInfo: PatientInfo | null;
      appointmentInfo: { appointmentInfo: AppointmentInfo } | null;
    },
    events: {} as WithAcceptedAt<VetCommand>,
  },
  actors: {
    MakeAppointmentAction: remote<
      { patientInfo: PatientInfo | null },
      { appointmentInfo: AppointmentInfo }
    >(),
  },
}).createMachine({
  id: 'VetAppointmentWorkflow',
  initial: 'Idle',
  context: { patientInfo: null, appointmentInfo: null },
  states: {
    Idle: {
      on: {
        MakeVetAppointment: {
          target: 'MakeVetAppointmentState',
          actions: assign({ patientInfo: ({ event }) => event.patientInfo }),
        },
      },
    },
    MakeVetAppointmentState: {
      invoke: {
        src: 'MakeAppointmentAction',
        input: ({ context }) => ({ patientInfo: context.patientInfo }),
        onDone: { target: 'Idle', actions: assign({ appointmentInfo: ({ event }) => event.output }) },
      },
    },
  },
});

/** The vet's calendar: one slot a day from 2 June 2025, ids counting up. */
function vet(): SimulatedServices {
  let booked = 0;
  return new SimulatedServices({
    MakeAppointmentAction: () => {
      booked++;
      return {
        appointmentInfo: {
          appointmentId: `A-${booked}`,
          appointmentDate: `2025-06-0${booked + 1}T10:00:00Z`,
        },
      };
    },
  });
}

const jenny = { name: 'Jenny', pet: 'Ato', reason: 'Annual checkup' };

export const eventBasedService: RunningExample = {
  status: 'runs',
  example: 'workflow-event-based-service',
  uses: ['invoke (promise)', 'assign', 'a loop back to the waiting state'],
  adaptations: [],
  machine,
  services: vet,
  scenarios: [
    {
      title: 'each appointment request books one appointment and the workflow waits for the next',
      store: 'level',
      async drive({ send, reach, services }) {
        await send({ type: 'MakeVetAppointment', patientInfo: jenny });
        const first = await reach('Idle', 'the first appointment booked');
        expect(first.context).toMatchObject({
          appointmentInfo: { appointmentInfo: { appointmentId: 'A-1' } },
        });
        await send({ type: 'MakeVetAppointment', patientInfo: { ...jenny, reason: 'Vaccination' } });
        const second = await reach('Idle', 'the second appointment booked');
        expect(second.context).toMatchObject({
          patientInfo: { reason: 'Vaccination' },
          appointmentInfo: { appointmentInfo: { appointmentId: 'A-2' } },
        });
        const keys = services.callsOf('MakeAppointmentAction').map((c) => c.idempotencyKey);
        expect(keys).toHaveLength(2);
        expect(new Set(keys).size).toBe(2);
      },
    },
  ],
};

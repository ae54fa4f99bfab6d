/**
 * xstate's workflow-monitor-patient: while monitoring, each alarm event runs an action that
 * orders medication or calls a nurse or a pulmonologist. The actions are custom code, which
 * decide and replay never run, so `fromMachine` refuses the machine.
 */
import { expect } from 'vitest';
import { assign, emit, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RefusedExample, RunningExample } from '../support/ported-example.js';
import { SimulatedServices } from '../support/simulated-services.js';

type VitalsEvent = {
  type: 'org.monitor.highBodyTemp' | 'org.monitor.highBloodPressure' | 'org.monitor.highRespirationRate';
  patientId: string;
  data: { value: string };
};

/** Calls out of the machine, as the example's actions do (they only log there). */
const orders: string[] = [];

const machine = setup({
  types: { context: {} as { patientId: string }, events: {} as VitalsEvent },
  actions: {
    sendTylenolOrder: ({ context }) => void orders.push(`tylenol for ${context.patientId}`),
    callNurse: ({ context }) => void orders.push(`nurse for ${context.patientId}`),
    callPulmonologist: ({ context }) => void orders.push(`pulmonologist for ${context.patientId}`),
  },
}).createMachine({
  id: 'patientVitalsWorkflow',
  context: { patientId: 'patient1' },
  initial: 'MonitorVitals',
  states: {
    MonitorVitals: {
      on: {
        'org.monitor.highBodyTemp': { actions: 'sendTylenolOrder' },
        'org.monitor.highBloodPressure': { actions: 'callNurse' },
        'org.monitor.highRespirationRate': { actions: 'callPulmonologist' },
      },
    },
  },
});

type MonitorCommand = { type: 'start'; patientId: string } | VitalsEvent;

/** The way out the refusal names: each reaction recorded with emit(), for a subscriber to act on. */
const withEmit = setup({
  types: {
    context: {} as { patientId: string | null },
    events: {} as WithAcceptedAt<MonitorCommand>,
    emitted: {} as { type: 'TylenolOrdered' | 'NurseCalled' | 'PulmonologistCalled'; patientId: string },
  },
}).createMachine({
  id: 'patientVitalsWorkflow',
  context: { patientId: null },
  initial: 'Admitted',
  states: {
    Admitted: {
      on: {
        start: { target: 'MonitorVitals', actions: assign({ patientId: ({ event }) => event.patientId }) },
      },
    },
    MonitorVitals: {
      on: {
        'org.monitor.highBodyTemp': {
          actions: emit(({ context }) => ({
            type: 'TylenolOrdered' as const,
            patientId: context.patientId ?? '',
          })),
        },
        'org.monitor.highBloodPressure': {
          actions: emit(({ context }) => ({
            type: 'NurseCalled' as const,
            patientId: context.patientId ?? '',
          })),
        },
        'org.monitor.highRespirationRate': {
          actions: emit(({ context }) => ({
            type: 'PulmonologistCalled' as const,
            patientId: context.patientId ?? '',
          })),
        },
      },
    },
  },
});

const alarm = (type: VitalsEvent['type']) => ({ type, patientId: 'patient1', data: { value: 'high' } });

const rewritten: RunningExample = {
  status: 'runs',
  example: 'workflow-monitor-patient',
  uses: ['emit'],
  adaptations: [
    'the custom actions become emit() of TylenolOrdered, NurseCalled, PulmonologistCalled',
    'input (the patient) comes with a start command',
  ],
  machine: withEmit,
  services: () => new SimulatedServices({}),
  scenarios: [
    {
      title: 'each alarm records the matching order or call in the stream, for a subscriber to act on',
      store: 'level',
      async drive({ run, send }) {
        await send({ type: 'start', patientId: 'patient1' });
        await send(alarm('org.monitor.highBodyTemp'));
        await send(alarm('org.monitor.highRespirationRate'));
        await send(alarm('org.monitor.highBloodPressure'));
        const emitted: unknown[] = [];
        for await (const e of run.store.readStream('workflow-monitor-patient/p-1')) {
          emitted.push(...((e.data as { emitted?: unknown[] }).emitted ?? []));
        }
        expect(emitted).toEqual([
          { type: 'TylenolOrdered', patientId: 'patient1' },
          { type: 'PulmonologistCalled', patientId: 'patient1' },
          { type: 'NurseCalled', patientId: 'patient1' },
        ]);
      },
    },
  ],
};

export const monitorPatient: RefusedExample = {
  status: 'refused',
  example: 'workflow-monitor-patient',
  uses: ['custom actions on transitions', 'input'],
  machine,
  reason:
    'its reactions are custom actions (code run on a transition), which decide and replay never run: record them with emit, or call the services through states that invoke them',
  features: ['custom action'],
  alternative: /emit\(\)/,
  rewritten,
};

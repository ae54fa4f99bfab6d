/**
 * xstate's workflow-monitor-patient: while monitoring, each alarm event runs an action that
 * orders medication or calls a nurse or a pulmonologist. The actions are custom code, which
 * decide and replay never run, so `fromMachine` refuses the machine.
 */
import { setup } from 'xstate';
import type { RefusedExample } from '../support/ported-example.js';

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

export const monitorPatient: RefusedExample = {
  status: 'refused',
  example: 'workflow-monitor-patient',
  uses: ['custom actions on transitions', 'input'],
  machine,
  reason:
    'its reactions are custom actions (code run on a transition), which decide and replay never run: record them with emit, or call the services through states that invoke them',
  features: ['custom action'],
  alternative: /emit\(\)/,
};

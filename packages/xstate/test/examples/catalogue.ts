/**
 * Every workflow example of xstate's repository (`examples/workflow-*`: its ports of the
 * Serverless Workflow specification's examples), re-expressed as our own machines with their
 * services simulated. workflow-examples.int.test.ts runs the ones that run and checks the
 * refusal of the others; docs/statecharts.md has the table.
 */
import { asyncSubflow } from './machines/async-subflow.js';
import { carAuctionBids } from './machines/car-auction-bids.js';
import { carVitals } from './machines/car-vitals.js';
import { checkInbox } from './machines/check-inbox.js';
import { fillingWater } from './machines/filling-water.js';
import { hello } from './machines/hello.js';
import { monitorPatient } from './machines/monitor-patient.js';
import { reusingFunctions } from './machines/reusing-functions.js';
import type { PortedExample } from './support/ported-example.js';

/** The 25 examples that port the Serverless Workflow specification's examples, by directory name. */
export const SPEC_EXAMPLES = [
  'workflow-accumulate-room-readings',
  'workflow-applicant-request',
  'workflow-async-function',
  'workflow-async-subflow',
  'workflow-book-lending',
  'workflow-car-auction-bids',
  'workflow-car-vitals',
  'workflow-check-inbox',
  'workflow-credit-check',
  'workflow-event-based',
  'workflow-event-based-service',
  'workflow-event-greeting',
  'workflow-filling-water',
  'workflow-finalize-college-app',
  'workflow-greeting',
  'workflow-hello',
  'workflow-math-problem',
  'workflow-monitor-job',
  'workflow-monitor-patient',
  'workflow-new-patient-onboarding',
  'workflow-parallel',
  'workflow-provision-orders',
  'workflow-purchase-order-deadline',
  'workflow-reusing-functions',
  'workflow-send-cloudevent',
] as const;

/** The ported examples, in the order of {@link SPEC_EXAMPLES}. */
export const catalogue: readonly PortedExample[] = [
  asyncSubflow,
  carAuctionBids,
  carVitals,
  checkInbox,
  fillingWater,
  hello,
  monitorPatient,
  reusingFunctions,
];

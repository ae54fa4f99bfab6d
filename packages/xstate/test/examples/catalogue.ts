/**
 * Every workflow example of xstate's repository (`examples/workflow-*`: its ports of the
 * Serverless Workflow specification's examples), re-expressed as our own machines with their
 * services simulated. workflow-examples.int.test.ts runs the ones that run and checks the
 * refusal of the others; docs/statecharts.md has the table.
 */
import { accumulateRoomReadings } from './machines/accumulate-room-readings.js';
import { applicantRequest } from './machines/applicant-request.js';
import { asyncFunction } from './machines/async-function.js';
import { asyncSubflow } from './machines/async-subflow.js';
import { bookLending } from './machines/book-lending.js';
import { carAuctionBids } from './machines/car-auction-bids.js';
import { carVitals } from './machines/car-vitals.js';
import { checkInbox } from './machines/check-inbox.js';
import { creditCheck } from './machines/credit-check.js';
import { eventBased } from './machines/event-based.js';
import { eventBasedService } from './machines/event-based-service.js';
import { eventGreeting } from './machines/event-greeting.js';
import { fillingWater } from './machines/filling-water.js';
import { finalizeCollegeApp } from './machines/finalize-college-app.js';
import { greeting } from './machines/greeting.js';
import { hello } from './machines/hello.js';
import { mathProblem } from './machines/math-problem.js';
import { monitorJob } from './machines/monitor-job.js';
import { monitorPatient } from './machines/monitor-patient.js';
import { newPatientOnboarding } from './machines/new-patient-onboarding.js';
import { parallel } from './machines/parallel.js';
import { provisionOrders } from './machines/provision-orders.js';
import { purchaseOrderDeadline } from './machines/purchase-order-deadline.js';
import { reusingFunctions } from './machines/reusing-functions.js';
import { sendCloudevent } from './machines/send-cloudevent.js';
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
  accumulateRoomReadings,
  applicantRequest,
  asyncFunction,
  asyncSubflow,
  bookLending,
  carAuctionBids,
  carVitals,
  checkInbox,
  creditCheck,
  eventBased,
  eventBasedService,
  eventGreeting,
  fillingWater,
  finalizeCollegeApp,
  greeting,
  hello,
  mathProblem,
  monitorJob,
  monitorPatient,
  newPatientOnboarding,
  parallel,
  provisionOrders,
  purchaseOrderDeadline,
  reusingFunctions,
  sendCloudevent,
];

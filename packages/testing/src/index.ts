export { type DescribeEventStoreOptions, describeEventStore } from './describe-event-store.js';
export { type DescribeReplayFidelityOptions, describeReplayFidelity } from './describe-replay-fidelity.js';
export {
  type ErrorMatcher,
  type Given,
  type GivenStateOptions,
  given,
  givenState,
  type When,
} from './given.js';
export { MissingPeer } from './missing-peer.js';
export type { ScenarioOptions, ScenarioResult } from './run-scenario.js';
export { ScenarioFailure } from './scenario-failure.js';
export { type LedgerExpectations, verifyLedger } from './verify-ledger.js';

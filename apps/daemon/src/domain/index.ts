/**
 * The example domain: what the daemon serves, and what `actorfold state --module` can replay
 * (it picks up every aggregate definition a module exports, `aggregates` included).
 */
import type { AnyAggregate } from '@actorfold/core';
import { account } from './account.js';
import { withGridRegistration } from './grid-registration.js';
import { offer } from './offer.js';
import { supplierSwitch } from './supplier-switch.js';

export { type AccountCommand, type AccountEvent, type AccountState, account } from './account.js';
export {
  GRID_REQUEST_SWITCH,
  type GridRegistration,
  RECORD_GRID_RECEIPT,
  REGISTRATION_EFFECT,
  withGridRegistration,
} from './grid-registration.js';
export { EXPIRY, type OfferCommand, type OfferEvent, type OfferState, offer } from './offer.js';
export { type Balances, balances, type OpenSwitches, openSwitches, readModels } from './read-models.js';
export {
  type GridReceipt,
  type RecordGridReceipt,
  type SupplierSwitchCommand,
  supplierSwitch,
  supplierSwitchV1,
  supplierSwitchV2,
} from './supplier-switch.js';

/** The supplier switch as the daemon runs it: its registration sent to the grid operator as an effect. */
export const supplierSwitchWithGrid = withGridRegistration(supplierSwitch);

/** Every aggregate the daemon registers. */
export const aggregates: readonly AnyAggregate[] = [account, supplierSwitchWithGrid, offer];

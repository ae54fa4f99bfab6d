/**
 * `@actorfold/testing/crash`: what the stores' crash tests share, kept apart from the main entry
 * (which loads Vitest) so that the child processes can import it.
 */

export { type AlarmCommand, type AlarmEvent, type AlarmState, alarm } from './alarm.js';
export { type Child, startScript } from './child-process.js';
export {
  type ErrandCommand,
  type ErrandEffectOptions,
  type ErrandEvent,
  type ErrandInput,
  type ErrandOutput,
  type ErrandState,
  errand,
  errandEffect,
} from './errand.js';
export { type ErrandVerdict, errandVerdict, overlappingExecutions } from './errand-verdict.js';
export { failingSyncLibrary } from './failing-sync.js';
export { type Journal, type JournalEntry, openJournal, readJournal } from './journal.js';
export { DEDUPE_WINDOW, type LedgerCommand, type LedgerEvent, type LedgerState, ledger } from './ledger.js';

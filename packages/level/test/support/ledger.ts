/** The crash tests' aggregate, shared by the stores' tests (see @actorfold/testing/crash). */
export { DEDUPE_WINDOW, type LedgerEvent, ledger } from '@actorfold/testing/crash';

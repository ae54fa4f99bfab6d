import { isActorfoldError, StoreError } from '../errors.js';

/**
 * A command that did not succeed without harm to the actor: rejected (a business rule, a
 * version conflict) or failed (a bug in decide, a store error). The actor stays alive; a
 * crash is thrown instead, never wrapped in this.
 */
export class Refused {
  readonly kind = 'refused';
  constructor(
    readonly error: unknown,
    /** Counted as rejected (the caller's or the domain's doing) rather than failed. */
    readonly rejected: boolean,
    /** What decide threw when that was a bug rather than a rejection (logged at error). */
    readonly thrown?: unknown,
  ) {}
}

/** What an append failed with, as its commands are told: an actorfold error as it is, else StoreError IO. */
export function appendError(error: unknown): unknown {
  return isActorfoldError(error)
    ? error
    : new StoreError('IO', `append failed: ${String(error)}`, { cause: error });
}

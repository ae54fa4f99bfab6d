/**
 * A command that did not succeed without harm to the actor: rejected (a business rule, a
 * version conflict) or failed (a bug in decide, a store error). The actor stays alive; a
 * crash is thrown instead, never wrapped in this.
 */
export class Refused {
  constructor(
    readonly error: unknown,
    /** Counted as rejected (the caller's or the domain's doing) rather than failed. */
    readonly rejected: boolean,
  ) {}
}

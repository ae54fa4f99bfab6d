/**
 * How `given()` (@actorfold/testing) finds the purity-checked variant of a statechart
 * definition without depending on this package: a global symbol naming a function on the
 * definition that returns the same aggregate with `checkPurity` on.
 */
export const WITH_PURITY_CHECK: unique symbol = Symbol.for('actorfold.withPurityCheck') as never;

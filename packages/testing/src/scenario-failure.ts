/**
 * A given/when/then expectation did not hold. A plain Error, so any test runner reports it;
 * `expected` and `actual` let runners that know them (Vitest, Jest, Mocha) show a diff.
 */
export class ScenarioFailure extends Error {
  readonly expected: unknown;
  readonly actual: unknown;
  /** True when `expected` and `actual` are comparable values (runners such as Vitest then print a diff). */
  readonly showDiff: boolean;

  constructor(message: string, options: { expected?: unknown; actual?: unknown; cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'ScenarioFailure';
    this.expected = options.expected;
    this.actual = options.actual;
    this.showDiff = 'expected' in options && 'actual' in options;
  }
}

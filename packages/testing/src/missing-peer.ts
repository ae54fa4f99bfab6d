/**
 * A function of this package needs an optional peer dependency that is not installed (Vitest for
 * `describeEventStore` and `verifyLedger`). The message names the package to install.
 */
export class MissingPeer extends Error {
  readonly code = 'MISSING_PEER';
  /** The package to install, e.g. `vitest`. */
  readonly peer: string;

  constructor(peer: string, needer: string) {
    super(
      `${needer} needs ${peer}, an optional peer dependency of @actorfold/testing: npm install -D ${peer}`,
    );
    this.name = 'MissingPeer';
    this.peer = peer;
  }
}

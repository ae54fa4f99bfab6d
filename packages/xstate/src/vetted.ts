/** What xstate throws while a machine is checked, as an error of this package's API. */
import { InvalidArgument, isActorfoldError } from '@actorfold/core';

/**
 * Runs a check of one version's machine; what xstate itself throws there (a state node that
 * does not exist, say) becomes an InvalidArgument naming the aggregate and the version.
 */
export function vetted<T>(type: string, version: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isActorfoldError(error)) throw error;
    throw new InvalidArgument(
      `${type}: workflow version '${version}': xstate cannot use this machine: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

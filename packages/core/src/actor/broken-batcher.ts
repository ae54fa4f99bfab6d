/**
 * Deliberately broken batchers, for the invariant property test only: it switches one on and
 * checks that it then finds a violation (a test that cannot fail proves nothing). Never set in
 * production code; not exported from the package. Each mode is one check on the batch path.
 */
export type BrokenBatcherMode =
  /** Answers appending commands before their append is durable. */
  | 'reply-before-durable'
  /** Stores the events of a command refused for its expectedVersion anyway. */
  | 'refused-events-through'
  /** Decides every command on the state the batch started from, not the one left by those before it. */
  | 'decide-on-batch-start'
  /**
   * With batches appending at once (`maxBatchesInFlight`): appends without the chain, so a later
   * append may land after an earlier one failed, and keeps (answers) such a later batch.
   */
  | 'pipeline-keeps-later';

/** @internal The switch the property test flips. */
export const brokenBatcher: { mode: BrokenBatcherMode | undefined } = { mode: undefined };

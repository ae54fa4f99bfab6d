/**
 * The daemon's exit codes (docs/operations.md), shared with the supervisor: a configuration error
 * ends the daemon with a code the supervisor does not restart, since a restart cannot fix it.
 */
export const DAEMON_EXIT = {
  /** Stopped cleanly. */
  OK: 0,
  /** Failed: start, an uncaught error, or a stop past its deadline. Restarted. */
  FAILED: 1,
  /** Bad flags or environment. Not restarted. */
  USAGE: 2,
  /** Another process holds the store folder (it may be a previous daemon still stopping). Restarted. */
  LOCKED: 3,
  /** The command API's port or the admin socket is taken by another process. Not restarted. */
  ADDRESS_IN_USE: 4,
  /** The store folder is damaged (run `actorfold repair`) or holds no store. Not restarted. */
  STORE_UNUSABLE: 5,
  /**
   * The store refused every write until reopened (a write failed with an unknown outcome: a
   * failed fsync, a full disk), so the daemon stopped. Restarted: the restart reopens the store.
   */
  STORE_REFUSES_WRITES: 6,
} as const;

/** Exit codes that mean "a person must change something first": the supervisor gives up at once. */
export const NOT_RESTARTED: ReadonlySet<number> = new Set([
  DAEMON_EXIT.USAGE,
  DAEMON_EXIT.ADDRESS_IN_USE,
  DAEMON_EXIT.STORE_UNUSABLE,
]);

/** The actor lifecycle of ARCHITECTURE.md: `activating → ready ⇄ busy → evicting → stopped`, any → `crashed`. */
export type ActorStatus = 'activating' | 'ready' | 'busy' | 'evicting' | 'stopped' | 'crashed';

/**
 * The status an actor keeps internally: the public ones, plus `activating` with an eviction
 * already asked for (it goes straight to `evicting` once recovered). One field instead of a
 * status and a flag: every resident actor pays for each field.
 */
export type Status = ActorStatus | 'activating-then-evict';

/** What happens to an actor. */
export type Transition =
  /** Recovery finished. */
  | 'recovered'
  /** A request starts running. */
  | 'start'
  /** The running request finished. */
  | 'finish'
  /** Eviction was asked for (by the reaper, `runtime.evict` or shutdown). */
  | 'evict'
  /** The eviction finished: the actor is gone. */
  | 'stop'
  /** The actor can no longer trust its state. */
  | 'crash';

/**
 * The one place that decides the actor's next status. Transitions that do not apply to the
 * current status leave it unchanged (a crashed actor stays crashed whatever else happens).
 */
export function nextStatus(status: Status, transition: Transition): Status {
  switch (transition) {
    case 'recovered':
      if (status === 'activating') return 'ready';
      return status === 'activating-then-evict' ? 'evicting' : status;
    case 'start':
      return status === 'ready' ? 'busy' : status;
    case 'finish':
      return status === 'busy' ? 'ready' : status;
    case 'evict':
      if (status === 'ready' || status === 'busy') return 'evicting';
      return status === 'activating' ? 'activating-then-evict' : status;
    case 'stop':
      return status === 'evicting' ? 'stopped' : status;
    case 'crash':
      return status === 'stopped' ? status : 'crashed';
  }
}

/** The status as `runtime.actors()` shows it. */
export function publicStatus(status: Status): ActorStatus {
  return status === 'activating-then-evict' ? 'activating' : status;
}

/** Whether the actor is still the stream's writer (not yet stopped or crashed). */
export function isResident(status: Status): boolean {
  return status !== 'stopped' && status !== 'crashed';
}

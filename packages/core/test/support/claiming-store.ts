import type { Clock, EventStore, TimerRecord, TimerStore } from '../../src/index.js';

/**
 * The same store, with `timers.claim` as a shared store has it (leases per timer, by owner), so
 * that several runtimes in one process exercise the timer service's claim path. The leases live
 * in memory beside the store, and `claims` lets a test see or plant them.
 */
export function withClaims(
  store: EventStore,
  clock: Pick<Clock, 'now'>,
): EventStore & { claims: Map<string, { owner: string; until: number }> } {
  const timers = store.timers as TimerStore;
  const claims = new Map<string, { owner: string; until: number }>();
  const claim = async (until: number, limit: number, owner: string, leaseMs: number) => {
    const now = clock.now();
    const out: TimerRecord[] = [];
    for (const t of await timers.due(until, Number.MAX_SAFE_INTEGER)) {
      if (out.length >= limit) break;
      const key = `${t.streamId}\u0000${t.name}@${t.version}`;
      const held = claims.get(key);
      if (held !== undefined && held.owner !== owner && held.until > now) continue;
      claims.set(key, { owner, until: now + leaseMs });
      out.push(t);
    }
    return out;
  };
  return { ...store, close: async () => {}, timers: { ...timers, claim }, claims };
}

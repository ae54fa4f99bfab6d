/**
 * Readiness, as distinct from liveness (`/v1/health`): a daemon is ready for traffic once its
 * store is open (the runtime exists), it is not shutting down, and every projection has caught
 * up with the log at least once since it started. A failed or stopped projection makes it not
 * ready again. Load balancers and orchestrators route on this; `/v1/health` only says the
 * process answers.
 */
import type { Runtime } from '@actorfold/core';
import type { ReadyView } from './admin-views.js';

/**
 * Projections seen caught up, per runtime. Under steady load a projection flips between
 * `running` and `caught-up`: once it has reached the end of the log it counts as caught up.
 */
const caughtUp = new WeakMap<Runtime, Set<string>>();

/** Whether `runtime` is ready, and why not. */
export function readiness(runtime: Runtime): ReadyView {
  let seen = caughtUp.get(runtime);
  if (seen === undefined) {
    seen = new Set();
    caughtUp.set(runtime, seen);
  }
  const waiting: string[] = [];
  const failed: string[] = [];
  for (const p of runtime.projections()) {
    if (p.state === 'caught-up') seen.add(p.name);
    if (p.state === 'failed' || p.state === 'stopped') failed.push(p.name);
    else if (!seen.has(p.name)) waiting.push(p.name);
  }
  const reasons: string[] = [];
  if (runtime.closed) reasons.push('shutting down');
  if (waiting.length > 0) reasons.push(`projections catching up: ${waiting.join(', ')}`);
  if (failed.length > 0) reasons.push(`projections not running: ${failed.join(', ')}`);
  return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
}

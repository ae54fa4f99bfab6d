/**
 * Readiness, as distinct from liveness (`/v1/health`): a daemon is ready for traffic once its
 * store is open (the runtime exists), it is not shutting down, its store takes writes, and every
 * projection has caught up with the log at least once since it started. A failed or stopped
 * projection, or a store that refuses writes until it is reopened, makes it not ready again.
 * Load balancers and orchestrators route on this; `/v1/health` only says the process answers.
 */
import type { Runtime } from '@actorfold/core';
import type { ReadyView } from './admin-views.js';

/** Per runtime and projection: the log position it must reach, or 'reached'. */
const trackers = new WeakMap<Runtime, Map<string, number | 'reached'>>();

/**
 * Whether `runtime` is ready, and why not (reasons: `shutting down`, `store refuses writes: …`,
 * `projections catching up: …`, `projections not running: …`). A projection counts as caught up
 * once it has handled the log as it stood when readiness first saw the projection (the store's
 * head then), or has reached the end of the log (`caught-up`): under steady load it may never be
 * idle at the end, but it does pass that backlog. Once caught up it stays so, unless it fails.
 * Call it once when the daemon starts (serveAdmin does), so that the backlog is measured from then.
 */
export async function readiness(runtime: Runtime): Promise<ReadyView> {
  let targets = trackers.get(runtime);
  if (targets === undefined) {
    targets = new Map();
    trackers.set(runtime, targets);
  }
  const projections = runtime.projections();
  if (projections.some((p) => !targets.has(p.name))) {
    // The runtime's own view of the log's end only counts appends it has heard of: ask the store.
    const head = await (runtime.store.lastPosition?.() ?? Promise.resolve(0)).catch(() => 0);
    for (const p of projections)
      if (!targets.has(p.name)) targets.set(p.name, Math.max(head, p.position + p.lag));
  }
  const waiting: string[] = [];
  const failed: string[] = [];
  for (const p of runtime.projections()) {
    const target = targets.get(p.name) ?? 0;
    const reached = target === 'reached' || p.state === 'caught-up' || p.position >= target;
    if (reached) targets.set(p.name, 'reached');
    if (p.state === 'failed' || p.state === 'stopped') failed.push(p.name);
    else if (!reached) waiting.push(p.name);
  }
  const reasons: string[] = [];
  if (runtime.closed) reasons.push('shutting down');
  // Every command would fail until the store is reopened: send them to another daemon.
  const refusal = runtime.store.writeRefusal?.();
  if (refusal !== undefined) reasons.push(`store refuses writes: ${refusal.message}`);
  if (waiting.length > 0) reasons.push(`projections catching up: ${waiting.join(', ')}`);
  if (failed.length > 0) reasons.push(`projections not running: ${failed.join(', ')}`);
  return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
}

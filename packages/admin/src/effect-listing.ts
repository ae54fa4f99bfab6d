/**
 * Durable effects for operators: the logic behind `GET /v1/effects` and its actions. Effects are
 * listed through the runtime (`runtime.effects()`), never read from the store directly: only the
 * runtime knows which attempts are running on it, and retry and abandon must go through it.
 */
import {
  type EffectInfo,
  type EffectState,
  isActorfoldError,
  type Runtime,
  type RuntimeEffects,
} from '@actorfold/core';
import { AdminError } from './admin-error.js';
import type { EffectsView, EffectView } from './admin-views.js';
import { isoTime } from './iso-time.js';

/** What to list. */
export interface EffectListing {
  /** Only effects in this state. */
  state?: EffectState;
  /** Only this stream's effects. */
  streamId?: string;
  limit: number;
}

/**
 * The runtime's effects, or AdminError NOT_SUPPORTED when it runs none (no implementations
 * registered, or a store that keeps no timers: effect records are timer records).
 */
export function runtimeEffects(runtime: Runtime): RuntimeEffects {
  try {
    return runtime.effects();
  } catch (e) {
    if (isActorfoldError(e) && e.code === 'INVALID_ARGUMENT')
      throw new AdminError('NOT_SUPPORTED', `this daemon runs no durable effects: ${e.message}`, {
        cause: e,
      });
    throw e;
  }
}

/** Lists effects as of `now` (epoch ms), earliest next first. */
export async function listEffects(
  effects: RuntimeEffects,
  now: number,
  q: EffectListing,
): Promise<EffectsView> {
  const found: EffectView[] = [];
  for await (const e of effects.list({
    limit: q.limit,
    ...(q.state === undefined ? {} : { state: q.state }),
    ...(q.streamId === undefined ? {} : { streamId: q.streamId }),
  })) {
    found.push(effectView(e, now));
    if (found.length >= q.limit) break;
  }
  return {
    now: isoTime(now),
    state: q.state ?? null,
    unsettled: await effects.count(),
    effects: found,
  };
}

/** One effect as operators see it: times as ISO 8601, with its age. */
export function effectView(e: EffectInfo, now: number): EffectView {
  return {
    streamId: e.streamId,
    id: e.id,
    name: e.name,
    version: e.version,
    state: e.state,
    attempts: e.attempts,
    input: e.input,
    nextAt: isoTime(e.nextAt),
    requestedAt: isoTime(e.requestedAt),
    ageMs: Math.max(0, now - e.requestedAt),
    ...(e.lastError === undefined ? {} : { lastError: e.lastError }),
    resultType: e.resultType,
  };
}

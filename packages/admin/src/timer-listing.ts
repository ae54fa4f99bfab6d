/**
 * Listing durable timers for operators: the same logic behind `GET /v1/timers` (live, over the
 * runtime's store) and `actorfold timers --data` (offline, over a store folder). Effect records
 * are timer records with a reserved name: they are not listed here (see effect-listing.ts), though
 * the store's count of pending timers includes them.
 */
import { type EventEnvelope, isEffectTimerName, type TimerRecord, type TimerStore } from '@actorfold/core';
import { AdminError } from './admin-error.js';
import type { FiredTimerView, TimerStatus, TimersView, TimerView } from './admin-views.js';
import { isoTime } from './iso-time.js';

/** A timer due for longer than this is `overdue`: a running runtime fires a due timer within moments. */
export const OVERDUE_MS = 60_000;

/** What to list. */
export interface TimerListing {
  status: TimerStatus;
  /** Only this stream's timers (required for `fired`). */
  streamId?: string;
  /** Only timers due at or before this epoch ms. */
  dueBefore?: number;
  limit: number;
}

/**
 * Lists timers as of `now` (epoch ms). `readStream` reads one stream's events (for `fired`: the
 * events whose commandId is a timer's, `timer:<name>@<version>`, newest first).
 */
export async function listTimers(
  timers: TimerStore,
  readStream: (streamId: string) => AsyncIterable<EventEnvelope>,
  now: number,
  q: TimerListing,
): Promise<TimersView> {
  const base = { now: isoTime(now), status: q.status, pending: await timers.count() };
  if (q.status === 'fired') {
    if (q.streamId === undefined)
      throw new AdminError('BAD_REQUEST', 'fired timers are listed per stream: give the aggregate (stream)');
    return { ...base, timers: [], fired: await firedTimers(readStream(q.streamId), q.limit) };
  }
  const bound = q.status === 'due' ? now : q.status === 'overdue' ? now - OVERDUE_MS : undefined;
  const dueBefore = Math.min(q.dueBefore ?? Number.POSITIVE_INFINITY, bound ?? Number.POSITIVE_INFINITY);
  const found: TimerView[] = [];
  for await (const t of timers.list({
    ...(q.streamId === undefined ? {} : { streamId: q.streamId }),
    ...(Number.isFinite(dueBefore) ? { dueBefore } : {}),
    limit: q.limit,
  })) {
    if (isEffectTimerName(t.name)) continue;
    found.push(timerView(t, now));
    if (found.length >= q.limit) break;
  }
  return { ...base, timers: found, fired: [] };
}

function timerView(t: TimerRecord, now: number): TimerView {
  return {
    streamId: t.streamId,
    name: t.name,
    dueAt: isoTime(t.dueAt),
    lateMs: Math.max(0, now - t.dueAt),
    version: t.version,
    command: t.command,
    missed: t.missed,
  };
}

const FIRING = /^timer:(.+)@(\d+)$/;

async function firedTimers(events: AsyncIterable<EventEnvelope>, limit: number): Promise<FiredTimerView[]> {
  const seen = new Set<string>();
  const fired: FiredTimerView[] = [];
  for await (const e of events) {
    const id = e.metadata.commandId;
    const m = typeof id === 'string' ? FIRING.exec(id) : null;
    // A firing that decided several events is listed once, with its first.
    if (m === null || seen.has(id as string) || isEffectTimerName(m[1] as string)) continue;
    seen.add(id as string);
    fired.push({
      streamId: e.streamId,
      name: m[1] as string,
      scheduledAt: Number(m[2]),
      version: e.version,
      eventType: e.type,
      firedAt: e.timestamp,
    });
  }
  return fired.reverse().slice(0, limit);
}

/**
 * Which events a reader wants: by event type and by time (`since` inclusive, `until` exclusive,
 * compared with each event's timestamp). Shared by the admin route `/v1/events` and the CLI's
 * offline `events`, so both filter the same way.
 */
import type { EventEnvelope } from '@actorfold/core';

export interface EventFilter {
  /** Only events of these event types. */
  types?: readonly string[];
  /** Only events stamped at or after this instant (ms since the epoch). */
  since?: number;
  /** Only events stamped before this instant (ms since the epoch). */
  until?: number;
}

/** An ISO 8601 date or date-time: `2026-03-01`, `2026-03-01T12:00`, `2026-03-01T12:00:00.000Z`. */
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The instant an ISO 8601 text names, or undefined when it is not one. */
export function parseInstant(text: string): number | undefined {
  if (!ISO.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether the filter asks for anything at all. */
export function isFiltering(f: EventFilter): boolean {
  return f.types !== undefined || f.since !== undefined || f.until !== undefined;
}

/** A predicate for the filter. Events whose timestamp does not parse never match a time bound. */
export function eventMatcher(f: EventFilter): (e: EventEnvelope) => boolean {
  const types = f.types === undefined ? undefined : new Set(f.types);
  return (e) => {
    if (types !== undefined && !types.has(e.type)) return false;
    if (f.since === undefined && f.until === undefined) return true;
    const at = Date.parse(e.timestamp);
    if (Number.isNaN(at)) return false;
    return (f.since === undefined || at >= f.since) && (f.until === undefined || at < f.until);
  };
}

/**
 * A page of matching events from `read` (which yields in order): the first `limit`, or with
 * `last` the newest `last` ones. `more` says whether matching events follow the page.
 */
export async function filteredPage(
  read: AsyncIterable<EventEnvelope>,
  matches: (e: EventEnvelope) => boolean,
  page: { limit: number; last?: boolean },
): Promise<{ events: EventEnvelope[]; more: boolean }> {
  const events: EventEnvelope[] = [];
  for await (const e of read) {
    if (!matches(e)) continue;
    events.push(e);
    if (page.last === true) {
      if (events.length > page.limit) events.shift();
    } else if (events.length > page.limit) return { events: events.slice(0, page.limit), more: true };
  }
  return { events, more: false };
}

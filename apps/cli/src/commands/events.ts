/** `actorfold events <stream>`: one stream's events, a page at a time. */
import { eventMatcher, filteredPage, isFiltering } from '@actorfold/admin/client';
import type { AnyAggregate, EventEnvelope } from '@actorfold/core';
import { CliError, EXIT } from '../cli-error.js';
import { brief, count, type Output, plural } from '../output.js';
import { live, type WhereOptions, where, withStore } from '../store-access.js';

export interface EventsOptions extends WhereOptions {
  from?: number;
  /** The newest n events instead of a page from `from`. */
  last?: number;
  limit: number;
  /** Only these event types. */
  type?: string[];
  /** ISO 8601, as given: only events at or after it. */
  since?: string;
  /** ISO 8601, as given: only events before it. */
  until?: string;
  /** Show the events as the module's definition reads them (decoded, upcast); needs `module`. */
  upcast?: boolean;
  /** The ES module exporting the aggregate definitions (for `upcast`). */
  module?: string;
}

/** The `--json` shape: `next` is the `--from` of the next page, or null at the end. */
export interface EventsResult {
  stream: string;
  /** The stream's head version (offline; null live). */
  version: number | null;
  events: EventEnvelope[];
  next: number | null;
}

export async function events(stream: string, opts: EventsOptions, out: Output): Promise<void> {
  const w = where('events', opts, { offline: true, live: true });
  if (opts.last !== undefined && opts.from !== undefined)
    throw new CliError(EXIT.USAGE, 'give --from or --last, not both');
  const filter = {
    ...(opts.type === undefined ? {} : { types: opts.type }),
    ...(opts.since === undefined ? {} : { since: Date.parse(opts.since) }),
    ...(opts.until === undefined ? {} : { until: Date.parse(opts.until) }),
  };
  let result: EventsResult;
  const def = await upcastingDefinition(stream, opts, w.mode);
  if (w.mode === 'offline' && def !== undefined) {
    const match = isFiltering(filter) ? eventMatcher(filter) : undefined;
    result = await withStore(w.data, `actorfold events ${stream} --socket <path>`, async (store) => {
      const version = await store.streamVersion(stream);
      if (version === 0)
        throw new CliError(
          EXIT.NOT_FOUND,
          `stream ${stream} has no events`,
          'list them with actorfold streams',
        );
      const read = store.readStream(stream, { fromVersion: opts.last === undefined ? (opts.from ?? 1) : 1 });
      const page = await upcastPage(read, def, match, opts.last ?? opts.limit, opts.last !== undefined);
      return { stream, version, events: page.events, next: page.next };
    });
  } else if (w.mode === 'offline') {
    result = await withStore(w.data, `actorfold events ${stream} --socket <path>`, async (store) => {
      const version = await store.streamVersion(stream);
      if (version === 0)
        throw new CliError(
          EXIT.NOT_FOUND,
          `stream ${stream} has no events`,
          'list them with actorfold streams',
        );
      const limit = opts.last ?? opts.limit;
      if (isFiltering(filter)) {
        // Filtered: read on until `limit` events match (with --last, the whole stream).
        const read = store.readStream(stream, { fromVersion: opts.from ?? 1 });
        const page = await filteredPage(read, eventMatcher(filter), { limit, last: opts.last !== undefined });
        const end = page.events.at(-1);
        return { stream, version, events: page.events, next: page.more && end ? end.version + 1 : null };
      }
      const from = opts.last === undefined ? (opts.from ?? 1) : Math.max(1, version - opts.last + 1);
      const page: EventEnvelope[] = [];
      for await (const e of store.readStream(stream, { fromVersion: from, limit: limit + 1 })) page.push(e);
      return finish(stream, version, page, limit);
    });
  } else {
    const page = opts.last === undefined ? { from: opts.from ?? 1, limit: opts.limit } : { last: opts.last };
    const answer = await live(w.socket).events({
      stream,
      ...page,
      ...(opts.type === undefined ? {} : { type: opts.type }),
      ...(opts.since === undefined ? {} : { since: opts.since }),
      ...(opts.until === undefined ? {} : { until: opts.until }),
    });
    result = { stream, version: null, events: answer.events, next: answer.next };
  }
  if (out.json) return out.data(result);
  out.table(
    ['version', 'position', 'type', 'timestamp', 'commandId', 'data'],
    result.events.map((e) => [
      e.version,
      e.position,
      e.type,
      e.timestamp,
      e.metadata.commandId ?? '',
      brief(e.data),
    ]),
    ['right', 'right'],
  );
  const first = result.events[0];
  const last = result.events.at(-1);
  const of = result.version === null ? '' : ` of ${count(result.version)}`;
  const matching = isFiltering(filter) ? ' matching' : '';
  if (first === undefined || last === undefined)
    out.note(`no${matching} events from version ${opts.from ?? 1}${of}`);
  else if (matching !== '')
    out.note(
      `${plural(result.events.length, 'matching event')} in versions ${first.version}..${last.version}${of}`,
    );
  else out.note(`versions ${first.version}..${last.version}${of}`);
  if (result.next !== null) {
    // As the user wrote it, so the line can be pasted back.
    const at = w.mode === 'offline' ? `--data ${opts.data}` : `--socket ${opts.socket}`;
    const filters = [
      opts.type === undefined ? '' : ` --type ${opts.type.join(',')}`,
      opts.since === undefined ? '' : ` --since ${opts.since}`,
      opts.until === undefined ? '' : ` --until ${opts.until}`,
      opts.upcast === true ? ` --upcast --module ${opts.module}` : '',
    ].join('');
    out.note(
      `next page: actorfold events ${stream} --from ${result.next} --limit ${opts.limit}${filters} ${at}`,
    );
  }
}

function finish(stream: string, version: number, page: EventEnvelope[], limit: number): EventsResult {
  const more = page.length > limit;
  const list = page.slice(0, limit);
  return { stream, version, events: list, next: more ? (list.at(-1)?.version ?? 0) + 1 : null };
}

/** The definition whose upcasters `--upcast` reads the stream with; undefined without `--upcast`. */
async function upcastingDefinition(
  stream: string,
  opts: EventsOptions,
  mode: 'offline' | 'live',
): Promise<AnyAggregate | undefined> {
  if (opts.upcast !== true) {
    if (opts.module !== undefined) throw new CliError(EXIT.USAGE, '--module is only used with --upcast');
    return undefined;
  }
  if (opts.module === undefined)
    throw new CliError(
      EXIT.USAGE,
      '--upcast needs --module <file>: the module exporting the definition whose upcasters read the events',
    );
  if (mode !== 'offline')
    throw new CliError(EXIT.USAGE, '--upcast reads a store folder: give --data, not --socket');
  // Only --upcast needs the runtime's definitions: imported here, the live form never loads them.
  const [{ parseStreamId }, { loadAggregates }] = await Promise.all([
    import('@actorfold/core'),
    import('../load-aggregates.js'),
  ]);
  const { aggregateType } = parseStreamId(stream);
  const defs = await loadAggregates(opts.module);
  const def = defs.get(aggregateType);
  if (def === undefined) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `${opts.module} exports no aggregate of type '${aggregateType}' (it has: ${[...defs.keys()].join(', ')})`,
    );
  }
  return def;
}

/**
 * A page of events as `def` reads them. A page holds whole stored events: the events one stored
 * event is upcast into are never split between pages, so `next` (a stored version) loses none.
 * With `last`, the newest `limit` events read.
 */
async function upcastPage(
  read: AsyncIterable<EventEnvelope>,
  def: AnyAggregate,
  match: ((e: EventEnvelope) => boolean) | undefined,
  limit: number,
  last: boolean,
): Promise<{ events: EventEnvelope[]; next: number | null }> {
  const { upcastEnvelope } = await import('@actorfold/core');
  let events: EventEnvelope[] = [];
  for await (const stored of read) {
    if (!last && events.length >= limit) return { events, next: stored.version };
    for (const e of upcastEnvelope(def, stored)) if (match === undefined || match(e)) events.push(e);
    if (last && events.length > limit) events = events.slice(-limit);
  }
  return { events, next: null };
}

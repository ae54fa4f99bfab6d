/** `actorfold streams`: the streams of a store with their event counts, filtered and paged. */
import { parseStreamId } from '@actorfold/core';
import { count, type Output, plural } from '../output.js';
import { progress } from '../progress.js';
import { live, type WhereOptions, where, withStore } from '../store-access.js';

export interface StreamsOptions extends WhereOptions {
  type?: string;
  prefix?: string;
  after?: string;
  limit: number;
  minEvents?: number;
}

/** The `--json` shape. `total` and `events` count every matching stream (offline only; null live). */
export interface StreamsResult {
  streams: Array<{ streamId: string; aggregateType: string; aggregateId: string; version: number }>;
  total: number | null;
  events: number | null;
  next: string | null;
}

export async function streams(opts: StreamsOptions, out: Output): Promise<void> {
  const w = where('streams', opts, { offline: true, live: true });
  const prefix = opts.type === undefined ? opts.prefix : `${opts.type}/${opts.prefix ?? ''}`;
  const result =
    w.mode === 'offline' ? await scan(w.data, prefix, opts, out.json) : await page(w.socket, prefix, opts);
  if (out.json) return out.data(result);
  out.table(
    ['stream', 'type', 'id', 'events'],
    result.streams.map((s) => [s.streamId, s.aggregateType, s.aggregateId, s.version]),
    ['left', 'left', 'left', 'right'],
  );
  const shown = result.streams.length;
  if (result.total !== null) {
    out.note(
      `${plural(result.total, 'stream')}, ${plural(result.events ?? 0, 'event')}${shown < result.total ? ` (showing ${count(shown)})` : ''}`,
    );
  }
  if (result.next !== null) out.note(`next page: --after ${JSON.stringify(result.next)}`);
}

/** Offline: one pass over every matching stream, counting them all, keeping the first `limit`. */
async function scan(
  data: string,
  prefix: string | undefined,
  opts: StreamsOptions,
  json: boolean,
): Promise<StreamsResult> {
  return withStore(data, `actorfold streams --socket <path>`, async (store) => {
    const bar = progress('scanning streams', { json });
    const result: StreamsResult = { streams: [], total: 0, events: 0, next: null };
    let total = 0;
    let events = 0;
    try {
      const listing = store.listStreams({
        ...(prefix === undefined ? {} : { prefix }),
        ...(opts.after === undefined ? {} : { after: opts.after }),
      });
      for await (const { streamId, version } of listing) {
        if (opts.minEvents !== undefined && version < opts.minEvents) continue;
        total++;
        events += version;
        if (result.streams.length < opts.limit) result.streams.push(row(streamId, version));
        else if (result.next === null) result.next = result.streams.at(-1)?.streamId ?? null;
        if (total % 1000 === 0) bar.update(total);
      }
    } finally {
      bar.stop();
    }
    result.total = total;
    result.events = events;
    return result;
  });
}

/** Live: pages from the daemon (which does not count the rest) until `limit` streams are kept. */
async function page(
  socket: string,
  prefix: string | undefined,
  opts: StreamsOptions,
): Promise<StreamsResult> {
  const client = live(socket);
  const kept: StreamsResult['streams'] = [];
  let after = opts.after;
  let more = false;
  // --min-events filters after the daemon pages, so one page may not fill the limit.
  for (;;) {
    const answer = await client.streams({
      ...(prefix === undefined ? {} : { prefix }),
      ...(after === undefined ? {} : { after }),
      limit: opts.limit,
    });
    for (const s of answer.streams) {
      if (opts.minEvents !== undefined && s.version < opts.minEvents) continue;
      if (kept.length === opts.limit) {
        more = true;
        break;
      }
      kept.push(row(s.streamId, s.version));
    }
    if (more || answer.next === null) break;
    if (kept.length === opts.limit) {
      more = true;
      break;
    }
    after = answer.next;
  }
  return { streams: kept, total: null, events: null, next: more ? (kept.at(-1)?.streamId ?? null) : null };
}

function row(streamId: string, version: number) {
  return { streamId, ...parseStreamId(streamId), version };
}

/** `actorfold stats`: the size of a store folder (offline) or a daemon's counters (live). */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatsView } from '@actorfold/admin/client';
import { bytes, count, duration, type Output } from '../output.js';
import { progress } from '../progress.js';
import { live, type WhereOptions, where, withStore } from '../store-access.js';

/** The offline `--json` shape. */
export interface StoreStats {
  path: string;
  streams: number;
  events: number;
  snapshots: number;
  streamsWithSnapshots: number;
  /** Per aggregate type: streams and events. */
  aggregateTypes: Record<string, { streams: number; events: number }>;
  /** The largest streams, most events first. */
  largestStreams: Array<{ streamId: string; version: number }>;
  /** Bytes of the folder's files on disk. */
  diskBytes: number;
}

export async function stats(opts: WhereOptions, out: Output): Promise<void> {
  const w = where('stats', opts, { offline: true, live: true });
  if (w.mode === 'live') return printLive(await live(w.socket).stats(), out);
  const result = await withStore(w.data, 'actorfold stats --socket <path>', async (store) => {
    // Loaded with the store (which loads it anyway), never by the live form.
    const { parseStreamId } = await import('@actorfold/core');
    const s: StoreStats = {
      path: store.path,
      streams: 0,
      events: 0,
      snapshots: 0,
      streamsWithSnapshots: 0,
      aggregateTypes: {},
      largestStreams: [],
      diskBytes: await folderBytes(store.path),
    };
    const bar = progress('scanning streams', { json: out.json });
    try {
      for await (const { streamId, version } of store.listStreams()) {
        s.streams++;
        s.events += version;
        const type = parseStreamId(streamId).aggregateType;
        const t = s.aggregateTypes[type] ?? { streams: 0, events: 0 };
        s.aggregateTypes[type] = t;
        t.streams++;
        t.events += version;
        const kept = (await store.snapshots.list(streamId)).length;
        s.snapshots += kept;
        if (kept > 0) s.streamsWithSnapshots++;
        keepLargest(s.largestStreams, { streamId, version }, 5);
        if (s.streams % 100 === 0) bar.update(s.streams);
      }
    } finally {
      bar.stop();
    }
    return s;
  });
  if (out.json) return out.data(result);
  out.pairs([
    ['folder', result.path],
    ['size on disk', bytes(result.diskBytes)],
    ['streams', count(result.streams)],
    ['events', count(result.events)],
    ['snapshots', `${count(result.snapshots)} (${count(result.streamsWithSnapshots)} streams have one)`],
  ]);
  out.line();
  out.table(
    ['aggregate type', 'streams', 'events'],
    Object.entries(result.aggregateTypes).map(([type, t]) => [type, t.streams, t.events]),
    ['left', 'right', 'right'],
  );
  out.line();
  out.table(
    ['largest streams', 'events'],
    result.largestStreams.map((l) => [l.streamId, l.version]),
    ['left', 'right'],
  );
}

function printLive(s: StatsView, out: Output): void {
  if (out.json) {
    out.data(s);
    return;
  }
  const r = s.runtime;
  out.pairs([
    ['daemon pid', String(s.pid)],
    ['up for', duration(s.uptimeMs)],
    ['aggregate types', s.aggregateTypes.join(', ')],
    [
      'live actors',
      `${count(r.liveActors)} (${count(r.idleActors)} idle, ${count(r.activatingActors)} activating)`,
    ],
    ['mailbox depth', count(r.mailboxDepth)],
    [
      'commands',
      `${count(r.commandsOk)} ok, ${count(r.commandsRejected)} rejected, ${count(r.commandsFailed)} failed`,
    ],
    ['events appended', count(r.eventsAppended)],
    [
      'activations / evictions / crashes',
      `${count(r.activations)} / ${count(r.evictions)} / ${count(r.crashes)}`,
    ],
    ['snapshots saved', count(r.snapshotSaves)],
    ...Object.entries(s.store ?? {}).map(([k, v]): [string, string] => [`store ${k}`, count(v)]),
  ]);
}

/** Keeps `list` as the `n` largest streams, largest first. */
function keepLargest(
  list: Array<{ streamId: string; version: number }>,
  item: { streamId: string; version: number },
  n: number,
) {
  if (list.length === n && (list.at(-1)?.version ?? 0) >= item.version) return;
  list.push(item);
  list.sort((a, b) => b.version - a.version);
  if (list.length > n) list.pop();
}

async function folderBytes(path: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name))).size;
  return total;
}

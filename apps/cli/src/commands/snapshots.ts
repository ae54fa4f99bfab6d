/** `actorfold snapshots <stream>`: the snapshots kept for one stream, newest first. */
import type { Snapshot } from '@actorfold/core';
import { CliError, EXIT } from '../cli-error.js';
import { bytes, type Output } from '../output.js';
import { live, type WhereOptions, where, withStore } from '../store-access.js';

/** The `--json` shape: the stream's head version and every kept snapshot, state included. */
export interface SnapshotsResult {
  stream: string;
  version: number;
  snapshots: Snapshot[];
}

export async function snapshots(stream: string, opts: WhereOptions, out: Output): Promise<void> {
  const w = where('snapshots', opts, { offline: true, live: true });
  let result: SnapshotsResult;
  if (w.mode === 'offline') {
    result = await withStore(w.data, `actorfold snapshots ${stream} --socket <path>`, async (store) => {
      const version = await store.streamVersion(stream);
      if (version === 0)
        throw new CliError(
          EXIT.NOT_FOUND,
          `stream ${stream} has no events`,
          'list them with actorfold streams',
        );
      return { stream, version, snapshots: await store.snapshots.list(stream) };
    });
  } else {
    const answer = await live(w.socket).snapshots(stream);
    result = { stream, version: answer.version, snapshots: answer.snapshots };
  }
  if (out.json) return out.data(result);
  out.table(
    ['version', 'schema', 'timestamp', 'state size', 'commandIds remembered'],
    result.snapshots.map((s) => [
      s.version,
      s.schemaVersion,
      s.timestamp,
      bytes(Buffer.byteLength(JSON.stringify(s.state) ?? '')),
      s.runtime?.dedupe?.length ?? 0,
    ]),
    ['right', 'right', 'left', 'right', 'right'],
  );
  const newest = result.snapshots[0];
  out.note(
    newest === undefined
      ? `${stream} (version ${result.version}) has no snapshot: recovery replays the whole stream`
      : `${result.snapshots.length} kept; the stream is at version ${result.version}, ${result.version - newest.version} events after the newest snapshot`,
  );
}

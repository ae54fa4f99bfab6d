/**
 * Snapshots in their own key space, `n<streamId>\0<version>`: the newest is the last key of the
 * stream's range (one reverse scan), and pruning to the newest `keep` is one batch with the save.
 */
import {
  assertSnapshot,
  assertSnapshotSaveOptions,
  assertStreamId,
  CorruptData,
  type Snapshot,
  type SnapshotStore,
  toJson,
} from '@actorfold/core';
import { hexAtEnd, snapshotEnd, snapshotKey, snapshotStart } from './keys.js';
import type { LevelHandle } from './level-handle.js';

export function levelSnapshots(h: LevelHandle): SnapshotStore {
  async function entries(streamId: string, limit: number): Promise<Array<[string, string]>> {
    return h.io('reading snapshots', () =>
      h.db.iterator({ gte: snapshotStart(streamId), lt: snapshotEnd(streamId), reverse: true, limit }).all(),
    );
  }

  /** The stream's snapshot keys, newest first. */
  async function keys(streamId: string): Promise<string[]> {
    return h.io('reading snapshots', () =>
      h.db.keys({ gte: snapshotStart(streamId), lt: snapshotEnd(streamId), reverse: true }).all(),
    );
  }

  function decode(streamId: string, key: string, text: string): Snapshot {
    const version = hexAtEnd(key);
    let snapshot: unknown;
    try {
      snapshot = JSON.parse(text);
    } catch (cause) {
      throw new CorruptData(streamId, version, 'the stored snapshot is not valid JSON', { cause });
    }
    const s = snapshot as Partial<Snapshot> | null;
    if (typeof s !== 'object' || s === null || s.streamId !== streamId || s.version !== version) {
      throw new CorruptData(streamId, version, 'the stored snapshot does not match its key');
    }
    return s as Snapshot;
  }

  function checkedId(streamId: unknown): string {
    h.ensureOpen();
    assertStreamId(streamId);
    return streamId;
  }

  return {
    async save(snapshot, opts) {
      h.ensureOpen();
      assertSnapshot(snapshot);
      const keep = assertSnapshotSaveOptions(opts);
      const { streamId, version } = snapshot;
      const json = toJson(snapshot, `${streamId}: snapshot`);
      const key = snapshotKey(streamId, version);
      const kept = await keys(streamId);
      // Newest first, as the memory store ranks them; a version saved again replaces itself.
      const ranked = kept.includes(key) ? kept : [...kept, key].sort().reverse();
      const drop = ranked.slice(keep);
      await h.write('saving a snapshot', async () => {
        const batch = h.db.batch();
        if (!drop.includes(key)) batch.put(key, json);
        for (const k of drop) batch.del(k);
        await batch.write({ sync: h.sync });
      });
    },
    async load(streamId) {
      const id = checkedId(streamId);
      const [newest] = await entries(id, 1);
      return newest === undefined ? undefined : decode(id, newest[0], newest[1]);
    },
    async list(streamId) {
      const id = checkedId(streamId);
      return (await entries(id, -1)).map(([key, text]) => decode(id, key, text));
    },
    async delete(streamId) {
      const id = checkedId(streamId);
      const kept = await keys(id);
      await h.write('deleting snapshots', async () => {
        const batch = h.db.batch();
        for (const k of kept) batch.del(k);
        await batch.write({ sync: h.sync });
      });
    },
  };
}

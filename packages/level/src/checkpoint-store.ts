/** Checkpoints of named consumers (projections), one key each: `c<name>` → decimal position. */
import { assertCheckpoint, assertCheckpointName, type CheckpointStore, CorruptData } from '@actorfold/core';
import { checkpointKey } from './keys.js';
import type { LevelHandle } from './level-handle.js';

export function levelCheckpoints(h: LevelHandle): CheckpointStore {
  return {
    async get(name) {
      h.ensureOpen();
      assertCheckpointName(name);
      const text = await h.io('reading a checkpoint', () => h.db.get(checkpointKey(name)));
      if (text === undefined) return undefined;
      const position = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(position)) {
        throw new CorruptData(
          `checkpoint:${name}`,
          0,
          `the stored checkpoint ${JSON.stringify(text)} is not a position`,
        );
      }
      return position;
    },
    async set(name, position) {
      h.ensureOpen();
      assertCheckpoint(name, position);
      await h.io('saving a checkpoint', () =>
        h.db.put(checkpointKey(name), String(position), { sync: h.sync }),
      );
    },
  };
}

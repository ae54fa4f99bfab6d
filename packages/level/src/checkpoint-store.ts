/**
 * Checkpoints of named consumers (projections), one key each, `c<name>`: the decimal position
 * (`set`), or `{"position":N,"state":…}` (`setState`). Position and read-model state share one
 * value, so saving both is one atomic write.
 */
import {
  assertCheckpoint,
  assertCheckpointName,
  type CheckpointStore,
  CorruptData,
  toJson,
} from '@actorfold/core';
import { checkpointKey } from './keys.js';
import type { LevelHandle } from './level-handle.js';

export function levelCheckpoints(h: LevelHandle): CheckpointStore {
  async function read(name: unknown): Promise<{ position: number; state: unknown } | undefined> {
    h.ensureOpen();
    assertCheckpointName(name);
    const text = await h.io('reading a checkpoint', () => h.db.get(checkpointKey(name)));
    if (text === undefined) return undefined;
    if (/^\d+$/.test(text)) return { position: Number(text), state: undefined };
    let parsed: { position?: unknown; state?: unknown } | undefined;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const position = parsed?.position;
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
      throw new CorruptData(
        `checkpoint:${name}`,
        0,
        `the stored checkpoint ${JSON.stringify(text.slice(0, 80))} is not a position`,
      );
    }
    return { position, state: parsed?.state };
  }

  return {
    async get(name) {
      return (await read(name))?.position;
    },
    async set(name, position) {
      h.ensureOpen();
      assertCheckpoint(name, position);
      await h.write('saving a checkpoint', () =>
        h.db.put(checkpointKey(name), String(position), { sync: h.sync }),
      );
    },
    getState: read,
    async setState(name, position, state) {
      h.ensureOpen();
      assertCheckpoint(name, position);
      const json = `{"position":${position},"state":${toJson(state, `checkpoint '${name}': state`)}}`;
      await h.write('saving a checkpoint', () => h.db.put(checkpointKey(name), json, { sync: h.sync }));
    },
    async delete(name) {
      h.ensureOpen();
      assertCheckpointName(name);
      await h.write('deleting a checkpoint', () => h.db.del(checkpointKey(name), { sync: h.sync }));
    },
  };
}

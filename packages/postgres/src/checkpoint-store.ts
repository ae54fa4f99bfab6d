/**
 * Checkpoints: one row per consumer, position and (for exactly-once projections) the read model
 * as JSON text in the same row, so `setState` writes both atomically.
 */
import {
  assertCheckpoint,
  assertCheckpointName,
  type CheckpointStore,
  CorruptData,
  toJson,
} from '@actorfold/core';
import type { StoreContext } from './store-context.js';

interface CheckpointRow {
  position: string;
  state: string | null;
}

export function postgresCheckpoints(ctx: StoreContext): CheckpointStore {
  const table = ctx.names.checkpoints;
  const checkName = (name: unknown): string => {
    ctx.ensureOpen();
    assertCheckpointName(name);
    return name;
  };
  const read = (name: string): Promise<CheckpointRow | undefined> =>
    ctx.io(`reading checkpoint '${name}'`, async () => {
      const { rows } = await ctx.pool.query<CheckpointRow>(
        `SELECT position, state FROM ${table} WHERE name = $1`,
        [name],
      );
      return rows[0];
    });
  const write = (name: string, position: number, state: string | null): Promise<unknown> =>
    ctx.io(`saving checkpoint '${name}'`, () =>
      ctx.pool.query(
        `INSERT INTO ${table} (name, position, state) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, state = EXCLUDED.state`,
        [name, position, state],
      ),
    );
  return {
    async get(name) {
      const row = await read(checkName(name));
      return row === undefined ? undefined : Number(row.position);
    },
    async set(name, position) {
      ctx.ensureOpen();
      assertCheckpoint(name, position);
      await write(name, position, null);
    },
    async getState(name) {
      const n = checkName(name);
      const row = await read(n);
      if (row === undefined) return undefined;
      const position = Number(row.position);
      if (row.state === null) return { position, state: undefined };
      try {
        return { position, state: JSON.parse(row.state) as unknown };
      } catch (e) {
        throw new CorruptData(
          `checkpoint:${n}`,
          position,
          `the saved state is not valid JSON: ${String(e)}`,
          {
            cause: e,
          },
        );
      }
    },
    async setState(name, position, state) {
      ctx.ensureOpen();
      assertCheckpoint(name, position);
      await write(name, position, toJson(state, `checkpoint '${name}': state`));
    },
    async delete(name) {
      const n = checkName(name);
      await ctx.io(`deleting checkpoint '${n}'`, () =>
        ctx.pool.query(`DELETE FROM ${table} WHERE name = $1`, [n]),
      );
    },
  };
}

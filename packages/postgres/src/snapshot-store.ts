/**
 * Snapshots: one row per (stream, version), the whole snapshot as JSON text. A save and the
 * pruning of all but the newest `keep` run in one transaction. A row that does not decode, or
 * does not match its key, raises CorruptData (the runtime then replays in full: invariant 7).
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
import type { StoreContext } from './store-context.js';

export function postgresSnapshots(ctx: StoreContext): SnapshotStore {
  const table = ctx.names.snapshots;
  const checkId = (streamId: unknown): string => {
    ctx.ensureOpen();
    assertStreamId(streamId);
    return streamId;
  };
  return {
    async save(snapshot, opts) {
      ctx.ensureOpen();
      assertSnapshot(snapshot);
      const keep = assertSnapshotSaveOptions(opts);
      const body = toJson(snapshot, `${snapshot.streamId}: snapshot`);
      await ctx.io(`saving a snapshot of ${snapshot.streamId}`, async () => {
        const client = await ctx.pool.connect();
        let failed: Error | undefined;
        try {
          await client.query('BEGIN');
          await client.query(
            `INSERT INTO ${table} (stream_id, version, body) VALUES ($1, $2, $3)
             ON CONFLICT (stream_id, version) DO UPDATE SET body = EXCLUDED.body`,
            [snapshot.streamId, snapshot.version, body],
          );
          await client.query(
            `DELETE FROM ${table} WHERE stream_id = $1 AND version <
               (SELECT version FROM ${table} WHERE stream_id = $1 ORDER BY version DESC OFFSET $2 LIMIT 1)`,
            [snapshot.streamId, keep - 1],
          );
          await client.query('COMMIT');
        } catch (e) {
          failed = e instanceof Error ? e : new Error(String(e));
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          client.release(failed);
        }
      });
    },
    async load(streamId) {
      const id = checkId(streamId);
      const rows = await ctx.io(`loading the snapshot of ${id}`, async () => {
        const { rows } = await ctx.pool.query<{ version: string; body: string }>(
          `SELECT version, body FROM ${table} WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`,
          [id],
        );
        return rows;
      });
      return rows[0] === undefined ? undefined : decode(id, rows[0]);
    },
    async list(streamId) {
      const id = checkId(streamId);
      const rows = await ctx.io(`listing the snapshots of ${id}`, async () => {
        const { rows } = await ctx.pool.query<{ version: string; body: string }>(
          `SELECT version, body FROM ${table} WHERE stream_id = $1 ORDER BY version DESC`,
          [id],
        );
        return rows;
      });
      return rows.map((row) => decode(id, row));
    },
    async delete(streamId) {
      const id = checkId(streamId);
      await ctx.io(`deleting the snapshots of ${id}`, () =>
        ctx.pool.query(`DELETE FROM ${table} WHERE stream_id = $1`, [id]),
      );
    },
  };
}

function decode(streamId: string, row: { version: string; body: string }): Snapshot {
  const version = Number(row.version);
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(row.body);
  } catch (e) {
    throw new CorruptData(streamId, version, `the snapshot is not valid JSON: ${String(e)}`, { cause: e });
  }
  const s = snapshot as Partial<Snapshot> | null;
  if (typeof s !== 'object' || s === null || s.streamId !== streamId || s.version !== version) {
    throw new CorruptData(streamId, version, 'the stored snapshot does not match its stream and version');
  }
  return s as Snapshot;
}

/**
 * Failures and damage: the unique (stream, version) constraint as the final guard, damaged rows
 * reported as CORRUPT_DATA, an unreachable server, a session that is not READ COMMITTED, and
 * values PostgreSQL text cannot hold.
 */
import { createServer } from 'node:net';
import { isRetryable, isVersionConflict } from '@actorfold/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

describe.skipIf(skipReason !== undefined)(`postgresStore failures and damage ${skipReason ?? ''}`, () => {
  let url: string;
  let admin: pg.Client;
  beforeAll(async () => {
    url = await freshDatabase('errors');
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  async function open(): Promise<PostgresStore> {
    return postgresStore({ connectionString: url, schema: freshSchema('e'), migrate: true });
  }

  it('answers VERSION_CONFLICT when the unique (stream, version) constraint stops a write, failing that append alone', async () => {
    const store = await open();
    try {
      // A writer that bypasses the append function inserts version 1 and has not committed yet.
      await admin.query('BEGIN');
      await admin.query(
        `INSERT INTO ${store.schema}.events (position, stream_id, version, type, data, metadata, schema_version, event_timestamp)
         VALUES (1000, 'x/1', 1, 'Rogue', '{"type":"Rogue"}', '{}', 1, 't')`,
      );
      // Queued in one tick: one batch, whose x/1 insert waits on the rogue row's unique key.
      const racing = store.append('x/1', [{ data: { type: 'Mine' } }], { expectedVersion: 0 });
      const neighbour = store.append('y/1', [{ data: { type: 'Fine' } }], { expectedVersion: 0 });
      const outcome = Promise.allSettled([racing, neighbour]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await admin.query('COMMIT');
      const [x, y] = await outcome;
      expect(x?.status).toBe('rejected');
      const error = (x as PromiseRejectedResult).reason;
      expect(isVersionConflict(error)).toBe(true);
      expect(error).toMatchObject({ streamId: 'x/1', expected: 0, actual: 1 });
      expect(y).toMatchObject({ status: 'fulfilled', value: [{ streamId: 'y/1', version: 1 }] });
      expect(store.stats().conflicts).toBe(1);
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await store.close();
    }
  });

  it('reports damaged events, snapshots and checkpoint states as CORRUPT_DATA naming what is damaged', async () => {
    const store = await open();
    const s = store.schema;
    try {
      await store.append(
        'a/1',
        [1, 2, 3].map((n) => ({ data: { type: 'E', n } })),
        { expectedVersion: 0 },
      );
      await store.append('b/1', [{ data: { type: 'E' } }], { expectedVersion: 0 });
      await admin.query(
        `UPDATE ${s}.events SET data = '{"type":"E",' WHERE stream_id = 'a/1' AND version = 2`,
      );
      await expect(collect(store.readStream('a/1'))).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        streamId: 'a/1',
        version: 2,
      });
      await admin.query(`DELETE FROM ${s}.events WHERE stream_id = 'a/1' AND version = 2`);
      await expect(collect(store.readStream('a/1'))).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        version: 2,
      });
      await expect(collect(store.readAll())).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        streamId: 'a/1',
        version: 3,
      });
      await store.snapshots.save({
        streamId: 'a/1',
        version: 1,
        schemaVersion: 1,
        state: {},
        timestamp: 't',
      });
      await admin.query(`UPDATE ${s}.snapshots SET body = 'garbage'`);
      await expect(store.snapshots.load('a/1')).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        streamId: 'a/1',
      });
      await store.checkpoints.setState?.('p', 1, { ok: true });
      await admin.query(`UPDATE ${s}.checkpoints SET state = '{'`);
      await expect(store.checkpoints.getState?.('p')).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        streamId: 'checkpoint:p',
      });
    } finally {
      await store.close();
    }
  });

  it('fails to open with STORE_ERROR reason CONNECTION (retryable) when PostgreSQL cannot be reached', async () => {
    const port = await closedPort();
    const error = await postgresStore({
      connectionString: `postgres://postgres:secret@127.0.0.1:${port}/none`,
      schema: 'x',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'CONNECTION' });
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).not.toContain('secret');
  });

  it('refuses to append in a session that is not READ COMMITTED, saying why', async () => {
    const schema = freshSchema('e');
    await migrate({ connectionString: url, schema });
    const pool = new pg.Pool({
      connectionString: url,
      options: '-c default_transaction_isolation=serializable',
    });
    const store = await postgresStore({ pool, schema });
    try {
      const error = await store
        .append('a/1', [{ data: { type: 'A' } }], { expectedVersion: 0 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'IO' });
      expect((error as Error).message).toContain('READ COMMITTED');
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('refuses stream ids, event types and checkpoint names that PostgreSQL text cannot hold', async () => {
    const store = await open();
    try {
      const bad = { code: 'INVALID_ARGUMENT' };
      await expect(
        store.append('a/\u0000', [{ data: { type: 'A' } }], { expectedVersion: 0 }),
      ).rejects.toMatchObject(bad);
      await expect(
        store.append('a/\ud800', [{ data: { type: 'A' } }], { expectedVersion: 0 }),
      ).rejects.toMatchObject(bad);
      await expect(
        store.append('a/1', [{ data: { type: 'A\u0000' } }], { expectedVersion: 0 }),
      ).rejects.toMatchObject(bad);
      await expect(store.checkpoints.set('p\u0000', 1)).rejects.toMatchObject(bad);
      expect(await store.streamVersion('a/1')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('acknowledges an event only as every read gives it back: its type from its stored JSON, JSON that is no event refused', async () => {
    const store = await open();
    try {
      const bad = { code: 'INVALID_ARGUMENT' };
      // Each of these was acknowledged, and every later read of its stream failed with CORRUPT_DATA.
      for (const [i, event] of [
        { data: { type: 'A', toJSON: () => 'a string' } },
        { data: { type: 'A', toJSON: () => ({ no: 'type' }) } },
        { data: Object.create({ type: 'A' }) as { type: string } },
        { data: { type: 'A' }, metadata: { toJSON: () => [1] } },
      ].entries()) {
        await expect(store.append(`refused/${i}`, [event], { expectedVersion: 0 })).rejects.toMatchObject(
          bad,
        );
        expect(await store.streamVersion(`refused/${i}`)).toBe(0);
      }
      let calls = 0;
      const counting = {
        get type() {
          calls++;
          return `T${calls}`;
        },
      };
      const acknowledged = await store.append(
        'kept/1',
        [
          { data: { type: 'A', toJSON: () => ({ type: 'B', n: 1 }) } as { type: string } },
          { data: counting },
        ],
        { expectedVersion: 0 },
      );
      const read = await collect(store.readStream('kept/1'));
      expect(read).toEqual(acknowledged);
      // The type read back is the stored data's, whatever the object answered while it was encoded.
      expect(read.map((e) => e.type)).toEqual(read.map((e) => e.data.type));
      expect(read[0]?.type).toBe('B');
      expect(await collect(store.readAll())).toEqual(acknowledged);
    } finally {
      await store.close();
    }
  });

  it('refuses stream ids, checkpoint names and timer names over 1,024 UTF-8 bytes (index keys), failing that append alone', async () => {
    const store = await open();
    try {
      // Incompressible: PostgreSQL compresses long index keys, so 'x'.repeat(5000) would still fit.
      const noise = (n: number, seed: number) => {
        let x = seed;
        return Array.from({ length: n }, () => {
          x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0; // an LCG's high bits: no pattern pglz finds
          return String.fromCharCode(33 + ((x >>> 16) % 94));
        }).join('');
      };
      const longId = `long/${noise(3000, 1)}`;
      const edgeId = `edge/${'é'.repeat(509)}`; // 5 + 1,018 bytes: the longest kind still accepted
      const bad = { status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } };
      // Issued together: these used to fail their whole batch with STORE_ERROR ("index row size exceeds").
      const settled = await Promise.allSettled([
        store.append(longId, [{ data: { type: 'A' } }], { expectedVersion: 0 }),
        store.append('neighbour/1', [{ data: { type: 'A' } }], { expectedVersion: 0 }),
        store.append(edgeId, [{ data: { type: 'A' } }], { expectedVersion: 0 }),
        store.append('timed/1', [{ data: { type: 'A' } }], {
          expectedVersion: 0,
          timers: [
            {
              op: 'schedule',
              timer: {
                streamId: 'timed/1',
                name: noise(2000, 2),
                dueAt: 1,
                version: 1,
                missed: 'fire',
                command: { type: 'C' },
              },
            },
          ],
        }),
      ]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'rejected']);
      expect(settled[0]).toMatchObject(bad);
      expect(settled[3]).toMatchObject(bad);
      expect(await store.streamVersion('timed/1')).toBe(0);
      await expect(store.checkpoints.set(noise(1500, 3), 1)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(
        store.snapshots.save({ streamId: longId, version: 1, schemaVersion: 1, state: 1, timestamp: 't' }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      // Reads of such an id find nothing, as for any stream never written.
      expect(await store.streamVersion(longId)).toBe(0);
      expect(await collect(store.readStream(longId))).toEqual([]);
      expect(await store.snapshots.load(longId)).toBeUndefined();
      expect((await collect(store.readStream(edgeId)))[0]?.streamId).toBe(edgeId);
    } finally {
      await store.close();
    }
  });

  it('refuses a schemaVersion its integer column cannot hold, failing that append alone, not the appends batched with it', async () => {
    const store = await open();
    try {
      // Issued together: one batch, one statement. The out-of-range value used to fail the
      // statement, and with it every append of the batch, with STORE_ERROR.
      const [neighbour, tooLarge, edge] = await Promise.allSettled([
        store.append('batch/a', [{ data: { type: 'A' } }], { expectedVersion: 0 }),
        store.append('batch/b', [{ data: { type: 'B' }, schemaVersion: 2 ** 31 }], { expectedVersion: 0 }),
        store.append('batch/c', [{ data: { type: 'C' }, schemaVersion: 2 ** 31 - 1 }], {
          expectedVersion: 0,
        }),
      ]);
      expect(neighbour.status).toBe('fulfilled');
      expect(tooLarge).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } });
      expect(edge).toMatchObject({ status: 'fulfilled', value: [{ schemaVersion: 2 ** 31 - 1 }] });
      expect(await store.streamVersion('batch/b')).toBe(0);
      const [stored] = await collect(store.readStream('batch/c'));
      expect(stored?.schemaVersion).toBe(2 ** 31 - 1);
    } finally {
      await store.close();
    }
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1));
    });
  });
}

/**
 * A database written by schema version 2 (the previous package: its append function holds the
 * order lock and notifies through the WAL flush; timers written with the events) migrates
 * forward with `migrate()`: everything written before reads back unchanged (events, checkpoint,
 * timer), appends continue the same contiguous log, and nodes of the previous package keep
 * appending into one gap-free order with the new ones (a rolling upgrade).
 */
import type { EventEnvelope } from '@actorfold/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, postgresStore, SCHEMA_VERSION } from '../src/index.js';
import { migrateTo } from '../src/migrations.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

/** One append through schema versions 1 and 2's function, as the previous package made it. */
async function appendV1(
  db: pg.Client,
  schema: string,
  streamId: string,
  expected: number,
  types: string[],
): Promise<{ matched: boolean; head: string; first_position: string | null }> {
  const { rows } = await db.query(
    `SELECT matched, head, first_position FROM ${schema}.append_events($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      [streamId],
      [expected],
      [types.length],
      types,
      types.map((type, i) => JSON.stringify({ type, n: i })),
      types.map(() => JSON.stringify({ commandId: `${streamId}-${expected}` })),
      types.map(() => 1),
      types.map(() => '2024-05-01T10:00:00.000Z'),
    ],
  );
  return rows[0];
}

describe.skipIf(skipReason !== undefined)(`upgrading a schema version 2 database ${skipReason ?? ''}`, () => {
  let url: string;
  let db: pg.Client;
  beforeAll(async () => {
    url = await freshDatabase('upgrade');
    db = new pg.Client({ connectionString: url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
  });

  it('reads back everything written before, continues the log, and orders old and new nodes together', async () => {
    const schema = freshSchema('u');
    expect(await migrateTo({ connectionString: url, schema }, 2)).toMatchObject({ from: 0, to: 2 });
    // Written as version 2 wrote: three streams, multi-event appends, a conflict, a checkpoint, a timer.
    expect(await appendV1(db, schema, 'account/a', 0, ['Opened', 'Deposited'])).toEqual({
      matched: true,
      head: '2',
      first_position: '1',
    });
    await appendV1(db, schema, 'account/b', 0, ['Opened']);
    await appendV1(db, schema, 'account/a', 2, ['Withdrawn']);
    expect((await appendV1(db, schema, 'account/b', 0, ['Opened'])).matched).toBe(false);
    await appendV1(db, schema, 'order/1', 0, ['Placed', 'Paid', 'Shipped']);
    await db.query(
      `INSERT INTO ${schema}.checkpoints (name, position, state) VALUES ('report', 4, '{"n":4}')`,
    );
    await db.query(
      `INSERT INTO ${schema}.timers (stream_id, name, due_at, version, command, metadata, missed)
       VALUES ('order/1', 'ship', 50, 3, '{"type":"Ship"}', '{}', 'fire')`,
    );
    const before = (await db.query(`SELECT * FROM ${schema}.events ORDER BY position`)).rows;
    expect(before.map((r) => Number(r.position))).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // The previous schema does not open with this package until migrated.
    await expect(postgresStore({ connectionString: url, schema })).rejects.toThrow(
      `schema ${schema} is at version 2, this @actorfold/postgres needs ${SCHEMA_VERSION}`,
    );
    const result = await migrate({ connectionString: url, schema });
    expect(result).toMatchObject({ from: 2, to: SCHEMA_VERSION });
    expect(result.applied.map((m) => m.version)).toEqual([3, 4]);

    const store = await postgresStore({ connectionString: url, schema });
    try {
      // Everything reads back as it was written.
      const all = await collect(store.readAll());
      expect(all.map((e) => [e.position, e.streamId, e.version, e.type])).toEqual([
        [1, 'account/a', 1, 'Opened'],
        [2, 'account/a', 2, 'Deposited'],
        [3, 'account/b', 1, 'Opened'],
        [4, 'account/a', 3, 'Withdrawn'],
        [5, 'order/1', 1, 'Placed'],
        [6, 'order/1', 2, 'Paid'],
        [7, 'order/1', 3, 'Shipped'],
      ]);
      expect(all[1]).toMatchObject({
        data: { type: 'Deposited', n: 1 },
        metadata: { commandId: 'account/a-0' },
        timestamp: '2024-05-01T10:00:00.000Z',
        schemaVersion: 1,
        aggregateType: 'account',
        aggregateId: 'a',
      });
      expect((await collect(store.readStream('order/1'))).map((e) => e.version)).toEqual([1, 2, 3]);
      expect(await store.streamVersion('account/a')).toBe(3);
      expect(await store.lastPosition()).toBe(7);
      expect(await store.checkpoints.get('report')).toBe(4);
      expect(await store.checkpoints.getState?.('report')).toEqual({ position: 4, state: { n: 4 } });
      expect(await store.timers.due(50, 10)).toMatchObject([
        {
          streamId: 'order/1',
          name: 'ship',
          dueAt: 50,
          version: 3,
          missed: 'fire',
          command: { type: 'Ship' },
        },
      ]);
      const after = (await db.query(`SELECT * FROM ${schema}.events ORDER BY position`)).rows;
      expect(after).toEqual(before);

      // New appends continue the log; the version check still sees the old events.
      const [c] = await store.append('account/a', [{ data: { type: 'Deposited' } }], { expectedVersion: 3 });
      expect([c?.position, c?.version]).toEqual([8, 4]);
      await expect(
        store.append('account/b', [{ data: { type: 'Closed' } }], { expectedVersion: 0 }),
      ).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });

      // A node still running the previous package, appending while new nodes do: one order.
      const old = appendV1(db, schema, 'account/b', 1, ['Closed']);
      const fresh = Promise.all([
        store.append('order/2', [{ data: { type: 'Placed' } }], { expectedVersion: 0 }),
        store.append('order/1', [{ data: { type: 'Returned' } }], { expectedVersion: 3 }),
      ]);
      expect((await old).matched).toBe(true);
      await fresh;
      const log = await collect(store.readAll());
      expect(log.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(
        log
          .slice(8)
          .map((e) => `${e.streamId}@${e.version}`)
          .sort(),
      ).toEqual(['account/b@2', 'order/1@4', 'order/2@1']);
    } finally {
      await store.close();
    }
  });

  it('keeps a timer command as written, and a node of the previous package that rewrites it (jsonb only) is read as it wrote it', async () => {
    const schema = freshSchema('u');
    const store = await postgresStore({ connectionString: url, schema, migrate: true });
    try {
      // Key order as written: jsonb alone would give {"b":…,"zeta":…,"type":…,"alpha":…}.
      const command = { type: 'Ship', zeta: 1, alpha: { y: 1, x: 2 }, b: 'b' };
      const metadata = { z: 1, a: 2 };
      const timer = {
        streamId: 'order/1',
        name: 'ship',
        dueAt: 50,
        version: 1,
        missed: 'fire' as const,
        command,
        metadata,
      };
      await store.append('order/1', [{ data: { type: 'Placed' } }], {
        expectedVersion: 0,
        timers: [{ op: 'schedule', timer }],
      });
      const [due] = await store.timers.due(50, 10);
      expect(JSON.stringify(due?.command)).toBe(JSON.stringify(command));
      expect(JSON.stringify(due?.metadata)).toBe(JSON.stringify(metadata));
      const [claimed] = await store.timers.claim(50, 10, 'node-a', 1000);
      expect(JSON.stringify(claimed?.command)).toBe(JSON.stringify(command));
      expect(
        await store.timers.reschedule('order/1', 'ship', 1, 60, { type: 'Ship', try: 2, a: 0 } as {
          type: string;
        }),
      ).toBe(true);
      expect(JSON.stringify((await store.timers.get('order/1', 'ship'))?.command)).toBe(
        '{"type":"Ship","try":2,"a":0}',
      );

      // The previous package's reschedule and upsert set only the jsonb columns.
      await db.query(`UPDATE ${schema}.timers SET command = '{"type":"Old","n":1}' WHERE name = 'ship'`);
      expect((await store.timers.get('order/1', 'ship'))?.command).toEqual({ type: 'Old', n: 1 });
      await db.query(
        `INSERT INTO ${schema}.timers (stream_id, name, due_at, version, command, metadata, missed)
         VALUES ('order/1', 'ship', 70, 1, '{"type":"Older"}', '{"m":1}', 'fire')
         ON CONFLICT (stream_id, name) DO UPDATE SET command = EXCLUDED.command, metadata = EXCLUDED.metadata`,
      );
      expect(await store.timers.get('order/1', 'ship')).toMatchObject({
        command: { type: 'Older' },
        metadata: { m: 1 },
      });
    } finally {
      await store.close();
    }
  });
});

async function collect(it: AsyncIterable<EventEnvelope>): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const e of it) out.push(e);
  return out;
}

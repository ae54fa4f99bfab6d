/**
 * The global log never lets a reader skip an event, although appends from several connections
 * commit concurrently. First the problem, on a naive sequence-numbered table; then the same
 * interleaving against postgresStore; then concurrent appenders on several pools against a
 * reader polling `readAll({ fromPosition: last + 1 })` in a loop.
 */
import type { EventEnvelope } from '@actorfold/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

const WRITER_STORES = 6;
const APPENDERS_PER_STORE = 6;
const APPENDS_PER_APPENDER = 60;

describe.skipIf(skipReason !== undefined)(`the global log's order ${skipReason ?? ''}`, () => {
  let url: string;
  let raw: pg.Client;
  beforeAll(async () => {
    url = await freshDatabase('order');
    raw = new pg.Client({ connectionString: url });
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.end();
  });

  it('is a real problem: a reader of a naive sequence-numbered table skips an event committed late', async () => {
    await raw.query('CREATE TABLE naive (position bigserial PRIMARY KEY, body text)');
    const late = new pg.Client({ connectionString: url });
    await late.connect();
    try {
      await late.query('BEGIN');
      await late.query("INSERT INTO naive (body) VALUES ('first, committed last')"); // takes position 1
      await raw.query("INSERT INTO naive (body) VALUES ('second')"); // position 2, committed at once
      const read = async (after: number) =>
        (
          await raw.query<{ position: string }>(
            'SELECT position FROM naive WHERE position > $1 ORDER BY position',
            [after],
          )
        ).rows.map((r) => Number(r.position));
      const firstRead = await read(0);
      expect(firstRead).toEqual([2]);
      await late.query('COMMIT');
      // The reader resumes after the last position it saw: position 1 is never delivered.
      expect(await read(2)).toEqual([]);
      expect(await read(0)).toEqual([1, 2]);
    } finally {
      await late.end();
    }
  });

  it('holds back a later append until an earlier append transaction commits, so no reader sees it first', async () => {
    const schema = freshSchema('held');
    await migrate({ connectionString: url, schema });
    const writer = await postgresStore({ connectionString: url, schema });
    const reader = await postgresStore({ connectionString: url, schema });
    try {
      // An append transaction left open: it holds position 1 and the global order lock.
      await raw.query('BEGIN');
      const { rows } = await raw.query(
        `SELECT * FROM ${schema}.append_events_v3($1, $2, $3, $4, $5, $6, $7, $8)`,
        [['slow/1'], [0], [1], ['Slow'], ['{"type":"Slow"}'], ['{}'], [1], ['2024-01-01T00:00:00.000Z']],
      );
      expect(rows).toEqual([{ matched: true, head: '1', first_position: '1' }]);
      let settled = false;
      const fast = writer
        .append('fast/1', [{ data: { type: 'Fast' } }], { expectedVersion: 0 })
        .finally(() => {
          settled = true;
        });
      await sleep(300);
      expect(settled).toBe(false);
      expect(await collect(reader.readAll())).toEqual([]);
      expect(await reader.lastPosition()).toBe(0);
      await raw.query('COMMIT');
      const [e] = await fast;
      expect(e?.position).toBe(2);
      expect((await collect(reader.readAll())).map((x) => [x.position, x.type])).toEqual([
        [1, 'Slow'],
        [2, 'Fast'],
      ]);
    } finally {
      await raw.query('ROLLBACK').catch(() => undefined);
      await writer.close();
      await reader.close();
    }
  });

  it(`never lets a polling reader skip an event while ${WRITER_STORES * APPENDERS_PER_STORE} appenders on ${WRITER_STORES} pools append concurrently`, async () => {
    const schema = freshSchema('race');
    await migrate({ connectionString: url, schema });
    const writers: PostgresStore[] = [];
    for (let i = 0; i < WRITER_STORES; i++)
      writers.push(await postgresStore({ connectionString: url, schema, maxConnections: 3 }));
    const reader = await postgresStore({ connectionString: url, schema });
    try {
      let writing = true;
      const appended: number[] = [];
      const appender = async (store: PostgresStore, a: number): Promise<void> => {
        const streamId = `s/${a}`;
        for (let version = 0; version < APPENDS_PER_APPENDER; ) {
          const count = 1 + (version % 3 === 0 ? 1 : 0);
          const out = await store.append(
            streamId,
            Array.from({ length: count }, () => ({ data: { type: 'E', a } })),
            { expectedVersion: version },
          );
          version += count;
          for (const e of out) appended.push(e.position);
        }
      };
      const seen: number[] = [];
      let reads = 0;
      const readLoop = async (): Promise<void> => {
        for (;;) {
          const finalRead = !writing;
          const from = (seen.at(-1) ?? 0) + 1;
          const page: EventEnvelope[] = await collect(
            reader.readAll({ fromPosition: from, limit: 1 + (reads % 50) }),
          );
          reads++;
          for (const e of page) seen.push(e.position);
          if (finalRead && page.length === 0) return;
        }
      };
      const reading = readLoop();
      await Promise.all(
        writers.flatMap((store, w) =>
          Array.from({ length: APPENDERS_PER_STORE }, (_, k) => appender(store, w * APPENDERS_PER_STORE + k)),
        ),
      );
      writing = false;
      await reading;
      const total = appended.length;
      expect(total).toBe(WRITER_STORES * APPENDERS_PER_STORE * APPENDS_PER_APPENDER);
      // Every position exactly once, in order, with nothing missing: 1..total.
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(reads).toBeGreaterThan(20);
      const batches = writers.reduce((n, s) => n + s.stats().batches, 0);
      console.info(`gap test: ${total} events in ${batches} batches, ${reads} reads, no gap seen`);
    } finally {
      for (const s of writers) await s.close();
      await reader.close();
    }
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

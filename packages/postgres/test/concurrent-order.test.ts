/**
 * The global log under concurrent appenders with commits of random lengths: several stores (pools)
 * in this process, two appending child processes, raw transactions that hold the order lock while
 * they sleep (slow commits), transactions that roll back, and a node of the previous package
 * (schema version 2's synchronous append function, as during a rolling upgrade), all at once, on shared and
 * own streams, with multi-stream batches that name the shared streams in opposite orders. Meanwhile
 * several readers follow the log: one polls `readAll` with random page sizes, one is woken by
 * LISTEN/NOTIFY, one by polling. Afterwards every reader has seen every position exactly once,
 * in one identical order, with no gap, and every acknowledged event sits at the position its
 * append reported. fast-check draws the workload (sleeps, rollbacks, page sizes); ACTORFOLD_SOAK=1
 * runs it 20 times.
 */
import { isVersionConflict } from '@actorfold/core';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BARRIER } from '../src/global-order.js';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 20 : 2;
const STORES = 4;
const APPENDERS_PER_STORE = 3;
const ROUNDS = 12;
const CHILD_ROUNDS = 16;
const HOT = ['hot/a', 'hot/b', 'hot/c'];

/** `streamId@version` at each position, as one reader saw the log. */
type Seen = string[];

interface Workload {
  /** Per raw transaction: ms to sleep before taking the lock, and while holding it. */
  slow: Array<{ before: number; holding: number; rollback: boolean }>;
  /** Page sizes the polling reader cycles through. */
  pages: number[];
  seed: number;
}

const workload: fc.Arbitrary<Workload> = fc.record({
  slow: fc.array(
    fc.record({
      before: fc.integer({ min: 0, max: 40 }),
      holding: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 100, max: 250 })),
      rollback: fc.boolean(),
    }),
    { minLength: 6, maxLength: 12 },
  ),
  pages: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }),
  seed: fc.integer(),
});

describe.skipIf(skipReason !== undefined)(
  `the global log under concurrent appenders ${skipReason ?? ''}`,
  () => {
    let url: string;
    beforeAll(async () => {
      url = await freshDatabase('concurrent');
    });
    afterAll(() => undefined);

    it(
      'shows every reader every position exactly once, in one identical order, with no gap, whatever the commits take',
      async () => {
        await fc.assert(
          fc.asyncProperty(workload, async (w) => {
            await scenario(url, w);
          }),
          { numRuns: RUNS, endOnFailure: true },
        );
      },
      RUNS * 120_000,
    );
  },
);

async function scenario(url: string, w: Workload): Promise<void> {
  const schema = freshSchema('c');
  await migrate({ connectionString: url, schema });
  const acked = new Map<string, number>(); // streamId@version -> position its append reported
  const ack = (streamId: string, version: number, position: number): void => {
    acked.set(`${streamId}@${version}`, position);
  };
  let random = w.seed >>> 0;
  const next = (n: number): number => {
    random = (Math.imul(random, 1664525) + 1013904223) >>> 0;
    return random % n;
  };

  const writers: PostgresStore[] = [];
  for (let i = 0; i < STORES; i++)
    writers.push(await postgresStore({ connectionString: url, schema, maxConnections: 3, nodeId: `w${i}` }));
  const readers = {
    polling: await postgresStore({ connectionString: url, schema, maxConnections: 2 }),
    listening: await postgresStore({ connectionString: url, schema, maxConnections: 2 }),
    polled: await postgresStore({
      connectionString: url,
      schema,
      maxConnections: 2,
      notifications: 'poll',
      pollIntervalMs: 10,
    }),
  };
  const raw = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  for (const c of raw) await c.connect();
  const children = ['child-a', 'child-b'].map((name) =>
    startChild('appender-child', [url, schema, name, String(CHILD_ROUNDS), HOT.join(',')]),
  );

  let writing = true;
  const seen: Record<keyof typeof readers, Seen> = { polling: [], listening: [], polled: [] };
  try {
    // Readers.
    const follow = (name: 'listening' | 'polled') => {
      const store = readers[name];
      const out = seen[name];
      let reading: Promise<void> | undefined;
      let again = false;
      const drain = async (): Promise<void> => {
        do {
          again = false;
          for await (const e of store.readAll({ fromPosition: out.length + 1 }))
            out.push(`${e.streamId}@${e.version}`);
        } while (again);
      };
      const wake = (): void => {
        if (reading !== undefined) {
          again = true;
          return;
        }
        reading = drain().finally(() => {
          reading = undefined;
        });
      };
      const stop = store.onAppend(wake);
      return async (): Promise<void> => {
        stop();
        await reading;
        await drain();
      };
    };
    const stopListening = follow('listening');
    const stopPolled = follow('polled');
    const polling = (async () => {
      let reads = 0;
      for (;;) {
        const finalRead = !writing;
        const out = seen.polling;
        let got = 0;
        for await (const e of readers.polling.readAll({
          fromPosition: out.length + 1,
          limit: w.pages[reads % w.pages.length] as number,
        })) {
          out.push(`${e.streamId}@${e.version}`);
          got++;
        }
        reads++;
        if (finalRead && got === 0) return;
        if (got === 0) await sleep(next(5));
      }
    })();

    // Writers in this process: own streams, and bursts that touch the hot streams in one order.
    const appendAtHead = async (store: PostgresStore, streamId: string, tag: string): Promise<void> => {
      for (;;) {
        const version = await store.streamVersion(streamId);
        try {
          const out = await store.append(streamId, [{ data: { type: 'Hot', tag } }], {
            expectedVersion: version,
          });
          for (const e of out) ack(e.streamId, e.version, e.position);
          return;
        } catch (e) {
          if (!isVersionConflict(e)) throw e;
        }
      }
    };
    const appender = async (store: PostgresStore, id: string): Promise<void> => {
      let version = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const count = 1 + next(3);
        const own = store
          .append(
            `own/${id}`,
            Array.from({ length: count }, () => ({ data: { type: 'Own', id } })),
            { expectedVersion: version },
          )
          .then((out) => {
            for (const e of out) ack(e.streamId, e.version, e.position);
          });
        version += count;
        const burst = [own];
        if (next(2) === 0) for (const h of HOT) burst.push(appendAtHead(store, h, id));
        await Promise.all(burst);
      }
    };
    // Raw transactions: sleep, take the order lock, sleep holding it (a slow commit), commit or roll back.
    const rawAppender = async (client: pg.Client, k: number, fn: string, flush: boolean): Promise<void> => {
      let version = 0;
      for (const [i, t] of w.slow.entries()) {
        if (i % raw.length !== k) continue;
        const streamId = `raw/${k}`;
        await client.query('BEGIN');
        if (t.before > 0) await client.query('SELECT pg_sleep($1)', [t.before / 1000]);
        const { rows } = await client.query<{ matched: boolean; first_position: string }>(
          `SELECT matched, first_position FROM ${fn}($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            [streamId],
            [version],
            [2],
            ['Raw', 'Raw'],
            ['{"type":"Raw"}', '{"type":"Raw"}'],
            ['{}', '{}'],
            [1, 1],
            ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
          ],
        );
        if (t.holding > 0) await client.query('SELECT pg_sleep($1)', [t.holding / 1000]);
        if (t.rollback) {
          await client.query('ROLLBACK');
          continue;
        }
        await client.query('COMMIT');
        // The flush barrier, as append_settle runs it after the asynchronous commit.
        if (flush) await client.query(`SELECT ${BARRIER}`);
        const row = rows[0];
        expect(row?.matched).toBe(true);
        const first = Number(row?.first_position);
        ack(streamId, version + 1, first);
        ack(streamId, version + 2, first + 1);
        version += 2;
      }
    };

    await Promise.all([
      ...writers.flatMap((store, s) =>
        Array.from({ length: APPENDERS_PER_STORE }, (_, a) => appender(store, `${s}-${a}`)),
      ),
      rawAppender(raw[0] as pg.Client, 0, `${schema}.append_events_v3`, true),
      // A node of the previous package during a rolling upgrade: version 2's function, synchronous.
      rawAppender(raw[1] as pg.Client, 1, `${schema}.append_events`, false),
      ...children.map((child) => child.waitFor('DONE')),
    ]);
    for (const child of children) {
      for (const line of child.lines) {
        const m = /^ACK (\S+) (\d+) (\d+)$/.exec(line);
        if (m !== null) ack(m[1] as string, Number(m[2]), Number(m[3]));
      }
    }
    writing = false;
    await polling;
    await stopListening();
    await stopPolled();

    const total = await readers.polling.lastPosition();
    const log: Seen = [];
    for await (const e of readers.polling.readAll()) log.push(`${e.streamId}@${e.version}`);
    expect(log).toHaveLength(total);
    // Every reader: exactly the log, position by position (so 1..total, once each, one order).
    expect(seen.polling).toEqual(log);
    expect(seen.listening).toEqual(log);
    expect(seen.polled).toEqual(log);
    // Every acknowledged event is at the position its append reported, and nothing else is there.
    expect(acked.size).toBe(total);
    for (const [key, position] of acked) expect(log[position - 1], key).toBe(key);
  } finally {
    writing = false;
    for (const child of children) child.process.kill('SIGKILL');
    for (const child of children) await child.exited;
    for (const c of raw) await c.end().catch(() => undefined);
    for (const s of [...writers, ...Object.values(readers)]) await s.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

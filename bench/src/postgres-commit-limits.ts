/**
 * Diagnostic (not part of `npm run bench`): what limits single-event append transactions at a
 * given number of connections on one PostgreSQL server? Starts a throwaway server (fsync on),
 * then, per connection count, runs each contestant in alternating rounds, every connection
 * committing one single-event append per transaction to its own stream, and samples
 * `pg_stat_activity` every 25 ms to show what the busy backends wait for:
 * - `v2-lock`: schema version 2's `append_events` (order lock and NOTIFY through the commit);
 * - `v2-lock-async`: the same with `synchronous_commit = off` (the lock without the flush);
 * - `insert`: a plain INSERT into a table numbered by a sequence (no lock, no NOTIFY: the
 *   ceiling of any lock-free design, with PostgreSQL's group commit);
 * - `insert-notify`: that INSERT plus `pg_notify` in the same transaction;
 * - `v3-durably`: schema version 3's `CALL append_durably` (short lock, barrier, NOTIFY after).
 * Prints per contestant the median appends/s, every round, WAL syncs/s and the top wait events.
 *
 * node --import tsx src/postgres-commit-limits.ts [connections,...] [rounds] [roundMs]
 * (ACTORFOLD_PG_COMMIT_DELAY_US sets `commit_delay` on the throwaway server.)
 */
import { migrate } from '@actorfold/postgres';
import { startTemporaryServer } from '@actorfold/postgres/testing';
import pg from 'pg';

const [connArg = '1,4,16,64', roundsArg = '5', roundMsArg = '2000'] = process.argv.slice(2);
const connections = connArg.split(',').map(Number);
const rounds = Number(roundsArg);
const roundMs = Number(roundMsArg);
const delay = process.env.ACTORFOLD_PG_COMMIT_DELAY_US;

const server = await startTemporaryServer({
  settings: delay === undefined ? {} : { commit_delay: Number(delay), commit_siblings: 5 },
});
try {
  const url = await server.createDatabase('limits');
  const schema = 'limits';
  await migrate({ connectionString: url, schema });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(
    `CREATE TABLE ${schema}.plain (position bigserial PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL,
       data text NOT NULL, UNIQUE (stream_id, version))`,
  );
  const data = JSON.stringify({ type: 'Deposited', amount: 1 });
  const args = (s: string, v: number): unknown[] => [
    [s],
    [v],
    [1],
    ['Deposited'],
    [data],
    ['{}'],
    [1],
    ['2024-01-01T00:00:00.000Z'],
  ];
  const params = '$1, $2, $3, $4, $5, $6, $7, $8';
  const contestants: Record<string, { sync: boolean; sql: (s: string, v: number) => [string, unknown[]] }> = {
    'v2-lock': {
      sync: true,
      sql: (s, v) => [`SELECT * FROM ${schema}.append_events(${params})`, args(s, v)],
    },
    'v2-lock-async': {
      sync: false,
      sql: (s, v) => [`SELECT * FROM ${schema}.append_events(${params})`, args(s, v)],
    },
    insert: {
      sync: true,
      sql: (s, v) => [
        `INSERT INTO ${schema}.plain (stream_id, version, data) VALUES ($1, $2, $3)`,
        [s, v + 1, data],
      ],
    },
    'insert-notify': {
      sync: true,
      sql: (s, v) => [
        `WITH i AS (INSERT INTO ${schema}.plain (stream_id, version, data) VALUES ($1, $2, $3) RETURNING position)
         SELECT pg_notify('limits', position::text) FROM i`,
        [s, v + 1, data],
      ],
    },
    'v3-durably': { sync: true, sql: (s, v) => [`CALL ${schema}.append_durably(${params})`, args(s, v)] },
  };
  const names = Object.keys(contestants);
  const heads = new Map<string, number>();
  const median = (xs: readonly number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

  const sampleWaits = async (until: number): Promise<Map<string, number>> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const counts = new Map<string, number>();
    while (performance.now() < until) {
      const { rows } = await c.query<{ w: string; n: number }>(
        `SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-') AS w, count(*)::int AS n
         FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state = 'active' GROUP BY 1`,
      );
      for (const r of rows) counts.set(r.w, (counts.get(r.w) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, 25));
    }
    await c.end();
    return counts;
  };
  const walSyncs = async (): Promise<number> =>
    Number((await admin.query<{ n: string }>('SELECT wal_sync AS n FROM pg_stat_wal')).rows[0]?.n ?? 0);

  for (const n of connections) {
    const clients: pg.Client[] = [];
    for (let i = 0; i < n; i++) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      clients.push(c);
    }
    const rates = new Map<string, number[]>(names.map((k) => [k, []]));
    const syncs = new Map<string, number[]>(names.map((k) => [k, []]));
    const waits = new Map<string, Map<string, number>>(names.map((k) => [k, new Map()]));
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        const c = contestants[name] as (typeof contestants)[string];
        await Promise.all(clients.map((cl) => cl.query(`SET synchronous_commit = ${c.sync ? 'on' : 'off'}`)));
        const wal0 = await walSyncs();
        const started = performance.now();
        const end = started + roundMs;
        const sampler = sampleWaits(end);
        let count = 0;
        await Promise.all(
          clients.map(async (cl, i) => {
            const s = `${name}/${n}/${i}`;
            while (performance.now() < end) {
              const v = heads.get(s) ?? 0;
              const [q, p] = c.sql(s, v);
              await cl.query(q, p);
              heads.set(s, v + 1);
              count++;
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        (syncs.get(name) as number[]).push(((await walSyncs()) - wal0) / seconds);
        (rates.get(name) as number[]).push(count / seconds);
        const total = waits.get(name) as Map<string, number>;
        for (const [k, v] of await sampler) total.set(k, (total.get(k) ?? 0) + v);
      }
    }
    console.log(`== ${n} connections, ${rounds} rounds of ${roundMs} ms`);
    for (const name of names) {
      const rs = rates.get(name) as number[];
      const w = waits.get(name) as Map<string, number>;
      const all = [...w.values()].reduce((a, b) => a + b, 0);
      const top = [...w.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([k, v]) => `${k} ${((100 * v) / all).toFixed(0)}%`)
        .join(', ');
      console.log(
        `${name.padEnd(14)} ${median(rs).toFixed(0).padStart(6)}/s  rounds [${rs.map((x) => x.toFixed(0)).join(' ')}]  ` +
          `wal syncs/s ${median(syncs.get(name) as number[]).toFixed(0)}  waits: ${top}`,
      );
    }
    for (const c of clients) await c.end();
  }
  await admin.end();
} finally {
  await server.stop();
}

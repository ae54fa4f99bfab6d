/**
 * Scenario: does PostgreSQL append throughput grow with the number of appending connections?
 * On a throwaway server (fsync on) started for the run:
 * - `postgresStore.append` from 1, 4, 16 and 64 stores at once in this process, each store a
 *   "node" with one pooled connection and one caller awaiting one single-event append before
 *   the next (so every append is a transaction of its own: no per-node batching helps);
 *   this checkout and, when ACTORFOLD_BENCH_PG_BASELINE names another build, that build, in
 *   alternating rounds; the median round of each and the spread of the per-round ratios;
 * - meanwhile one more store subscribes (`onAppend` + `readAll({ fromPosition: last + 1 })`,
 *   LISTEN/NOTIFY) and records, per event, the time from the append's call to its delivery:
 *   the subscriber lag under that load.
 * - the append transaction alone, without the store around it: schema version 2's function
 *   `append_events` (the order lock and the notification held through the WAL flush; still in
 *   every migrated schema) against version 3's `CALL append_durably` (both released before the
 *   flush, then the flush barrier and the notification), one connection per caller, in
 *   alternating rounds; the median round of each.
 * The server and this process share the machine's cores.
 */

import { pathToFileURL } from 'node:url';
import type { PostgresStore } from '@actorfold/postgres';
import * as current from '@actorfold/postgres';
import { startTemporaryServer, temporaryServerUnavailable } from '@actorfold/postgres/testing';
import pg from 'pg';
import { DEPOSITED } from './level-rig.js';
import type { BenchOptions } from './measure.js';
import { num, type ScenarioReport } from './report.js';

const CONNECTIONS = [1, 4, 16, 64] as const;

/** The store's module: this checkout's, or a build of another version to compare with. */
type StoreModule = Pick<typeof current, 'migrate' | 'postgresStore'>;

/**
 * The build named by ACTORFOLD_BENCH_PG_BASELINE (the `dist/index.js` of another checkout's
 * @actorfold/postgres, placed under this repository so that its imports resolve), or undefined.
 */
async function loadBaseline(): Promise<StoreModule | undefined> {
  const file = process.env.ACTORFOLD_BENCH_PG_BASELINE;
  if (file === undefined || file === '') return undefined;
  return (await import(pathToFileURL(file).href)) as StoreModule;
}

interface Point {
  connections: number;
  appendsPerSecond: number;
  lagP50: number;
  lagP99: number;
  delivered: number;
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

async function point(mod: StoreModule, url: string, connections: number, durationMs: number): Promise<Point> {
  const { migrate, postgresStore } = mod;
  const schema = `scale${connections}_${Date.now().toString(36)}`;
  await migrate({ connectionString: url, schema });
  const stores: PostgresStore[] = [];
  for (let i = 0; i < connections; i++)
    stores.push(await postgresStore({ connectionString: url, schema, maxConnections: 1, nodeId: `n${i}` }));
  const reader = await postgresStore({ connectionString: url, schema, maxConnections: 2, nodeId: 'reader' });
  const issued = new Map<string, number>();
  const lags: number[] = [];
  let next = 1;
  let reading: Promise<void> | undefined;
  let again = false;
  const drain = async (): Promise<void> => {
    do {
      again = false;
      for await (const e of reader.readAll({ fromPosition: next })) {
        const key = `${e.streamId}@${e.version}`;
        const t = issued.get(key);
        if (t !== undefined) lags.push(performance.now() - t);
        issued.delete(key);
        next = e.position + 1;
      }
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
  const unsubscribe = reader.onAppend(wake);
  await new Promise((r) => setTimeout(r, 200)); // LISTEN established
  const events = [{ data: DEPOSITED }];
  const started = performance.now();
  const deadline = started + durationMs;
  let appends = 0;
  await Promise.all(
    stores.map(async (store, s) => {
      for (let version = 0; performance.now() < deadline; version++) {
        issued.set(`account/n${s}@${version + 1}`, performance.now());
        await store.append(`account/n${s}`, events, { expectedVersion: version });
        appends++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Let the subscriber catch up before counting.
  const last = await reader.lastPosition();
  while (next <= last) {
    wake();
    await new Promise((r) => setTimeout(r, 20));
  }
  await reading;
  unsubscribe();
  for (const s of stores) await s.close();
  await reader.close();
  lags.sort((a, b) => a - b);
  return {
    connections,
    appendsPerSecond: appends / seconds,
    lagP50: percentile(lags, 0.5),
    lagP99: percentile(lags, 0.99),
    delivered: lags.length,
  };
}

interface RawPoint {
  connections: number;
  v2: number;
  v3: number;
}

/** Single-event appends per second through each append transaction, alternating rounds on one schema. */
async function rawAppends(
  url: string,
  connections: number,
  roundMs: number,
  rounds: number,
): Promise<RawPoint> {
  const schema = `raw${connections}_${Date.now().toString(36)}`;
  await current.migrate({ connectionString: url, schema });
  const clients: pg.Client[] = [];
  for (let i = 0; i < connections; i++) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    clients.push(c);
  }
  const params = '$1, $2, $3, $4, $5, $6, $7, $8';
  const sql = {
    v2: `SELECT * FROM ${schema}.append_events(${params})`,
    v3: `CALL ${schema}.append_durably(${params})`,
  };
  const data = JSON.stringify(DEPOSITED);
  const heads = new Map<string, number>();
  const rates = { v2: [] as number[], v3: [] as number[] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? (['v2', 'v3'] as const) : (['v3', 'v2'] as const)) {
        const started = performance.now();
        const end = started + roundMs;
        let n = 0;
        await Promise.all(
          clients.map(async (c, i) => {
            const streamId = `${name}/${i}`;
            while (performance.now() < end) {
              const v = heads.get(streamId) ?? 0;
              await c.query(sql[name], [
                [streamId],
                [v],
                [1],
                [DEPOSITED.type],
                [data],
                ['{}'],
                [1],
                ['2024-01-01T00:00:00.000Z'],
              ]);
              heads.set(streamId, v + 1);
              n++;
            }
          }),
        );
        rates[name].push(n / ((performance.now() - started) / 1000));
      }
    }
  } finally {
    for (const c of clients) await c.end();
  }
  return { connections, v2: median(rates.v2), v3: median(rates.v3) };
}

/** The rounds of one contestant at one connection count. */
interface Series {
  connections: number;
  rounds: Point[];
}

/** The median round's rate, and lag percentiles over every round's deliveries. */
function summary(series: Series): { rate: number; lagP50: number; lagP99: number; delivered: number } {
  return {
    rate: median(series.rounds.map((p) => p.appendsPerSecond)),
    lagP50: median(series.rounds.map((p) => p.lagP50)),
    lagP99: median(series.rounds.map((p) => p.lagP99)),
    delivered: series.rounds.reduce((n, p) => n + p.delivered, 0),
  };
}

export async function postgresScaling(opts: BenchOptions): Promise<ScenarioReport> {
  const title = 'PostgreSQL: appends by concurrent connections';
  const unavailable = temporaryServerUnavailable();
  if (unavailable !== undefined) {
    return { title, method: 'Not run.', tables: [], findings: [`Skipped: ${unavailable}.`] };
  }
  const durationMs = opts.quick ? 300 : 2_000;
  const rounds = opts.quick ? 1 : Number(process.env.ACTORFOLD_BENCH_PG_ROUNDS ?? 5);
  const server = await startTemporaryServer();
  const raw: RawPoint[] = [];
  const baseline = await loadBaseline();
  const mine: Series[] = CONNECTIONS.map((connections) => ({ connections, rounds: [] }));
  const base: Series[] = CONNECTIONS.map((connections) => ({ connections, rounds: [] }));
  try {
    const url = await server.createDatabase('scaling');
    // Untimed: a fresh server creates its WAL segments and fills its caches on the first writes.
    await point(current, url, 16, opts.quick ? 100 : 2_000);
    // Alternating rounds, so that both builds see the same load on the machine.
    for (let round = 0; round < rounds; round++) {
      for (const [i, c] of CONNECTIONS.entries()) {
        const order: Array<[StoreModule, Series]> = [[current, mine[i] as Series]];
        if (baseline !== undefined) order.push([baseline, base[i] as Series]);
        if (round % 2 === 1) order.reverse();
        for (const [mod, series] of order) series.rounds.push(await point(mod, url, c, durationMs));
      }
    }
    for (const c of CONNECTIONS)
      raw.push(await rawAppends(url, c, opts.quick ? 100 : 1_500, opts.quick ? 2 : 7));
  } finally {
    await server.stop();
  }
  const rows = (label: string, all: readonly Series[]) =>
    all
      .filter((x) => x.rounds.length > 0)
      .map((x) => {
        const m = summary(x);
        return [
          label,
          String(x.connections),
          num(m.rate),
          m.lagP50.toFixed(1),
          m.lagP99.toFixed(1),
          num(m.delivered),
        ];
      });
  /** Per-round ratios this checkout ÷ baseline at connection count index i: median and range. */
  const ratios = (i: number): string => {
    const a = (mine[i] as Series).rounds;
    const b = (base[i] as Series).rounds;
    const r = a.map((p, k) => p.appendsPerSecond / ((b[k] as Point).appendsPerSecond || Number.NaN));
    return `${median(r).toFixed(2)}× (rounds ${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}×)`;
  };
  const rate = (i: number) => summary(mine[i] as Series).rate;
  return {
    title,
    method:
      'A throwaway PostgreSQL server (fsync on) on this machine, sharing its two cores with this process. ' +
      "The append transaction alone: each caller on its own connection calls schema version 2's or version 3's append " +
      'transaction directly, one single-event append at a time, in alternating rounds; the median round is shown. For each ' +
      'count of connections, that many postgresStore instances (one pooled connection each, like that many nodes) ' +
      `on a fresh schema, each with one caller awaiting one single-event append to its own stream before the next, ` +
      `for ${durationMs / 1000} s; ${rounds} round(s), this checkout and the baseline build (if given) alternating. ` +
      "One more store subscribes through LISTEN/NOTIFY and `readAll` and records each event's lag from the append's " +
      "call to its delivery (median over rounds of each round's p50 and p99).",
    tables: [
      {
        caption:
          'The append transaction alone: single-event appends per second, schema version 2 (order lock and NOTIFY through the flush) and 3 (released before it)',
        columns: ['connections', 'v2 append_events', 'v3 append_durably', 'v3 ÷ v2'],
        rows: raw.map((r) => [String(r.connections), num(r.v2), num(r.v3), `${(r.v3 / r.v2).toFixed(2)}×`]),
        numeric: [1, 2, 3],
      },
      {
        caption:
          'Single-event appends per second by concurrent appending connections (median round); subscriber lag',
        columns: ['build', 'connections', 'appends/s', 'lag p50 ms', 'lag p99 ms', 'events delivered'],
        rows: [...rows('this checkout', mine), ...rows('baseline', base)],
        numeric: [2, 3, 4, 5],
      },
    ],
    findings: [
      'The append transaction alone, version 3 ÷ version 2: ' +
        raw.map((r) => `${r.connections} connections ${(r.v3 / r.v2).toFixed(2)}×`).join(', ') +
        ' (median of alternating rounds on one schema).',
      `From 1 to 16 connections appends/s grow ${(rate(2) / rate(0)).toFixed(2)}× (${num(rate(0))} → ${num(rate(2))}); ` +
        `64 connections: ${num(rate(3))}/s.`,
      ...(baseline === undefined
        ? []
        : [
            `This checkout ÷ the baseline build (${process.env.ACTORFOLD_BENCH_PG_BASELINE}), alternating rounds in this run: ` +
              CONNECTIONS.map((c, i) => `${c} connections ${ratios(i)}`).join(', ') +
              '.',
          ]),
    ],
  };
}

/**
 * Scenario: several daemons on one PostgreSQL database (@actorfold/postgres). On a throwaway
 * server (fsync on) started for the run, each contestant on a fresh schema or table:
 * - 1 and 3 daemon processes (postgres-daemon.ts), each a runtime whose 32 clients `deposit`
 *   on random accounts: 1,000 accounts (little contention) and 50 shared accounts (contention:
 *   the conflict rate is the runtime's re-decisions per command);
 * - postgresStore.append in this process, 32 clients, one stream each (the store alone);
 * - a naive table: one INSERT transaction per append, positions from a sequence, only the unique
 *   (stream, version) index as the check: what appends cost without gap-free global order;
 * - Emmett's PostgreSQL event store (`appendToStream`, 32 clients, one stream each), when
 *   `@event-driven-io/emmett-postgresql` can be imported (or ACTORFOLD_BENCH_EMMETT names its entry file).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { migrate, postgresStore } from '@actorfold/postgres';
import {
  startTemporaryServer,
  type TemporaryServer,
  temporaryServerUnavailable,
} from '@actorfold/postgres/testing';
import pg from 'pg';
import { DEPOSITED } from './level-rig.js';
import type { BenchOptions } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

const CLIENTS = 32;

interface DaemonResult {
  commands: number;
  seconds: number;
  batches: number;
  conflictRetries: number;
  clientRetries: number;
  p50: number;
  p99: number;
}

interface Row {
  name: string;
  commandsPerSecond: number;
  commitsPerSecond: number;
  conflictRate: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
}

/**
 * Runs `daemons` daemon processes on a fresh schema, started together; sums their results. With
 * `lease`, each daemon serves a third of the accounts (as a router placing each aggregate on one
 * node would) in lease mode; otherwise every daemon serves every account, optimistically.
 */
async function daemons(
  url: string,
  count: number,
  accounts: number,
  durationMs: number,
  baseline?: string,
  lease = false,
): Promise<Row> {
  const schema = `d${count}_a${accounts}${lease ? '_l' : ''}_${Date.now().toString(36)}`;
  const mod =
    baseline === undefined
      ? { migrate }
      : ((await import(pathToFileURL(baseline).href)) as { migrate: typeof migrate });
  await mod.migrate({ connectionString: url, schema });
  // Started from source under tsx, like this file.
  const file = fileURLToPath(new URL('./postgres-daemon.ts', import.meta.url));
  const children = Array.from({ length: count }, (_, i) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        file,
        url,
        schema,
        `bench-${i}`,
        String(accounts),
        String(CLIENTS),
        String(durationMs),
        lease ? 'lease' : 'optimistic',
        lease ? `${i}/${count}` : '0/1',
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: baseline === undefined ? process.env : { ...process.env, ACTORFOLD_BENCH_PG_MODULE: baseline },
      },
    );
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const waitFor = async (prefix: string): Promise<string> => {
      for (;;) {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line !== undefined) return line;
        const code = await Promise.race([exited, new Promise<'line'>((r) => waiters.push(() => r('line')))]);
        if (code !== 'line') throw new Error(`bench daemon ${i} exited (${code}) before ${prefix}`);
      }
    };
    return { child, waitFor, exited };
  });
  await Promise.all(children.map((c) => c.waitFor('READY')));
  for (const c of children) c.child.stdin?.end('GO\n');
  const results = await Promise.all(
    children.map(async (c) => JSON.parse((await c.waitFor('RESULT ')).slice(7)) as DaemonResult),
  );
  await Promise.all(children.map((c) => c.exited));
  const commands = results.reduce((n, r) => n + r.commands, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const retries = results.reduce((n, r) => n + r.conflictRetries + r.clientRetries, 0);
  return {
    name:
      `${baseline === undefined ? '' : 'baseline build: '}${count} daemon${count === 1 ? '' : 's'}, ` +
      `${lease ? 'lease, ' : ''}${num(accounts)} accounts${lease && count > 1 ? ' split' : ''}`,
    commandsPerSecond: commands / seconds,
    commitsPerSecond: results.reduce((n, r) => n + r.batches, 0) / seconds,
    conflictRate: retries / commands,
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
  };
}

/** `CLIENTS` callers each awaiting `write(client)` until the time is up; returns writes per second and the seconds taken. */
async function drive(
  durationMs: number,
  write: (client: number) => Promise<void>,
): Promise<{ rate: number; seconds: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  let writes = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      while (performance.now() < deadline) {
        await write(c);
        writes++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: writes / seconds, seconds };
}

async function storeAppends(url: string, durationMs: number): Promise<Row> {
  const store = await postgresStore({
    connectionString: url,
    schema: `direct_${Date.now().toString(36)}`,
    migrate: true,
  });
  const heads = new Array<number>(CLIENTS).fill(0);
  const events = [{ data: DEPOSITED }];
  const { rate, seconds } = await drive(durationMs, async (c) => {
    await store.append(`account/acc-${c}`, events, { expectedVersion: heads[c] as number });
    heads[c] = (heads[c] as number) + 1;
  });
  const { batches } = store.stats();
  await store.close();
  return {
    name: 'postgresStore.append, 1 process',
    commandsPerSecond: rate,
    commitsPerSecond: batches / seconds,
    conflictRate: undefined,
    p50: undefined,
    p99: undefined,
  };
}

async function naiveAppends(url: string, durationMs: number): Promise<Row> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const table = `naive_${Date.now().toString(36)}`;
  await pool.query(
    `CREATE TABLE ${table} (position bigserial PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL,
     data text NOT NULL, UNIQUE (stream_id, version))`,
  );
  const heads = new Array<number>(CLIENTS).fill(0);
  const data = JSON.stringify(DEPOSITED);
  const { rate } = await drive(durationMs, async (c) => {
    const version = (heads[c] as number) + 1;
    await pool.query(`INSERT INTO ${table} (stream_id, version, data) VALUES ($1, $2, $3)`, [
      `account/acc-${c}`,
      version,
      data,
    ]);
    heads[c] = version;
  });
  await pool.end();
  return {
    name: 'naive INSERT per append (gap-prone order)',
    commandsPerSecond: rate,
    commitsPerSecond: rate,
    conflictRate: undefined,
    p50: undefined,
    p99: undefined,
  };
}

/** The part of Emmett's PostgreSQL event store this scenario uses. */
interface EmmettStore {
  appendToStream(
    stream: string,
    events: Array<{ type: string; data: object }>,
    options: { expectedStreamVersion: bigint },
  ): Promise<{ nextExpectedStreamVersion: bigint }>;
  close(): Promise<void>;
}
type GetEmmettStore = (url: string, opts: { schema: { autoMigration: 'CreateOrUpdate' } }) => EmmettStore;

/** Emmett's store factory, or why it cannot be loaded here. */
async function loadEmmett(): Promise<GetEmmettStore | string> {
  const specifier = process.env.ACTORFOLD_BENCH_EMMETT ?? '@event-driven-io/emmett-postgresql';
  try {
    const mod = (await import(specifier)) as { getPostgreSQLEventStore?: GetEmmettStore };
    return mod.getPostgreSQLEventStore ?? `${specifier} has no getPostgreSQLEventStore`;
  } catch (e) {
    return `${specifier} is not installed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

async function emmettAppends(server: TemporaryServer, get: GetEmmettStore, durationMs: number): Promise<Row> {
  const url = await server.createDatabase(`emmett_${Date.now().toString(36)}`);
  const store = get(url, { schema: { autoMigration: 'CreateOrUpdate' } });
  const heads = new Array<bigint>(CLIENTS).fill(0n);
  const events = [{ type: DEPOSITED.type, data: { amount: DEPOSITED.amount, note: DEPOSITED.note } }];
  // Untimed: the first append creates Emmett's schema.
  await store.appendToStream('warm-up', events, { expectedStreamVersion: 0n });
  const { rate } = await drive(durationMs, async (c) => {
    const r = await store.appendToStream(`account-acc-${c}`, events, {
      expectedStreamVersion: heads[c] as bigint,
    });
    heads[c] = r.nextExpectedStreamVersion;
  });
  await store.close();
  return {
    name: "Emmett's PostgreSQL event store, 1 process",
    commandsPerSecond: rate,
    commitsPerSecond: rate,
    conflictRate: undefined,
    p50: undefined,
    p99: undefined,
  };
}

export async function postgresAppends(opts: BenchOptions): Promise<ScenarioReport> {
  const title = 'PostgreSQL: several daemons on one database';
  const unavailable = temporaryServerUnavailable();
  if (unavailable !== undefined) {
    return { title, method: 'Not run.', tables: [], findings: [`Skipped: ${unavailable}.`] };
  }
  const durationMs = opts.quick ? 300 : 4_000;
  const server = await startTemporaryServer();
  const rows: Row[] = [];
  const findings: string[] = [];
  try {
    const url = await server.createDatabase('bench');
    // Untimed: a fresh server creates its WAL segments and fills its caches on the first writes;
    // without this the first contestant pays for it.
    await storeAppends(url, opts.quick ? 100 : 2_000);
    // Another build (ACTORFOLD_BENCH_PG_BASELINE: its dist/index.js), interleaved, for ratios measured in this run.
    const baseline = process.env.ACTORFOLD_BENCH_PG_BASELINE || undefined;
    const baseRows: Row[] = [];
    for (const accounts of [1_000, 50]) {
      for (const count of [1, 3]) {
        rows.push(await daemons(url, count, accounts, durationMs));
        if (baseline !== undefined && accounts === 1_000)
          baseRows.push(await daemons(url, count, accounts, durationMs, baseline));
      }
    }
    for (const count of [1, 3]) {
      rows.push(await daemons(url, count, 1_000, durationMs, undefined, true));
      if (baseline !== undefined) baseRows.push(await daemons(url, count, 1_000, durationMs, baseline, true));
    }
    rows.push(...baseRows);
    rows.push(await storeAppends(url, durationMs));
    rows.push(await naiveAppends(url, durationMs));
    const emmett = await loadEmmett();
    if (typeof emmett === 'string') findings.push(`Emmett not measured: ${emmett}.`);
    else rows.push(await emmettAppends(server, emmett, durationMs));
  } finally {
    await server.stop();
  }
  const rate = (name: string) => rows.find((r) => r.name.startsWith(name))?.commandsPerSecond ?? Number.NaN;
  const [one, three] = [rate('1 daemon, 1,000'), rate('3 daemons, 1,000')];
  const [oneLease, threeLease] = [rate('1 daemon, lease'), rate('3 daemons, lease')];
  const [oneHot, threeHot] = [rows[2] as Row, rows[3] as Row];
  findings.unshift(
    `1,000 accounts: 3 daemons acknowledge ${num(three)} commands/s together, ${ratio(three, one)} one daemon (${num(one)}/s): ` +
      "every daemon serves every account, so most commands' refresh reads another node's event first.",
    `Lease mode, 1,000 accounts split between the daemons (a router places each aggregate on one node; the holder refreshes ` +
      `without a query): 3 daemons ${num(threeLease)} commands/s, ${ratio(threeLease, oneLease)} one daemon (${num(oneLease)}/s).`,
    `50 shared accounts: ${num(threeHot.commandsPerSecond)} commands/s with 3 daemons, ${(100 * (threeHot.conflictRate ?? 0)).toFixed(1)} conflict ` +
      `re-decisions per 100 commands (1 daemon: ${num(oneHot.commandsPerSecond)}/s, ${(100 * (oneHot.conflictRate ?? 0)).toFixed(1)}).`,
    `The store alone: postgresStore.append ${num(rate('postgresStore'))}/s against ${num(rate('naive'))}/s for a naive ` +
      `INSERT per append without gap-free order (${ratio(rate('postgresStore'), rate('naive'))}).`,
  );
  const [baseOne, baseThree] = [
    rate('baseline build: 1 daemon, 1,000'),
    rate('baseline build: 3 daemons, 1,000'),
  ];
  const [baseOneLease, baseThreeLease] = [
    rate('baseline build: 1 daemon, lease'),
    rate('baseline build: 3 daemons, lease'),
  ];
  if (!Number.isNaN(baseOne)) {
    findings.push(
      `Baseline build (${process.env.ACTORFOLD_BENCH_PG_BASELINE}), interleaved in this run, 1,000 accounts: 3 daemons ` +
        `${ratio(baseThree, baseOne)} one (lease, split: ${ratio(baseThreeLease, baseOneLease)}); this checkout ÷ baseline: ` +
        `1 daemon ${ratio(one, baseOne)}, 3 daemons ${ratio(three, baseThree)}; lease: 1 daemon ` +
        `${ratio(oneLease, baseOneLease)}, 3 daemons ${ratio(threeLease, baseThreeLease)}.`,
    );
  }
  if (typeof rows.find((r) => r.name.startsWith('Emmett')) === 'object') {
    findings.push(
      `Emmett's PostgreSQL event store, same shape: ${num(rate('Emmett'))} appends/s (postgresStore.append ÷ Emmett: ${ratio(rate('postgresStore'), rate('Emmett'))}).`,
    );
  }
  const ms = (v: number | undefined) => (v === undefined ? '' : v.toFixed(1));
  return {
    title,
    method:
      'A throwaway PostgreSQL server started for the run (fsync on, default settings otherwise) on this machine, ' +
      `sharing its cores with the daemons. Each contestant runs for ${durationMs / 1000} s on a fresh schema; ` +
      `every writer has ${CLIENTS} clients that each await one single-event append (\`deposit\` → \`Deposited\`) before ` +
      'the next. **Daemons** are separate processes, each a runtime on postgresStore, on random accounts out of 1,000 ' +
      '(rare cross-node conflicts) or 50 (contention), optimistic ownership; **lease** rows: each daemon in lease mode ' +
      'serves its own third of the 1,000 accounts (as behind a router). The conflict rate counts the runtime re-decisions after another ' +
      "node's append plus client re-sends with the same commandId, per command. **commits/s** counts append " +
      'transactions (each carries a group of appends). The in-process rows write one stream per client: ' +
      '**postgresStore.append**; a **naive** INSERT per append into a sequence-numbered table (gap-prone for ' +
      "subscribers, shown as the cost of gap-free order); **Emmett**'s `appendToStream`. One run, not a median.",
    tables: [
      {
        caption: 'Acknowledged single-event commands (or appends) per second, higher is better',
        columns: ['contestant', 'commands/s', 'commits/s', 'conflicts per command', 'p50 ms', 'p99 ms'],
        rows: rows.map((r) => [
          r.name,
          num(r.commandsPerSecond),
          num(r.commitsPerSecond),
          r.conflictRate === undefined ? '' : r.conflictRate.toFixed(3),
          ms(r.p50),
          ms(r.p99),
        ]),
        numeric: [1, 2, 3, 4, 5],
      },
    ],
    findings,
  };
}

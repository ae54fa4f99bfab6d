/**
 * Scenario: several daemons on one PostgreSQL database (@actorfold/postgres), and Emmett's
 * PostgreSQL event store on the same server. On a throwaway server (fsync on) started for the
 * run, each contestant on a fresh schema or database, 64 callers in all, each awaiting one
 * single-event command (or append) before the next:
 * - 1 and 3 daemon processes (postgres-daemon.ts) on 1,000 accounts, the 64 callers split
 *   between them, in two modes: **optimistic** (every daemon serves every account) and
 *   **lease** (each daemon holds the leases of its own third of the accounts, as behind a router);
 * - Emmett's `CommandHandler` on its PostgreSQL event store (read the stream, decide, append with
 *   the expected version), in this process, on the same 1,000 accounts;
 *   the daemons and Emmett run in alternating rounds;
 * - for every daemon contestant, a subscriber in this process (LISTEN/NOTIFY and `readAll`)
 *   measuring each event's lag from its timestamp (taken when the runtime built it, before the
 *   append) to its delivery; and the CPU seconds of the daemons and of the server (/proc) per
 *   command, with how busy the machine was;
 * - then once each: 50 shared accounts (contention), `postgresStore.append` against Emmett's
 *   `appendToStream` (the stores alone) and a naive INSERT per append (no gap-free order).
 * Emmett (`@event-driven-io/emmett-postgresql`, pinned with its own `@event-driven-io/emmett` in
 * bench/peers/emmett-postgresql, installed by scripts/bench.mjs) is skipped when not installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
import { type CpuSample, cpuMeter, parentOf } from './postgres-cpu.js';
import { type Headline, num, ratio, type ScenarioReport } from './report.js';

/** Callers per contestant, split between its daemons. */
const CALLERS = 64;
const ACCOUNTS = 1_000;

interface DaemonResult {
  commands: number;
  seconds: number;
  batches: number;
  conflictRetries: number;
  clientRetries: number;
  p50: number;
  p99: number;
}

/** One run of one contestant. */
interface Run {
  commandsPerSecond: number;
  commitsPerSecond: number | undefined;
  conflictRate: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  /** CPU seconds per command of the contestant's processes and of the server, and the machine's state. */
  cpu: (CpuSample & { commands: number }) | undefined;
  lagP50: number | undefined;
  lagP99: number | undefined;
}

/** A row: a contestant, its mode, its median run. */
interface Row extends Run {
  name: string;
  mode: string;
}

interface Server {
  server: TemporaryServer;
  url: string;
  postmaster: number;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  return sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/**
 * A subscriber on `schema` in this process: woken by LISTEN/NOTIFY, reads the log from where it
 * stopped; each event's lag is from its timestamp to the moment it is read here (ms resolution).
 */
async function subscriber(url: string, schema: string) {
  const store = await postgresStore({
    connectionString: url,
    schema,
    nodeId: 'subscriber',
    maxConnections: 2,
  });
  const lags: number[] = [];
  let next = 1;
  let reading: Promise<void> | undefined;
  let again = false;
  const drain = async (): Promise<void> => {
    do {
      again = false;
      for await (const e of store.readAll({ fromPosition: next })) {
        lags.push(Date.now() - Date.parse(e.timestamp));
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
  const unsubscribe = store.onAppend(wake);
  return {
    /** Reads up to the log's end, stops, and gives the lag percentiles. */
    async finish(): Promise<{ p50: number | undefined; p99: number | undefined }> {
      const last = await store.lastPosition();
      while (next <= last) {
        wake();
        await new Promise((r) => setTimeout(r, 20));
      }
      await reading;
      unsubscribe();
      await store.close();
      lags.sort((a, b) => a - b);
      return { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99) };
    },
  };
}

interface DaemonSpec {
  count: number;
  accounts: number;
  lease: boolean;
  /** Another build's dist/index.js (ACTORFOLD_BENCH_PG_BASELINE). */
  baseline?: string | undefined;
}

function daemonName(s: DaemonSpec): string {
  return `${s.baseline === undefined ? '' : 'baseline build: '}${s.count} daemon${s.count === 1 ? '' : 's'}, ${num(s.accounts)} accounts`;
}

/**
 * Runs `count` daemon processes on a fresh schema, started together, the callers split between
 * them; sums their results. With `lease`, each daemon serves its own share of the accounts (as a
 * router placing each aggregate on one node would) in lease mode; otherwise every daemon serves
 * every account, optimistically.
 */
async function daemons(srv: Server, spec: DaemonSpec, durationMs: number): Promise<Run> {
  const { count, accounts, lease, baseline } = spec;
  const schema = `d${count}_a${accounts}${lease ? '_l' : ''}_${Date.now().toString(36)}`;
  const mod =
    baseline === undefined
      ? { migrate }
      : ((await import(pathToFileURL(baseline).href)) as { migrate: typeof migrate });
  await mod.migrate({ connectionString: srv.url, schema });
  const sub = await subscriber(srv.url, schema);
  // Started from source under tsx, like this file.
  const file = fileURLToPath(new URL('./postgres-daemon.ts', import.meta.url));
  const children = Array.from({ length: count }, (_, i) => {
    const callers = Math.floor(CALLERS / count) + (i < CALLERS % count ? 1 : 0);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        file,
        srv.url,
        schema,
        `bench-${i}`,
        String(accounts),
        String(callers),
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
  const meter = cpuMeter(() => children.map((c) => c.child.pid as number), srv.postmaster);
  for (const c of children) c.child.stdin?.end('GO\n');
  const results = await Promise.all(
    children.map(async (c) => JSON.parse((await c.waitFor('RESULT ')).slice(7)) as DaemonResult),
  );
  // Before the daemons' shutdown: what the run cost, not what closing costs.
  const cpu = meter();
  await Promise.all(children.map((c) => c.exited));
  const lag = await sub.finish();
  const commands = results.reduce((n, r) => n + r.commands, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const retries = results.reduce((n, r) => n + r.conflictRetries + r.clientRetries, 0);
  return {
    commandsPerSecond: commands / seconds,
    commitsPerSecond: results.reduce((n, r) => n + r.batches, 0) / seconds,
    conflictRate: retries / commands,
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    cpu: { ...cpu, commands },
    lagP50: lag.p50,
    lagP99: lag.p99,
  };
}

/**
 * `CALLERS` callers each awaiting `write(caller)` until the time is up, with this process's and
 * the server's CPU measured; returns writes per second and latency percentiles.
 */
async function drive(
  srv: Server,
  durationMs: number,
  write: (caller: number) => Promise<void>,
): Promise<Pick<Run, 'commandsPerSecond' | 'p50' | 'p99' | 'cpu'>> {
  const meter = cpuMeter(() => [process.pid], srv.postmaster);
  const started = performance.now();
  const deadline = started + durationMs;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await write(c);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter();
  latencies.sort((a, b) => a - b);
  return {
    commandsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpu: { ...cpu, commands: latencies.length },
  };
}

const NO_DAEMON_FIELDS = {
  commitsPerSecond: undefined,
  conflictRate: undefined,
  lagP50: undefined,
  lagP99: undefined,
};

async function storeAppends(srv: Server, durationMs: number): Promise<Run> {
  const store = await postgresStore({
    connectionString: srv.url,
    schema: `direct_${Date.now().toString(36)}`,
    migrate: true,
  });
  const heads = new Array<number>(CALLERS).fill(0);
  const events = [{ data: DEPOSITED }];
  const before = store.stats().batches;
  const started = performance.now();
  const r = await drive(srv, durationMs, async (c) => {
    await store.append(`account/acc-${c}`, events, { expectedVersion: heads[c] as number });
    heads[c] = (heads[c] as number) + 1;
  });
  const commits = (store.stats().batches - before) / ((performance.now() - started) / 1000);
  await store.close();
  return { ...NO_DAEMON_FIELDS, ...r, commitsPerSecond: commits };
}

async function naiveAppends(srv: Server, durationMs: number): Promise<Run> {
  const pool = new pg.Pool({ connectionString: srv.url, max: 10 });
  const table = `naive_${Date.now().toString(36)}`;
  await pool.query(
    `CREATE TABLE ${table} (position bigserial PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL,
     data text NOT NULL, UNIQUE (stream_id, version))`,
  );
  const heads = new Array<number>(CALLERS).fill(0);
  const data = JSON.stringify(DEPOSITED);
  const r = await drive(srv, durationMs, async (c) => {
    const version = (heads[c] as number) + 1;
    await pool.query(`INSERT INTO ${table} (stream_id, version, data) VALUES ($1, $2, $3)`, [
      `account/acc-${c}`,
      version,
      data,
    ]);
    heads[c] = version;
  });
  await pool.end();
  return { ...NO_DAEMON_FIELDS, ...r, commitsPerSecond: r.commandsPerSecond };
}

type EmmettEvent = { type: 'Deposited'; data: { amount: number; note: string } };
/** The part of Emmett's PostgreSQL event store this scenario uses. */
interface EmmettStore {
  appendToStream(
    stream: string,
    events: EmmettEvent[],
    options: { expectedStreamVersion: bigint },
  ): Promise<{ nextExpectedStreamVersion: bigint }>;
  close(): Promise<void>;
}
interface Emmett {
  version: string;
  getPostgreSQLEventStore(url: string, opts: { schema: { autoMigration: 'CreateOrUpdate' } }): EmmettStore;
  /** Emmett's CommandHandler for the account: read the stream, fold, decide, append with the expected version. */
  handle(store: EmmettStore, id: string): Promise<unknown>;
}

/** Where scripts/bench.mjs installs Emmett's PostgreSQL store, with the Emmett it needs. */
const EMMETT_PEER = fileURLToPath(new URL('../peers/emmett-postgresql/', import.meta.url));

/** Emmett's PostgreSQL store and CommandHandler from bench/peers/emmett-postgresql, or why not. */
function loadEmmett(): Emmett | string {
  const manifest = `${EMMETT_PEER}package.json`;
  if (!existsSync(`${EMMETT_PEER}node_modules`))
    return `${EMMETT_PEER} is not installed (\`npm run bench\` installs it)`;
  try {
    const require = createRequire(manifest);
    const postgres = require('@event-driven-io/emmett-postgresql') as Pick<Emmett, 'getPostgreSQLEventStore'>;
    const core = require('@event-driven-io/emmett') as {
      CommandHandler(opts: {
        evolve: (s: { balance: number }, e: EmmettEvent) => { balance: number };
        initialState: () => { balance: number };
      }): (
        store: EmmettStore,
        id: string,
        decide: (s: { balance: number }) => EmmettEvent[],
      ) => Promise<unknown>;
    };
    const { version } = JSON.parse(
      readFileSync(`${EMMETT_PEER}node_modules/@event-driven-io/emmett-postgresql/package.json`, 'utf8'),
    ) as { version: string };
    const handler = core.CommandHandler({
      evolve: (s, e) => ({ balance: s.balance + e.data.amount }),
      initialState: () => ({ balance: 0 }),
    });
    const event: EmmettEvent = {
      type: 'Deposited',
      data: { amount: DEPOSITED.amount, note: DEPOSITED.note },
    };
    return {
      version,
      getPostgreSQLEventStore: postgres.getPostgreSQLEventStore,
      handle: (store, id) => handler(store, id, () => [event]),
    };
  } catch (e) {
    return `Emmett's PostgreSQL store could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

/** A fresh database with Emmett's schema created (untimed). */
async function emmettStore(srv: Server, emmett: Emmett): Promise<EmmettStore> {
  const url = await srv.server.createDatabase(`emmett_${Date.now().toString(36)}`);
  const store = emmett.getPostgreSQLEventStore(url, { schema: { autoMigration: 'CreateOrUpdate' } });
  await store.appendToStream(
    'warm-up',
    [{ type: 'Deposited', data: { amount: DEPOSITED.amount, note: DEPOSITED.note } }],
    { expectedStreamVersion: 0n },
  );
  return store;
}

/**
 * Emmett's CommandHandler on 1,000 accounts. Caller c only sends to accounts c, c + 64, ..., so no
 * two commands race for a stream (Emmett would back off on a conflict: that measures the back-off).
 */
async function emmettCommands(srv: Server, emmett: Emmett, durationMs: number): Promise<Run> {
  const store = await emmettStore(srv, emmett);
  let seed = 0x5eed;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const r = await drive(srv, durationMs, (c) => {
    const slots = Math.ceil((ACCOUNTS - c) / CALLERS);
    const account = c + CALLERS * Math.floor(random() * slots);
    return emmett.handle(store, `account-acc-${account}`).then(() => undefined);
  });
  await store.close();
  return { ...NO_DAEMON_FIELDS, ...r, commitsPerSecond: r.commandsPerSecond };
}

async function emmettAppends(srv: Server, emmett: Emmett, durationMs: number): Promise<Run> {
  const store = await emmettStore(srv, emmett);
  const heads = new Array<bigint>(CALLERS).fill(0n);
  const events: EmmettEvent[] = [
    { type: 'Deposited', data: { amount: DEPOSITED.amount, note: DEPOSITED.note } },
  ];
  const r = await drive(srv, durationMs, async (c) => {
    const next = await store.appendToStream(`account-acc-${c}`, events, {
      expectedStreamVersion: heads[c] as bigint,
    });
    heads[c] = next.nextExpectedStreamVersion;
  });
  await store.close();
  return { ...NO_DAEMON_FIELDS, ...r, commitsPerSecond: r.commandsPerSecond };
}

interface Contestant {
  name: string;
  mode: string;
  run(): Promise<Run>;
}

/** Rounds of every contestant, the order reversed every other round; per contestant its runs in order. */
async function alternate(contestants: readonly Contestant[], rounds: number): Promise<Map<string, Run[]>> {
  const runs = new Map<string, Run[]>(contestants.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? contestants : [...contestants].reverse();
    for (const c of order) runs.get(c.name)?.push(await c.run());
  }
  return runs;
}

/** The row of a contestant: its median run by throughput. */
function rowOf(c: Pick<Contestant, 'name' | 'mode'>, runs: readonly Run[]): Row {
  const sorted = [...runs].sort((a, b) => a.commandsPerSecond - b.commandsPerSecond);
  return { name: c.name, mode: c.mode, ...(sorted[sorted.length >> 1] as Run) };
}

/** CPU milliseconds per command (processes + server), or ''. */
function cpuPerCommand(r: Run): string {
  return r.cpu === undefined ? '' : (((r.cpu.processes + r.cpu.server) * 1000) / r.cpu.commands).toFixed(3);
}

export async function postgresAppends(opts: BenchOptions): Promise<ScenarioReport> {
  const title = 'PostgreSQL: several daemons on one database';
  const unavailable = temporaryServerUnavailable();
  if (unavailable !== undefined) {
    return { title, method: 'Not run.', tables: [], findings: [`Skipped: ${unavailable}.`] };
  }
  const durationMs = opts.quick ? 300 : 4_000;
  const rounds = opts.quick ? 1 : Number(process.env.ACTORFOLD_BENCH_PG_ROUNDS ?? 3);
  const server = await startTemporaryServer();
  const rows: Row[] = [];
  const findings: string[] = [];
  const emmett = loadEmmett();
  if (typeof emmett === 'string') findings.push(`Emmett not measured: ${emmett}.`);
  const ratios: Array<{ what: string; values: number[] }> = [];
  try {
    const url = await server.createDatabase('bench');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const { rows: pidRows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.end();
    const srv: Server = { server, url, postmaster: parentOf(pidRows[0]?.pid as number) };
    // Untimed: a fresh server creates its WAL segments and fills its caches on the first writes;
    // without this the first contestant pays for it.
    await storeAppends(srv, opts.quick ? 100 : 2_000);
    const baseline = process.env.ACTORFOLD_BENCH_PG_BASELINE || undefined;
    const specs: Array<DaemonSpec & { mode: string }> = [];
    for (const lease of [false, true]) {
      for (const b of baseline === undefined ? [undefined] : [undefined, baseline]) {
        for (const count of [1, 3])
          specs.push({
            count,
            accounts: ACCOUNTS,
            lease,
            baseline: b,
            mode: lease ? 'lease, split' : 'optimistic',
          });
      }
    }
    const contestants: Contestant[] = specs.map((s) => ({
      name: `${daemonName(s)}, ${s.mode}`,
      mode: s.mode,
      run: () => daemons(srv, s, durationMs),
    }));
    if (typeof emmett !== 'string') {
      contestants.push({
        name: `Emmett ${emmett.version} CommandHandler, 1 process, ${num(ACCOUNTS)} accounts`,
        mode: 'optimistic (expected version)',
        run: () => emmettCommands(srv, emmett, durationMs),
      });
    }
    const runs = await alternate(contestants, rounds);
    for (const c of contestants) rows.push(rowOf(c, runs.get(c.name) ?? []));
    const perRound = (a: string, b: string): number[] => {
      const ra = runs.get(a) ?? [];
      const rb = runs.get(b) ?? [];
      return ra.map(
        (x, i) => x.commandsPerSecond / ((rb[i] as Run | undefined)?.commandsPerSecond ?? Number.NaN),
      );
    };
    const name = (count: number, mode: string, b?: string) =>
      `${daemonName({ count, accounts: ACCOUNTS, lease: false, baseline: b })}, ${mode}`;
    for (const mode of ['optimistic', 'lease, split']) {
      ratios.push({ what: `3 daemons ÷ 1 daemon, ${mode}`, values: perRound(name(3, mode), name(1, mode)) });
      if (baseline !== undefined) {
        ratios.push({
          what: `3 daemons ÷ 1 daemon, ${mode}, baseline build`,
          values: perRound(name(3, mode, baseline), name(1, mode, baseline)),
        });
      }
    }
    const emmettRow = contestants.find((c) => c.name.startsWith('Emmett'));
    if (emmettRow !== undefined) {
      for (const mode of ['optimistic', 'lease, split'])
        ratios.push({
          what: `actorfold 1 daemon (${mode}) ÷ Emmett CommandHandler`,
          values: perRound(name(1, mode), emmettRow.name),
        });
    }
    // Once each: contention, and the stores alone.
    for (const count of [1, 3]) {
      const s = { count, accounts: 50, lease: false };
      rows.push(
        rowOf({ name: `${daemonName(s)}, optimistic`, mode: 'optimistic' }, [
          await daemons(srv, s, durationMs),
        ]),
      );
    }
    rows.push(
      rowOf({ name: 'postgresStore.append, 1 process', mode: '' }, [await storeAppends(srv, durationMs)]),
    );
    if (typeof emmett !== 'string') {
      rows.push(
        rowOf({ name: `Emmett ${emmett.version} appendToStream, 1 process`, mode: '' }, [
          await emmettAppends(srv, emmett, durationMs),
        ]),
      );
    }
    rows.push(
      rowOf({ name: 'naive INSERT per append (gap-prone order), 1 process', mode: '' }, [
        await naiveAppends(srv, durationMs),
      ]),
    );
  } finally {
    await server.stop();
  }
  const rate = (prefix: string) =>
    rows.find((r) => r.name.startsWith(prefix))?.commandsPerSecond ?? Number.NaN;
  const spread = (values: readonly number[]) =>
    values.length === 0
      ? 'not measured'
      : `${median(values).toFixed(2)}×` +
        (values.length > 1
          ? ` (rounds ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}×)`
          : '');
  for (const r of ratios) findings.push(`${r.what}: ${spread(r.values)}.`);
  const headlines: Headline[] = ratios
    .filter((r) => r.values.length > 0 && !r.what.includes('baseline'))
    .map((r) => ({
      what: `PostgreSQL, ${CALLERS} callers: ${r.what}`,
      value: `${median(r.values).toFixed(2)}×`,
      against: r.what.includes('Emmett')
        ? "Emmett's CommandHandler on its PostgreSQL store, same server, alternating rounds"
        : 'one daemon with the same 64 callers, alternating rounds on one server (2 shared cores)',
    }));
  const hot = rows.filter((r) => r.name.includes(' 50 accounts'));
  const [oneHot, threeHot] = [hot[0], hot[1]];
  if (oneHot !== undefined && threeHot !== undefined) {
    findings.push(
      `50 shared accounts: ${num(threeHot.commandsPerSecond)} commands/s with 3 daemons, ${(100 * (threeHot.conflictRate ?? 0)).toFixed(1)} conflict ` +
        `re-decisions per 100 commands (1 daemon: ${num(oneHot.commandsPerSecond)}/s, ${(100 * (oneHot.conflictRate ?? 0)).toFixed(1)}).`,
    );
  }
  findings.push(
    `The stores alone: postgresStore.append ${num(rate('postgresStore'))}/s against ${num(rate('naive'))}/s for a naive ` +
      `INSERT per append without gap-free order (${ratio(rate('postgresStore'), rate('naive'))})` +
      (Number.isNaN(rate('Emmett') + rate('postgresStore'))
        ? '.'
        : ` and Emmett's appendToStream ${num(rows.find((r) => r.name.includes('appendToStream'))?.commandsPerSecond ?? Number.NaN)}/s.`),
  );
  const busy = rows.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu.busy]));
  const loads = rows.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu.load]));
  if (busy.length > 0) {
    findings.push(
      `The machine's cores were ${(100 * Math.min(...busy)).toFixed(0)}–${(100 * Math.max(...busy)).toFixed(0)}% busy during the runs ` +
        `(every process counted), load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`,
    );
  }
  const ms = (v: number | undefined) => (v === undefined ? '' : v.toFixed(1));
  return {
    title,
    method:
      'A throwaway PostgreSQL server started for the run (fsync on, default settings otherwise) on this machine, ' +
      `sharing its cores with every contestant. ${CALLERS} callers per contestant, each awaiting one single-event ` +
      `command or append (\`deposit\` → \`Deposited\`) before the next, ${durationMs / 1000} s per run on a fresh ` +
      'schema (Emmett: a fresh database). **Daemons** are separate processes, each a runtime on postgresStore with ' +
      `its share of the ${CALLERS} callers on random accounts: **optimistic**, every daemon serves every account; ` +
      '**lease, split**, each daemon holds the leases of its own share of the accounts (as behind a router). ' +
      "**Emmett**'s CommandHandler (read the stream, decide, append with the expected version) on its PostgreSQL " +
      `event store runs in this process; caller c sends only to accounts c, c + ${CALLERS}, … (no conflicts). ` +
      `The daemon rows and Emmett's run in ${rounds} alternating round(s); each row is its median round. ` +
      "The conflict rate counts the runtime re-decisions after another node's append plus client re-sends with the " +
      'same commandId, per command. **commits/s** counts append transactions (each carries a group of appends). ' +
      "**CPU ms/command**: CPU time of the contestant's processes (daemons, or this process) plus the server's, " +
      'from /proc, per command; **busy**: the share of both cores busy, every process on the machine counted. ' +
      '**Lag**: a subscriber in this process (LISTEN/NOTIFY, `readAll`) during each daemon run, from each ' +
      "event's timestamp (taken when the runtime built it, before its append) to its delivery. Then once each: " +
      '50 shared accounts (contention), and the stores alone (one stream per caller): postgresStore.append, ' +
      "Emmett's appendToStream, a naive INSERT per append into a sequence-numbered table (gap-prone).",
    tables: [
      {
        caption: `Acknowledged single-event commands (or appends) per second with ${CALLERS} callers, higher is better`,
        columns: [
          'contestant',
          'mode',
          'commands/s',
          'commits/s',
          'conflicts per command',
          'p50 ms',
          'p99 ms',
          'CPU ms/command',
          'busy',
          'lag p50 ms',
          'lag p99 ms',
        ],
        rows: rows.map((r) => [
          r.name,
          r.mode,
          num(r.commandsPerSecond),
          r.commitsPerSecond === undefined ? '' : num(r.commitsPerSecond),
          r.conflictRate === undefined ? '' : r.conflictRate.toFixed(3),
          ms(r.p50),
          ms(r.p99),
          cpuPerCommand(r),
          r.cpu === undefined ? '' : `${(100 * r.cpu.busy).toFixed(0)}%`,
          ms(r.lagP50),
          ms(r.lagP99),
        ]),
        numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10],
      },
    ],
    findings,
    headlines,
  };
}

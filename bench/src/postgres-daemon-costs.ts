/**
 * Diagnostic, run by hand (not by `npm run bench`): where the time of the postgres-appends
 * daemons goes. On a throwaway server with pg_stat_statements, for each contestant (1 or 3
 * daemons, optimistic or lease ownership, every account on every daemon or accounts split
 * between them), runs the daemons of postgres-daemon.ts and reports:
 * - commands/s and append transactions/s;
 * - CPU milliseconds per command of the daemon processes and of the server's processes (from
 *   /proc), and how busy the machine's cores were (/proc/stat);
 * - what the server's active backends were doing (`pg_stat_activity` sampled every 25 ms);
 * - the statements by calls and time per command (pg_stat_statements).
 *
 * node --import tsx src/postgres-daemon-costs.ts [contestant,...] [durationMs] [callers]
 * callers: in all, split between a contestant's daemons (default 64, as in postgres-appends.ts).
 * contestants: `<daemons>x<accounts>[:lease][:split]`, e.g. `1x1000,3x1000,3x1000:lease:split`.
 * env ACTORFOLD_BENCH_PG_BASELINE: another build's dist/index.js, for contestants suffixed `:base`.
 * env ACTORFOLD_BENCH_CPU_PROF: a folder; the first daemon of each contestant writes a --cpu-prof there.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { migrate } from '@actorfold/postgres';
import { startTemporaryServer } from '@actorfold/postgres/testing';
import pg from 'pg';
import { cpuTicks, machineTicks, parentOf, serverTicks, TICKS_PER_SECOND } from './postgres-cpu.js';

const [listArg = '1x1000,3x1000', durationArg = '4000', callersArg = '64'] = process.argv.slice(2);
const durationMs = Number(durationArg);
/** Callers per contestant, split between its daemons (as in postgres-appends.ts). */
const callers = Number(callersArg);
const server = await startTemporaryServer({
  settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
});
try {
  const url = await server.createDatabase('costs');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const { rows: pidRows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = parentOf(pidRows[0]?.pid as number);
  const file = fileURLToPath(new URL('./postgres-daemon.ts', import.meta.url));

  for (const spec of listArg.split(',')) {
    const [shape = '1x1000', ...flags] = spec.split(':');
    const [count, accounts] = shape.split('x').map(Number) as [number, number];
    const lease = flags.includes('lease');
    const split = flags.includes('split');
    const base = flags.includes('base') ? process.env.ACTORFOLD_BENCH_PG_BASELINE : undefined;
    const schema = `c_${spec.replace(/[^a-z0-9]/g, '_')}_${Date.now().toString(36)}`;
    const mod =
      base === undefined
        ? { migrate }
        : ((await import(pathToFileURL(base).href)) as { migrate: typeof migrate });
    await mod.migrate({ connectionString: url, schema });
    const prof = process.env.ACTORFOLD_BENCH_CPU_PROF;
    const procs = Array.from({ length: count }, (_, i) => {
      const child = spawn(
        process.execPath,
        [
          ...(prof !== undefined && i === 0 ? ['--cpu-prof', '--cpu-prof-dir', prof] : []),
          '--import',
          'tsx',
          file,
          url,
          schema,
          `n${i}`,
          String(accounts),
          String(Math.floor(callers / count) + (i < callers % count ? 1 : 0)),
          String(durationMs),
          lease ? 'lease' : 'optimistic',
          split ? `${i}/${count}` : '0/1',
        ],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
          env: base === undefined ? process.env : { ...process.env, ACTORFOLD_BENCH_PG_MODULE: base },
        },
      );
      const lines: string[] = [];
      const waiters: Array<() => void> = [];
      createInterface({ input: child.stdout }).on('line', (l) => {
        lines.push(l);
        for (const w of waiters.splice(0)) w();
      });
      const waitFor = async (prefix: string): Promise<string> => {
        for (;;) {
          const l = lines.find((x) => x.startsWith(prefix));
          if (l !== undefined) return l;
          await new Promise<void>((r) => waiters.push(r));
        }
      };
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      return { child, waitFor, exited };
    });
    await Promise.all(procs.map((p) => p.waitFor('READY')));
    await admin.query('SELECT pg_stat_statements_reset()');
    const cpu0 = {
      node: procs.reduce((n, p) => n + cpuTicks(p.child.pid as number), 0),
      pg: serverTicks(postmaster),
      machine: machineTicks(),
    };
    const wal0 = Number(
      (await admin.query<{ n: string }>('SELECT wal_sync AS n FROM pg_stat_wal')).rows[0]?.n,
    );
    for (const p of procs) p.child.stdin?.end('GO\n');
    const until = performance.now() + durationMs;
    const waits = new Map<string, number>();
    let samples = 0;
    while (performance.now() < until) {
      const { rows } = await admin.query<{ w: string; n: number }>(
        `SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-') AS w, count(*)::int AS n
         FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
           AND state = 'active' GROUP BY 1`,
      );
      samples++;
      for (const r of rows) waits.set(r.w, (waits.get(r.w) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, 25));
    }
    const results = await Promise.all(
      procs.map(async (p) => JSON.parse((await p.waitFor('RESULT ')).slice(7)) as Record<string, number>),
    );
    // CPU before shutdown: each daemon prints its result, then shuts down.
    const cpu1 = {
      node: procs.reduce((n, p) => n + cpuTicks(p.child.pid as number), 0),
      pg: serverTicks(postmaster),
      machine: machineTicks(),
    };
    const wal1 = Number(
      (await admin.query<{ n: string }>('SELECT wal_sync AS n FROM pg_stat_wal')).rows[0]?.n,
    );
    const { rows: stmts } = await admin.query<{ query: string; calls: string; ms: number }>(
      `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS ms
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'costs')
       ORDER BY calls DESC LIMIT 12`,
    );
    await Promise.all(procs.map((p) => p.exited));
    const commands = results.reduce((n, r) => n + (r.commands ?? 0), 0);
    const seconds = Math.max(...results.map((r) => r.seconds ?? 0));
    const batches = results.reduce((n, r) => n + (r.batches ?? 0), 0);
    const retries = results.reduce((n, r) => n + (r.conflictRetries ?? 0) + (r.clientRetries ?? 0), 0);
    const readStatements = results.reduce((n, r) => n + (r.readStatements ?? 0), 0);
    const readStreams = results.reduce((n, r) => n + (r.readStreams ?? 0), 0);
    const ms = (ticks: number) => ((ticks * 1000) / TICKS_PER_SECOND / commands).toFixed(3);
    const [busy, total] = [cpu1.machine[0] - cpu0.machine[0], cpu1.machine[1] - cpu0.machine[1]];
    console.log(
      `\n== ${spec}: ${(commands / seconds).toFixed(0)} commands/s, ${(batches / seconds).toFixed(0)} commits/s, ` +
        `${(retries / commands).toFixed(3)} retries/cmd, p50 ${Math.max(...results.map((r) => r.p50 ?? 0)).toFixed(1)} ms` +
        (readStatements === 0
          ? ''
          : `, ${(readStatements / commands).toFixed(3)} stream-read statements/cmd (${(readStreams / readStatements).toFixed(1)} streams each)`),
    );
    console.log(
      `   CPU ms/command: daemons ${ms(cpu1.node - cpu0.node)}, server ${ms(cpu1.pg - cpu0.pg)}; ` +
        `machine busy ${((100 * busy) / total).toFixed(0)}%; WAL syncs/s ${((wal1 - wal0) / seconds).toFixed(0)}`,
    );
    const waitList = [...waits].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(
      `   active backends (mean ${(waitList.reduce((n, [, c]) => n + c, 0) / samples).toFixed(1)}): ` +
        waitList.map(([w, c]) => `${w} ${(c / samples).toFixed(2)}`).join(', '),
    );
    for (const s of stmts) {
      console.log(
        `   ${(Number(s.calls) / commands).toFixed(3)} calls/cmd  ${((s.ms * 1000) / Number(s.calls)).toFixed(0)} µs/call  ${s.query.slice(0, 110)}`,
      );
    }
  }
  await admin.end();
} finally {
  await server.stop();
}

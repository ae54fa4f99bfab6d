/**
 * One daemon of the PostgreSQL scenario (postgres-appends.ts), run as its own process: a runtime
 * on postgresStore whose `clients` callers each await one `deposit` on a random account before
 * issuing the next. Prints READY once every account is active, starts on a `GO` line on stdin,
 * runs for `durationMs`, then prints one `RESULT <json>` line and exits.
 *
 * A command that still fails with VERSION_CONFLICT after the runtime's own re-decisions
 * (`maxConflictRetries`, default 3) is sent again with the same commandId, as a client would.
 *
 * argv: url schema nodeId accounts clients durationMs [ownership [part/parts]]
 * - ownership: 'optimistic' (default) or 'lease';
 * - part/parts (e.g. `1/3`): this daemon serves only the accounts whose number is `part` modulo
 *   `parts`, as a router placing each aggregate on one node would (default: every account).
 * env: ACTORFOLD_BENCH_PG_MODULE, the file of another build of @actorfold/postgres to run instead.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { createRuntime, isVersionConflict } from '@actorfold/core';
import { account } from './level-rig.js';

const [url, schema, nodeId, accounts, clients, durationMs, ownership = 'optimistic', partition = '0/1'] =
  process.argv.slice(2) as [string, string, string, string, string, string, string?, string?];
const [part, parts] = partition.split('/').map(Number) as [number, number];

const { postgresStore } = (await import(
  process.env.ACTORFOLD_BENCH_PG_MODULE
    ? pathToFileURL(process.env.ACTORFOLD_BENCH_PG_MODULE).href
    : '@actorfold/postgres'
)) as typeof import('@actorfold/postgres');
const store = await postgresStore({
  connectionString: url,
  schema,
  nodeId,
  ownership: ownership === 'lease' ? 'lease' : 'optimistic',
});
const runtime = await createRuntime({ store, aggregates: [account] });
const ids = Array.from({ length: Number(accounts) }, (_, i) => i).filter((i) => i % parts === part);
const handles = ids.map((i) => runtime.get(account, `acc-${i}`));
await Promise.all(handles.map((h) => h.state()));
process.stdout.write('READY\n');
await new Promise<void>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line !== 'GO') return;
    lines.close(); // stdin must not keep the process alive once the run is over
    resolve();
  });
});

const latencies: number[] = [];
let clientRetries = 0;
const before = store.stats();
const started = performance.now();
const deadline = started + Number(durationMs);
let seq = 0;
async function client(): Promise<void> {
  while (performance.now() < deadline) {
    const h = handles[Math.floor(Math.random() * handles.length)] as (typeof handles)[number];
    const commandId = `${nodeId}-${seq++}`;
    const t = performance.now();
    for (;;) {
      try {
        await h.execute({ type: 'deposit' }, { commandId });
        break;
      } catch (e) {
        if (!isVersionConflict(e)) throw e;
        clientRetries++;
      }
    }
    latencies.push(performance.now() - t);
  }
}
await Promise.all(Array.from({ length: Number(clients) }, () => client()));
const seconds = (performance.now() - started) / 1000;
const after = store.stats();
const { conflictRetries } = runtime.stats();
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
process.stdout.write(
  `RESULT ${JSON.stringify({
    commands: latencies.length,
    seconds,
    batches: after.batches - before.batches,
    // Absent on a baseline build without coalesced reads.
    readStatements: (after.reads?.statements ?? 0) - (before.reads?.statements ?? 0),
    readStreams: (after.reads?.streams ?? 0) - (before.reads?.streams ?? 0),
    conflictRetries,
    clientRetries,
    p50: pct(0.5),
    p99: pct(0.99),
  })}\n`,
);
await runtime.shutdown();

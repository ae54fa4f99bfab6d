/**
 * One "daemon" of the three-daemon test: a runtime on postgresStore serving ledger aggregates,
 * with `concurrency` workers that each issue tagged commands with commandIds on random ledgers
 * of `aggregates`. Before each command it prints `SEND <id> <tag> <parts>`, after it resolves
 * `ACK <id> <tag> <parts>` (stdout is a pipe; pipe writes are synchronous on Linux, so a printed
 * line reaches the parent even if we are killed right after).
 *
 * Conflicts with the other daemons are re-decided by the runtime (maxConflictRetries). A command
 * that still fails with VERSION_CONFLICT is sent again with the same commandId, as a real client
 * would (`RETRY <tag>`): the dedupe window makes that safe. SIGTERM stops the workers after
 * their current command, shuts the runtime down and prints `DONE <conflictRetries> <largest batch>`.
 *
 * argv: url schema node concurrency aggregates [maxBatchCommands]
 */
import { createRuntime, isVersionConflict } from '@actorfold/core';
import { postgresStore } from '../../src/index.js';
import { DEDUPE_WINDOW, ledger } from './ledger.js';

const [url, schema, node, concurrency, aggregates, maxBatch] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string | undefined,
];
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const runtime = await createRuntime({
  store: postgresStore({ connectionString: url, schema, nodeId: node }),
  aggregates: [ledger],
  dedupeWindow: DEDUPE_WINDOW,
  // Short: actors get evicted (snapshot on evict) and respawned while the others write.
  idleTimeoutMs: 30,
  maxConflictRetries: 5,
  ...(maxBatch === undefined ? {} : { maxBatchCommands: Number(maxBatch) }),
});
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
out('READY');

let seq = 0;
async function worker(w: number): Promise<void> {
  while (!stopping) {
    const id = `l${Math.floor(Math.random() * Number(aggregates))}`;
    const tag = `${node}.${w}.${seq++}`;
    const parts = 1 + Math.floor(Math.random() * 3);
    out(`SEND ${id} ${tag} ${parts}`);
    for (let attempt = 0; ; attempt++) {
      try {
        await runtime.get(ledger, id).execute({ type: 'record', tag, parts }, { commandId: tag });
        break;
      } catch (e) {
        if (!isVersionConflict(e) || attempt >= 100) throw e;
        out(`RETRY ${tag}`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
    }
    out(`ACK ${id} ${tag} ${parts}`);
  }
}
try {
  await Promise.all(Array.from({ length: Number(concurrency) }, (_, w) => worker(w)));
  const { conflictRetries } = runtime.stats();
  const largestBatch = runtime.metrics().batchSize.max;
  await runtime.shutdown();
  out(`DONE ${conflictRetries} ${largestBatch}`);
} catch (e) {
  out(`ERR ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

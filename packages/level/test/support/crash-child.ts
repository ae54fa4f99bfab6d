/**
 * The process the crash test kills. It opens a runtime on the folder, re-sends the commands
 * listed in the re-send file (printing `DUP <tag> <deduplicated>`), then runs `concurrency`
 * workers that each issue tagged commands with commandIds across `aggregates` ledgers, printing
 * `ACK <aggregateId> <tag> <parts>` after each one resolves. stdout is a pipe, and pipe writes
 * are synchronous on Linux: a printed acknowledgement is with the parent even if we die next.
 *
 * Every 20 ms it also prints `BATCH <largest batch so far>` (commands stored in one append) and
 * `INFLIGHT <most appends of one stream in flight at once so far>`.
 *
 * argv: folder durability round concurrency aggregates resendFile [maxBatchCommands [maxBatchesInFlight]]
 */
import { readFileSync } from 'node:fs';
import { createRuntime } from '@actorfold/core';
import { type Durability, levelStore } from '../../src/index.js';
import { DEDUPE_WINDOW, ledger } from './ledger.js';

const [folder, durability, round, concurrency, aggregates, resendFile, maxBatch, inFlight] =
  process.argv.slice(2) as [
    string,
    Durability,
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const store = await levelStore({ path: folder, durability });
// Counts the appends of each stream in flight at once (more than one only with maxBatchesInFlight).
const appending = new Map<string, number>();
let mostInFlight = 0;
const append = store.append.bind(store);
store.append = (streamId, events, opts) => {
  const n = (appending.get(streamId) ?? 0) + 1;
  appending.set(streamId, n);
  mostInFlight = Math.max(mostInFlight, n);
  return append(streamId, events, opts).finally(() =>
    appending.set(streamId, (appending.get(streamId) ?? 1) - 1),
  );
};
const runtime = await createRuntime({
  store,
  aggregates: [ledger],
  dedupeWindow: DEDUPE_WINDOW,
  // Short: actors get evicted (snapshot on evict) and respawned while the test kills us.
  idleTimeoutMs: 20,
  ...(maxBatch === undefined ? {} : { maxBatchCommands: Number(maxBatch) }),
  ...(inFlight === undefined ? {} : { maxBatchesInFlight: Number(inFlight) }),
});
out('READY');
setInterval(() => {
  out(`BATCH ${runtime.metrics().batchSize.max}`);
  out(`INFLIGHT ${mostInFlight}`);
}, 20).unref();

for (const line of readFileSync(resendFile, 'utf8').split('\n')) {
  if (line === '') continue;
  const [id, tag, parts] = line.split(' ') as [string, string, string];
  const r = await runtime
    .get(ledger, id)
    .execute({ type: 'record', tag, parts: Number(parts) }, { commandId: tag });
  out(`DUP ${tag} ${r.deduplicated}`);
}

let seq = 0;
async function worker(w: number): Promise<never> {
  for (;;) {
    const id = `l${Math.floor(Math.random() * Number(aggregates))}`;
    const tag = `${round}.${w}.${seq++}`;
    const parts = 1 + Math.floor(Math.random() * 3);
    await runtime.get(ledger, id).execute({ type: 'record', tag, parts }, { commandId: tag });
    out(`ACK ${id} ${tag} ${parts}`);
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, (_, w) => worker(w))).catch((e: unknown) => {
  out(`ERR ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

/**
 * docs/getting-started.md, top to bottom: every code block of that page is a region of this
 * file, and this file runs as one program (test/examples.test.ts runs it in an empty folder).
 */
import { isRejection } from '@actorfold/core';
import { pino } from 'pino';

const logger = pino({ level: 'warn' });

// #region runtime
import { createRuntime } from '@actorfold/core';
import { account } from '@actorfold/example-daemon/domain';
import { levelStore } from '@actorfold/level';

const runtime = await createRuntime({
  aggregates: [account],
  store: levelStore({ path: './data' }), // default: memoryStore(), which keeps nothing
  idleTimeoutMs: 300_000, // evict an actor after 5 min without requests
  mailboxCapacity: 1024, // per actor; beyond it MailboxFull (retryable)
  onMailboxFull: 'fail', // or 'wait': the caller waits for room, up to commandTimeoutMs
  maxBatchCommands: 256, // commands waiting in one mailbox stored with one append
  maxBatchBytes: 1_048_576, // about this much JSON of events per batch
  maxBatchesInFlight: 1, // batches one actor may have appending at once (stores with pipelinedAppends)
  maxConcurrentRecoveries: 16, // actors loading from the store at once
  commandTimeoutMs: 30_000, // the caller stops waiting (CommandTimeout); 0 disables
  dedupeWindow: 1000, // commandIds remembered per stream
  slowCommandMs: 1000, // warn about slower commands
  logger, // a pino logger; silent by default
});
// #endregion runtime

// #region handles
const alice = runtime.get(account, 'alice'); // typed by the definition: commands, state, events
await alice.execute({ type: 'open', owner: 'alice' }, { commandId: 'open-alice' });
const r = await alice.execute({ type: 'deposit', amount: 5 }, { commandId: 'dep-42' });
console.log(r.version, r.state.balance, r.events.length, r.deduplicated); // 2 5 1 false
const again = await alice.execute({ type: 'deposit', amount: 5 }, { commandId: 'dep-42' });
console.log(again.version, again.deduplicated); // 2 true: a retry appends nothing
// #endregion handles

// #region errors
try {
  await alice.execute({ type: 'withdraw', amount: 100 });
} catch (e) {
  if (!isRejection(e)) throw e;
  console.log(e.reason, e.details); // insufficient-funds { balance: 5 }
}
// #endregion errors

// #region by-name
// By type name (a name from a request, a config file): the handle is not typed by the
// definition. Its commands are `Command` ({ type: string }) and its state `unknown`.
const command: { type: string; amount: number } = { type: 'deposit', amount: 1 };
const byName = await runtime.get('account', 'alice').execute(command, { commandId: 'dep-43' });
console.log(byName.version); // 3
// #endregion by-name

// #region observe
runtime.stats(); // { liveActors, activatingActors, idleActors, mailboxDepth, commandsOk, evictions, ... }
runtime.metrics(); // { counters, gauges, latency: { command: { p50, p90, p99, ... }, recovery } }  (ms)
runtime.actors(); // [{ type, id, status, version, mailboxDepth, idleForMs }]
await runtime.evict('account', 'alice'); // passivate now: finish queued work, snapshot if due
await runtime.snapshot('account', 'alice'); // save a snapshot now, in order with its commands
await runtime.shutdown({ timeoutMs: 10_000 }); // refuse new commands, drain, evict all, close the store
// #endregion observe

/**
 * One daemon of the multi-daemon durable-effect test: a runtime on postgresStore named `node`,
 * with the `errand` implementation journaling every attempt (node, idempotency key, start and
 * end) to the journal all daemons share. Until SIGUSR2 it sends errands from `senders` workers on
 * its own aggregates (`errand/<node>.<k>`, ten of them; markers `<node>.<w>.<seq>`), printing
 * `ACK <streamId> <marker>` once each `send` is acknowledged; any daemon may run any effect (they
 * are claimed in the database). Then it prints `SENT-ALL`, waits until no effect record is
 * pending in the database (the killed daemon's included), shuts down and prints `DONE`.
 *
 * Attempts run here take `slowdown` times the errand's delay (the daemon the test kills is slow,
 * so that it is killed mid-attempt).
 *
 * argv: url schema node journal senders slowdown
 */
import { createRuntime } from '@actorfold/core';
import { errand, errandEffect, openJournal } from '@actorfold/testing/crash';
import { postgresStore } from '../../src/index.js';

const [url, schema, node, journalPath, senders, slowdown] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const journal = openJournal(journalPath);

const runtime = await createRuntime({
  store: postgresStore({ connectionString: url, schema, nodeId: node }),
  aggregates: [errand],
  runtimeId: node,
  idleTimeoutMs: 30,
  // Short polls: due effects and results move between the daemons within the test. Claims
  // last long enough to hold on a loaded machine: a node that takes longer than leaseMs from
  // claiming a record to leasing it can run it while another node does (see
  // docs/store-internals.md); the test checks the promise while leases hold.
  timers: { pollMs: 100, leaseMs: 10_000 },
  effects: {
    implementations: { errand: errandEffect(journal, node, { slowdown: Number(slowdown) }) },
    concurrency: 8,
    // Far above the work (<= 200 ms, 1 s on the slow daemon). A killed daemon's attempts run again elsewhere once their
    // lease (this plus the runner's grace) has run out.
    timeoutMs: 1_500,
    maxAttempts: 8,
    backoff: { initialMs: 10, maxMs: 100 },
  },
});
out('READY');

let sending = true;
process.on('SIGUSR2', () => {
  sending = false;
});
let seq = 0;
async function sender(w: number): Promise<void> {
  while (sending) {
    const id = `${node}.${Math.floor(Math.random() * 10)}`;
    const marker = `${node}.${w}.${seq++}`;
    const delayMs = 20 + Math.floor(Math.random() * 180);
    const failFirst = Math.random() < 0.2 ? 1 : 0;
    await runtime.get(errand, id).execute({ type: 'send', marker, delayMs, failFirst });
    out(`ACK errand/${id} ${marker}`);
    await new Promise((r) => setTimeout(r, Math.random() * 20));
  }
}
try {
  await Promise.all(Array.from({ length: Number(senders) }, (_, w) => sender(w)));
  out('SENT-ALL');
  const timers = runtime.store.timers;
  if (timers === undefined) throw new Error('the postgres store keeps timers');
  for (let polls = 0; (await timers.count()) > 0; polls++) {
    if (polls % 100 === 99) out(`PENDING ${await timers.count()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await runtime.shutdown();
  journal.close();
  out('DONE');
} catch (e) {
  out(`ERR ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

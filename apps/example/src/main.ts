/**
 * The example job: runs an account aggregate on the runtime and tells what happened at each
 * step. Run with `npm run example` from the repository root.
 */
import { createRuntime, isRejection } from '@actorfold/core';
import { account } from './account.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

const runtime = await createRuntime({ aggregates: [account], idleTimeoutMs: 60_000 });
log('actorfold example: accounts on the in-memory store\n');

const alice = runtime.get(account, 'alice');
let r = await alice.execute({ type: 'open', owner: 'Alice' }, { commandId: 'open-alice' });
log(`open alice            -> version ${r.version}, events [${r.events.map((e) => e.type).join(', ')}]`);

r = await alice.execute({ type: 'open', owner: 'Alice' }, { commandId: 'open-alice' });
log(`retry same commandId  -> deduplicated=${r.deduplicated}, still version ${r.version}`);

const deposits = Array.from({ length: 1000 }, (_, i) => alice.execute({ type: 'deposit', amount: i + 1 }));
const results = await Promise.all(deposits);
const versions = results.map((x) => x.version);
const inOrder = versions.every((v, i) => i === 0 || v === (versions[i - 1] as number) + 1);
log(`1000 concurrent deposits -> versions ${versions[0]}..${versions.at(-1)}, in arrival order: ${inOrder}`);
log(`balance               -> ${(await alice.state()).state.balance}`);

try {
  await alice.execute({ type: 'withdraw', amount: 10_000_000 });
} catch (e) {
  if (!isRejection(e)) throw e;
  log(`overdraw              -> rejected: ${e.reason} (${e.message})`);
}

const ids = Array.from({ length: 200 }, (_, i) => `acct-${i}`);
await Promise.all(ids.map((id) => runtime.get(account, id).execute({ type: 'open', owner: id })));
await Promise.all(ids.map((id) => runtime.get(account, id).execute({ type: 'deposit', amount: 10 })));
log(`200 more accounts     -> ${runtime.stats().liveActors} actors resident`);

await runtime.evict(account, 'alice');
log(`evict alice           -> alive=${alice.isAlive()}`);
const after = await alice.state();
log(
  `next call respawns    -> alive=${alice.isAlive()}, version ${after.version}, balance ${after.state.balance}`,
);

const m = runtime.metrics();
const c = m.counters;
log(
  `\nmetrics: ${c.commandsOk} ok, ${c.commandsRejected} rejected, ${c.eventsAppended} events, ` +
    `${c.activations} activations, ${c.evictions} evictions, ${c.dedupeHits} dedupe hits, ${c.snapshotSaves} snapshots`,
);
log(
  `command latency (ms): p50 ${m.latency.command.p50} p90 ${m.latency.command.p90} p99 ${m.latency.command.p99}`,
);
await runtime.shutdown();
log('shut down cleanly');

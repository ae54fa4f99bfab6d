/**
 * The example job: runs an account aggregate and a supplier-switch statechart on the runtime over
 * the embedded LevelDB store and tells what happened at each step. Run with `npm run example` from the repository root; the
 * data lives in `apps/example/data` (or `$ACTORFOLD_DATA`) and survives between runs.
 */
import { resolve } from 'node:path';
import { createRuntime, isActorfoldError, isRejection } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { account } from './account.js';
import { supplierSwitch } from './supplier-switch.js';

const log = (line: string) => process.stdout.write(`${line}\n`);
const path = resolve(process.env.ACTORFOLD_DATA ?? 'data');

const open = () =>
  createRuntime({
    store: levelStore({ path }),
    aggregates: [account, supplierSwitch],
    idleTimeoutMs: 60_000,
  });
let runtime = await open();
let before = 0;
for await (const _ of runtime.store.readAll()) before++;
log(`actorfold example: accounts on the LevelDB store in ${path} (${before} events from earlier runs)\n`);

const alice = runtime.get(account, 'alice');
let r = await alice.execute({ type: 'open', owner: 'Alice' }, { commandId: 'open-alice' });
log(
  `open alice            -> version ${r.version}, deduplicated=${r.deduplicated} (true when an earlier run opened her)`,
);

r = await alice.execute({ type: 'open', owner: 'Alice' }, { commandId: 'open-alice' });
log(
  `retry same commandId  -> deduplicated=${r.deduplicated}, still version ${(await alice.state()).version}`,
);

const deposits = Array.from({ length: 1000 }, (_, i) => alice.execute({ type: 'deposit', amount: i + 1 }));
const results = await Promise.all(deposits);
const versions = results.map((x) => x.version);
const inOrder = versions.every((v, i) => i === 0 || v === (versions[i - 1] as number) + 1);
log(`1000 concurrent deposits -> versions ${versions[0]}..${versions.at(-1)}, in arrival order: ${inOrder}`);
log(`balance               -> ${(await alice.state()).state.balance}`);

try {
  await alice.execute({ type: 'withdraw', amount: 10_000_000_000 });
} catch (e) {
  if (!isRejection(e)) throw e;
  log(`overdraw              -> rejected: ${e.reason} (${e.message})`);
}

const ids = Array.from({ length: 200 }, (_, i) => `acct-${i}`);
await Promise.all(
  ids.map((id) => runtime.get(account, id).execute({ type: 'open', owner: id }, { commandId: `open-${id}` })),
);
await Promise.all(ids.map((id) => runtime.get(account, id).execute({ type: 'deposit', amount: 10 })));
log(`200 more accounts     -> ${runtime.stats().liveActors} actors resident`);

await runtime.evict(account, 'alice');
log(`evict alice           -> alive=${alice.isAlive()}`);
const afterEvict = await alice.state();
log(
  `next call respawns    -> alive=${alice.isAlive()}, version ${afterEvict.version}, balance ${afterEvict.state.balance}`,
);

// The folder is locked while a runtime has it open: a second open fails fast.
await levelStore({ path }).then(
  (s) => s.close(),
  (e: unknown) =>
    log(
      `second open of folder -> ${isActorfoldError(e) ? `${e.code} (${(e as { reason?: string }).reason})` : e}`,
    ),
);

log(
  `\nsupplier switch (GPKE-style statechart; workflow versions ${supplierSwitch.workflowVersions.join(', ')})`,
);
const switchDate = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10); // tomorrow (UTC)
const sw = runtime.get(supplierSwitch, `51238696781-${Date.now().toString(36)}`);
const refused = async (command: Parameters<typeof sw.execute>[0]) => {
  try {
    await sw.execute(command);
    return 'accepted';
  } catch (e) {
    if (!isRejection(e)) throw e;
    return `rejected: ${e.reason}, accepted now ${JSON.stringify((e.details as { accepted?: string[] }).accepted)}`;
  }
};
let s = await sw.execute({
  type: 'requestSwitch',
  meteringPoint: '51238696781', // MaLo-ID with check digit
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate,
});
const emitted = (x: typeof s) => x.events.flatMap((e) => e.data.emitted ?? []).map((m) => m.type);
log(`request switch        -> ${s.state.value} on ${s.state.workflowVersion}, emitted [${emitted(s)}]`);
log(`start supply now      -> ${await refused({ type: 'startSupply' })}`);
s = await sw.execute({ type: 'confirmSwitch' });
log(`operator confirms     -> ${s.state.value}, emitted [${emitted(s)}]`);
log(`cancel after confirm  -> ${await refused({ type: 'cancelSwitch', reason: 'customer withdrew' })}`);
s = await sw.execute({ type: 'verifyMasterData', meterNumber: '1EMH0012345678' });
log(`master data verified  -> ${s.state.value}; supply may start on ${switchDate}`);
log(`start supply early    -> ${await refused({ type: 'startSupply' })}`);

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

// A restart: a new runtime on the same folder rebuilds alice from her snapshot and the stream's tail.
runtime = await open();
const restarted = await runtime.get(account, 'alice').state();
log(
  `restart               -> version ${restarted.version}, balance ${restarted.state.balance} (same as before)`,
);
await runtime.shutdown();
log('shut down cleanly');

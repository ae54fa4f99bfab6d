/**
 * Diagnostic (not a scenario of run.ts): CPU and heap allocated per command of the runtime's
 * per-command path, 1,000 aggregates and 256 closed-loop callers (the spread load of
 * hot-aggregate.ts). `label=path` runs another build of `@actorfold/core` (its dist/index.js,
 * e.g. main's, built in a scratch copy whose imports resolve); without one, this checkout's:
 *
 *   node --expose-gc --import tsx src/per-command.ts --store heads
 *   node --expose-gc --import tsx src/per-command.ts main=/tmp/main/packages/core/dist/index.js --store heads
 *
 * Compare builds in separate processes, run alternately: two builds in one process bias each
 * other (call sites of this script turn polymorphic; the build loaded second measured slower in
 * either order). `--store heads`: a store that keeps only stream heads (the runtime's
 * allocations are nearly all there is); `memory`; `os` / `fsync`: levelStore. CPU:
 * `process.cpuUsage()` (user + system, every thread) per command, min of the rounds. Allocated:
 * heap used after - before, plus what each GC in between freed (`v8.GCProfiler`), per command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { levelStore } from '@actorfold/level';
import { prng } from './measure.js';

type Core = typeof import('@actorfold/core');
type Store = import('@actorfold/core').EventStore;

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : (args[i + 1] ?? fallback);
};
const STORE = option('store', 'heads');
const COMMANDS = Number(option('n', '150000'));
const ROUNDS = Number(option('rounds', '3'));
const CALLERS = 256;
const AGGREGATES = 1_000;
const DEPOSITED = { type: 'Deposited', amount: 42, note: 'monthly top-up' } as const;
const DEPOSIT = Object.freeze({ type: 'deposit' as const });
const random = prng(0x14);
const targets = Uint16Array.from({ length: 1 << 20 }, () => Math.floor(random() * AGGREGATES));

/** Keeps only each stream's head: appends build the envelopes and nothing else. */
function headsOnly(core: Core): Store {
  const base = core.memoryStore();
  const heads = new Map<string, number>();
  let position = 0;
  return {
    ...base,
    snapshots: base.snapshots,
    checkpoints: base.checkpoints,
    append(streamId, events, opts) {
      const head = heads.get(streamId) ?? 0;
      if (opts.expectedVersion !== head)
        return Promise.reject(new core.VersionConflict(streamId, opts.expectedVersion, head));
      const { aggregateType, aggregateId } = core.parseStreamId(streamId);
      const envelopes = events.map((e, i) => ({
        streamId,
        aggregateType,
        aggregateId,
        version: head + i + 1,
        position: ++position,
        type: e.data.type,
        data: e.data,
        schemaVersion: e.schemaVersion ?? 1,
        metadata: e.metadata ?? {},
        timestamp: e.timestamp ?? '',
      }));
      heads.set(streamId, head + events.length);
      return Promise.resolve(envelopes);
    },
    knownStreamVersion: (id) => heads.get(id) ?? 0,
    streamVersion: async (id) => heads.get(id) ?? 0,
    async *readStream() {},
  };
}

async function round(core: Core) {
  const account = core.defineAggregate<{ balance: number }, typeof DEPOSIT, typeof DEPOSITED>({
    type: 'account',
    initialState: () => ({ balance: 0 }),
    decide: () => [DEPOSITED],
    evolve: (s, e) => ({ balance: s.balance + e.amount }),
  });
  const folder = STORE === 'os' || STORE === 'fsync' ? mkdtempSync(join(tmpdir(), 'per-command-')) : '';
  const store: Store =
    STORE === 'heads'
      ? headsOnly(core)
      : STORE === 'memory'
        ? core.memoryStore()
        : await levelStore({ path: folder, durability: STORE === 'fsync' ? 'fsync' : 'os' });
  const rt = await core.createRuntime({ store, aggregates: [account] });
  const handles = Array.from({ length: AGGREGATES }, (_, i) => rt.get(account, `acc-${i}`));
  await Promise.all(handles.map((h) => h.state()));
  let issued = 0;
  const load = async (until: number) => {
    const caller = async () => {
      while (issued < until) await handles[targets[issued++ % targets.length] as number]?.execute(DEPOSIT);
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
  };
  await load(COMMANDS / 5);
  const warm = issued;
  (globalThis as { gc?: () => void }).gc?.();
  const gcs = new v8.GCProfiler();
  gcs.start();
  const used = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  await load(warm + COMMANDS);
  const spent = process.cpuUsage(cpu);
  const usedAfter = process.memoryUsage().heapUsed;
  let freed = 0;
  for (const s of gcs.stop().statistics)
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  const n = issued - warm;
  await rt.shutdown();
  await store.close();
  if (folder !== '') rmSync(folder, { recursive: true, force: true });
  return { us: (spent.user + spent.system) / n, bytes: (usedAfter - used + freed) / n };
}

const runtimes: Array<{ label: string; core: Core }> = [];
for (const a of args.filter((x) => x.includes('='))) {
  const [label, path] = a.split('=') as [string, string];
  runtimes.push({ label, core: (await import(pathToFileURL(resolve(path)).href)) as Core });
}
if (runtimes.length === 0) runtimes.push({ label: 'this', core: await import('@actorfold/core') });
const results = new Map(runtimes.map((r) => [r.label, [] as Array<{ us: number; bytes: number }>]));
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < runtimes.length; i++) {
    const rt = runtimes[(i + r) % runtimes.length] as (typeof runtimes)[number];
    results.get(rt.label)?.push(await round(rt.core));
  }
}
console.log(`store ${STORE}, ${COMMANDS} commands per round, ${ROUNDS} rounds interleaved`);
for (const [label, rs] of results) {
  const us = rs.map((x) => x.us.toFixed(2)).join(' ');
  const bytes = rs.map((x) => Math.round(x.bytes)).join(' ');
  console.log(
    `${label}: CPU µs/command min ${Math.min(...rs.map((x) => x.us)).toFixed(2)} [${us}]; bytes/command min ${Math.round(Math.min(...rs.map((x) => x.bytes)))} [${bytes}]`,
  );
}

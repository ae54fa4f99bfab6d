/**
 * The LevelDB store's main-thread CPU per event, against raw group commit of the same records.
 * 256 callers, 1,000 streams (caller c appends to the streams c, c + 256, ... in turn, so no two
 * of its appends race on a version), one event per append, durability 'fsync', each contestant on
 * a fresh folder, rounds interleaved. What it prints per contestant, min and median of the rounds:
 * - main-thread CPU µs per event (user + system of the main thread alone, from
 *   /proc/self/task/<pid>/stat: LevelDB's writes and fsyncs run on other threads);
 * - process CPU µs per event (`process.cpuUsage()`, every thread);
 * - JS heap bytes allocated per event (from `v8.GCProfiler`: what each collection found, plus the
 *   growth since the last one);
 * - events per LevelDB batch (the stores' own count; NaN for raw).
 *
 * Not part of `npm run bench`. Run it alone, in bench/, after `npx tsc -b` at the root:
 *
 *   node --expose-gc --import tsx src/level-store-cpu.ts [--old <index.js of another build>]
 *     [--old-core <index.js of its core>] [--events 60000] [--rounds 3] [--shape bench|runtime]
 *     [--only <name>+<name>]
 *
 * `--old` loads a second build of `@actorfold/level` (for example main's, built into a scratch
 * folder) as the contestant `old levelStore.append`, so old and new are compared in one run.
 * `--shape runtime` appends events as the runtime hands them over (schemaVersion, an empty
 * metadata object, a timestamp); `bench` (default) as `level-appends` does (data only).
 * With `--old-core` too, `old runtime` runs the runtime of that core build on that level build.
 * `runtime` is `execute` (one deposit, one event) on 1,000 accounts through the runtime: its CPU
 * per command against raw is what caps the hot-aggregate 1,000-aggregate ratio on a CPU-bound
 * machine. `--only` picks contestants; `--child <name> --profile <file>` profiles one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GCProfiler } from 'node:v8';
import * as core from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { openRaw, rawGroupCommit } from './level-appends.js';
import { DEPOSITED, removeAllFolders, removeFolder, scratchFolder } from './level-rig.js';
import { median, requireGc } from './measure.js';

const CALLERS = 256;
const STREAMS = 1_000;

interface Options {
  /** Set in a child process: the one contestant it measures. */
  child: string | undefined;
  /** With --child: write a CPU profile of the timed appends alone (not start-up, not warm-up) here. */
  profile: string | undefined;
  old: string | undefined;
  /** With --old: the `@actorfold/core` build that old level build runs on, for `old runtime`. */
  oldCore: string | undefined;
  events: number;
  rounds: number;
  shape: 'bench' | 'runtime';
  only: string | undefined;
}

function options(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : argv[i + 1];
  };
  const shape = value('--shape') ?? 'bench';
  if (shape !== 'bench' && shape !== 'runtime')
    throw new Error(`--shape must be bench or runtime, got ${shape}`);
  return {
    child: value('--child'),
    profile: value('--profile'),
    old: value('--old'),
    oldCore: value('--old-core'),
    events: Number(value('--events') ?? 60_000),
    rounds: Number(value('--rounds') ?? 3),
    shape,
    only: value('--only'),
  };
}

/** What one contestant opens on a fresh folder. */
interface Rig {
  append(streamId: string, version: number): Promise<unknown>;
  /** LevelDB batches written so far (undefined when the contestant does not count them). */
  batches(): number | undefined;
  close(): Promise<void>;
}

type StoreFactory = typeof levelStore;

function storeRig(open: StoreFactory, shape: Options['shape']) {
  return async (folder: string): Promise<Rig> => {
    const store = await open({ path: folder, durability: 'fsync' });
    const timestamp = new Date().toISOString();
    // One array for every append, as level-appends does: the caller's own allocation is not billed.
    const events =
      shape === 'bench'
        ? [{ data: DEPOSITED }]
        : [{ data: DEPOSITED, schemaVersion: 1, metadata: {}, timestamp }];
    return {
      append: (streamId, version) => store.append(streamId, events, { expectedVersion: version - 1 }),
      batches: () => store.stats().batches,
      close: () => store.close(),
    };
  };
}

/** The runtime on the store: `execute` of one deposit on account `acc-<stream>` (1,000 accounts, activated before the clock starts). */
function runtimeRig(core: CoreModule, open: StoreFactory) {
  return async (folder: string): Promise<Rig> => {
    const account = core.defineAggregate<{ balance: number }, { type: 'deposit' }, typeof DEPOSITED>({
      type: 'account',
      initialState: () => ({ balance: 0 }),
      decide: () => [DEPOSITED],
      evolve: (st, e) => ({ balance: st.balance + e.amount }),
    });
    const runtime = await core.createRuntime({
      store: open({ path: folder, durability: 'fsync' }),
      aggregates: [account],
    });
    const handles = Array.from({ length: STREAMS }, (_, i) => runtime.get(account, `acc-${i}`));
    await Promise.all(handles.map((h) => h.state()));
    const deposit = Object.freeze({ type: 'deposit' as const });
    return {
      append: (streamId) =>
        (handles[Number(streamId.slice(streamId.lastIndexOf('-') + 1))] as (typeof handles)[number]).execute(
          deposit,
        ),
      batches: () => undefined,
      close: () => runtime.shutdown(),
    };
  };
}

type CoreModule = Pick<typeof core, 'createRuntime' | 'defineAggregate'>;

async function rawRig(folder: string): Promise<Rig> {
  const db = await openRaw(folder);
  const put = rawGroupCommit(db, 1, true);
  return { append: put, batches: () => undefined, close: () => db.close() };
}

/** CPU seconds (user + system) the main thread has used: fields 14 and 15 of its stat line, in ticks. */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100;
}

interface Sample {
  mainUs: number;
  processUs: number;
  bytes: number;
  perBatch: number;
}

/** `count` appends from CALLERS closed-loop callers; versions continue from `heads`. */
async function drive(rig: Rig, heads: number[], count: number): Promise<void> {
  let issued = 0;
  const caller = async (c: number) => {
    let turn = 0;
    while (issued < count) {
      issued++;
      const stream = c + CALLERS * (turn % Math.ceil((STREAMS - c) / CALLERS));
      turn++;
      const version = (heads[stream] as number) + 1;
      heads[stream] = version;
      await rig.append(`account/acc-${stream}`, version);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c)));
}

/** A CPU profile of the main thread (the inspector's sampling profiler), for `--profile`. */
async function startProfile(interval: number): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    session.disconnect();
    profiled = profile;
  };
}
let profiled: object | undefined;

async function measureOnce(
  open: (folder: string) => Promise<Rig>,
  events: number,
  profile = false,
): Promise<Sample> {
  const folder = scratchFolder();
  const rig = await open(folder);
  try {
    const heads = new Array<number>(STREAMS).fill(0);
    // Untimed: JIT, LevelDB's first memtable, every stream's head cached.
    await drive(rig, heads, Math.max(5_000, events / 5));
    requireGc()();
    const batchesBefore = rig.batches();
    const profiler = new GCProfiler();
    profiler.start();
    const stopProfile = profile ? await startProfile(200) : undefined;
    const heapStart = process.memoryUsage().heapUsed;
    const main0 = mainThreadCpuUs();
    const cpu0 = process.cpuUsage();
    await drive(rig, heads, events);
    const cpu = process.cpuUsage(cpu0);
    const main = mainThreadCpuUs() - main0;
    const heapEnd = process.memoryUsage().heapUsed;
    await stopProfile?.();
    const gcs = profiler.stop()?.statistics ?? [];
    let allocated = 0;
    let after = heapStart;
    for (const g of gcs) {
      allocated += g.beforeGC.heapStatistics.usedHeapSize - after;
      after = g.afterGC.heapStatistics.usedHeapSize;
    }
    allocated += heapEnd - after;
    const batchesAfter = rig.batches();
    const batches =
      batchesBefore === undefined || batchesAfter === undefined ? Number.NaN : batchesAfter - batchesBefore;
    return {
      mainUs: main / events,
      processUs: (cpu.user + cpu.system) / events,
      bytes: allocated / events,
      perBatch: events / batches,
    };
  } finally {
    await rig.close();
    removeFolder(folder);
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const contestants: Array<[string, () => Promise<(folder: string) => Promise<Rig>>]> = [
    ['raw group commit, 1 key/event', async () => rawRig],
    ['levelStore.append', async () => storeRig(levelStore, o.shape)],
    ['runtime', async () => runtimeRig(core, levelStore)],
  ];
  if (o.old !== undefined) {
    const old = o.old;
    contestants.push([
      'old levelStore.append',
      async () =>
        storeRig(
          ((await import(pathToFileURL(old).href)) as { levelStore: StoreFactory }).levelStore,
          o.shape,
        ),
    ]);
  }
  if (o.old !== undefined && o.oldCore !== undefined) {
    const [oldLevel, oldCore] = [o.old, o.oldCore];
    contestants.push([
      'old runtime',
      async () =>
        runtimeRig(
          (await import(pathToFileURL(oldCore).href)) as CoreModule,
          ((await import(pathToFileURL(oldLevel).href)) as { levelStore: StoreFactory }).levelStore,
        ),
    ]);
  }
  if (o.child !== undefined) {
    // One contestant in this process: its JIT and heap are not shaped by the others' code.
    const make = contestants.find(([n]) => n === o.child)?.[1];
    if (make === undefined) throw new Error(`no contestant ${o.child}`);
    const sample = await measureOnce(await make(), o.events, o.profile !== undefined);
    removeAllFolders();
    if (o.profile !== undefined) writeFileSync(o.profile, JSON.stringify(profiled));
    process.stdout.write(`${JSON.stringify(sample)}\n`);
    return;
  }
  const only = o.only?.split('+');
  const chosen = only === undefined ? contestants : contestants.filter(([n]) => only.includes(n));
  const samples = new Map<string, Sample[]>(chosen.map(([n]) => [n, []]));
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < o.rounds; r++) {
    for (const [name] of chosen) {
      const args = [...process.execArgv, self, ...process.argv.slice(2), '--child', name];
      const out = execFileSync(process.execPath, args, { encoding: 'utf8' });
      // JSON has no NaN (raw counts no batches): null comes back as NaN.
      const sample = JSON.parse(out.trim().split('\n').pop() as string, (_k, v) =>
        v === null ? Number.NaN : v,
      );
      samples.get(name)?.push(sample as Sample);
    }
  }
  removeAllFolders();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `${o.events} events/round, ${o.rounds} rounds (a process per contestant and round), shape ${o.shape}, ${CALLERS} callers on ${STREAMS} streams, 'fsync'; load average after: ${load}`,
  );
  const f = (x: number, d = 2) => x.toFixed(d).padStart(8);
  console.log(
    `${'contestant'.padEnd(32)} main µs/ev (min, med)  process µs/ev (min, med)  bytes/ev (min, med)  events/batch`,
  );
  for (const [name, xs] of samples) {
    const pick = (k: keyof Sample) => xs.map((s) => s[k]);
    const min = (k: keyof Sample) => Math.min(...pick(k));
    console.log(
      `${name.padEnd(32)} ${f(min('mainUs'))} ${f(median(pick('mainUs')))}    ${f(min('processUs'))} ${f(median(pick('processUs')))}    ${f(min('bytes'), 0)} ${f(median(pick('bytes')), 0)}   ${f(median(pick('perBatch')), 1)}`,
    );
  }
  const raw = samples.get('raw group commit, 1 key/event');
  if (raw !== undefined) {
    const base = Math.min(...raw.map((s) => s.mainUs));
    for (const [name, xs] of samples) {
      if (xs === raw) continue;
      const m = Math.min(...xs.map((s) => s.mainUs));
      console.log(
        `${name} ÷ raw (main-thread CPU per event, min): ${(m / base).toFixed(2)}×; raw ÷ it (the rate ratio a CPU-bound run would show): ${(base / m).toFixed(3)}×`,
      );
    }
  }
}

await main();

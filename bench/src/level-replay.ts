/**
 * Scenario: activation replay speed on LevelDB. One account stream of 100,000 events (no
 * snapshot), read by: the runtime activating the actor (`state()` on a fresh runtime: readStream,
 * decode, evolve); levelStore.readStream alone; and the raw baselines over the same keys, classic-
 * level's `values().nextv(1000)` + JSON.parse and `for await` + JSON.parse.
 */
import { createRuntime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { ClassicLevel } from 'classic-level';
import { account, DEPOSITED, removeFolder, scratchFolder } from './level-rig.js';
import { type BenchOptions, median, timed } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

const ROUNDS = 5;
const STREAM = 'account/big';

/** Writes `events` Deposited events to one stream, 1,000 per append. */
async function seed(path: string, events: number): Promise<void> {
  const store = await levelStore({ path, durability: 'os' });
  const chunk = Array.from({ length: 1_000 }, () => ({ data: DEPOSITED }));
  for (let v = 0; v < events; v += chunk.length) {
    await store.append(STREAM, chunk.slice(0, Math.min(chunk.length, events - v)), { expectedVersion: v });
  }
  await store.close();
}

/** The stream's key range, as levelStore lays it out (see docs/store-internals.md). */
const RANGE = { gt: `s${STREAM}\u0000`, lt: `s${STREAM}\u0001` };

/** Each contestant reads the whole stream and returns how many events it saw (checked). */
const CONTESTANTS: ReadonlyArray<{ name: string; read(path: string): Promise<number> }> = [
  {
    name: 'runtime activation',
    async read(path) {
      const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [account] });
      const { version } = await runtime.get(account, 'big').state();
      await runtime.shutdown();
      return version;
    },
  },
  {
    name: 'levelStore.readStream',
    async read(path) {
      const store = await levelStore({ path });
      let n = 0;
      for await (const _ of store.readStream(STREAM)) n++;
      await store.close();
      return n;
    },
  },
  {
    name: 'raw nextv(1000) + JSON.parse',
    async read(path) {
      const db = new ClassicLevel<string, string>(path);
      await db.open();
      const it = db.values(RANGE);
      let n = 0;
      for (let chunk = await it.nextv(1_000); chunk.length > 0; chunk = await it.nextv(1_000)) {
        for (const v of chunk) if (JSON.parse(v) !== null) n++;
      }
      await it.close();
      await db.close();
      return n;
    },
  },
  {
    name: 'raw for await + JSON.parse',
    async read(path) {
      const db = new ClassicLevel<string, string>(path);
      await db.open();
      let n = 0;
      for await (const v of db.values(RANGE)) if (JSON.parse(v) !== null) n++;
      await db.close();
      return n;
    },
  },
];

export async function levelReplay(opts: BenchOptions): Promise<ScenarioReport> {
  const events = opts.quick ? 2_000 : 100_000;
  const rounds = opts.quick ? 1 : ROUNDS;
  const path = scratchFolder();
  await seed(path, events);
  const rates = new Map<string, number[]>(CONTESTANTS.map((c) => [c.name, []]));
  try {
    for (const c of CONTESTANTS) await c.read(path); // warm-up: JIT and the OS page cache
    for (let round = 0; round < rounds; round++) {
      for (const c of CONTESTANTS) {
        let seen = 0;
        // Opening the folder is part of every contestant's time: a few ms against a 100,000-event read.
        const { ms } = await timed(async () => {
          seen = await c.read(path);
        });
        if (seen !== events) throw new Error(`${c.name} saw ${seen} of ${events} events`);
        rates.get(c.name)?.push((events * 1000) / ms);
      }
    }
  } finally {
    removeFolder(path);
  }
  const rate = (name: string) => median(rates.get(name) ?? []);
  const [rt, rs, nextv, forAwait] = CONTESTANTS.map((c) => rate(c.name)) as [number, number, number, number];
  return {
    title: 'LevelDB: stream replay, events per second',
    method:
      `One stream of ${num(events)} small events (the Deposited event above), no snapshot, on the real disk ` +
      '(warm OS page cache after one untimed pass). **runtime activation**: a fresh runtime on the folder and ' +
      '`runtime.get(account, id).state()`, which reads the stream through `readStream` and folds every event with ' +
      '`evolve`. **levelStore.readStream**: the store alone. The raw baselines read the same keys with classic-level: ' +
      '`values().nextv(1000)` + `JSON.parse`, and `for await` + `JSON.parse`. Each contestant opens the folder in ' +
      `its timed run. ${rounds} rounds, contestants interleaved, median round shown.`,
    tables: [
      {
        caption: 'Events replayed per second (higher is better)',
        columns: ['contestant', 'events/s', 'vs raw nextv + parse'],
        rows: [
          ['runtime activation', num(rt), ratio(rt, nextv)],
          ['levelStore.readStream', num(rs), ratio(rs, nextv)],
          ['raw nextv(1000) + JSON.parse', num(nextv), ratio(nextv, nextv)],
          ['raw for await + JSON.parse', num(forAwait), ratio(forAwait, nextv)],
        ],
        numeric: [1, 2],
      },
    ],
    findings: [
      `Activation replays ${num(rt)} events/s, ${ratio(rt, nextv)} the raw nextv + JSON.parse rate of ${num(nextv)} ` +
        `(for await: ${ratio(forAwait, nextv)}).`,
    ],
  };
}

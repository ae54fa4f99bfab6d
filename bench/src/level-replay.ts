/**
 * Scenario: recovery on LevelDB. One account stream of 100,000 events, read by: the runtime
 * activating the actor (`state()` on a fresh runtime: readStream, decode, evolve), once replaying
 * every event and once from a snapshot plus the tail behind it; levelStore.readStream alone; and
 * the raw baselines over the same keys, classic-level's `values().nextv(1000)` + JSON.parse and
 * `for await` + JSON.parse.
 *
 * And the global log: 100,000 events over 1,000 streams, group-committed about 256 appends per
 * batch, read by levelStore.readAll (whole, and in pages of 1,000 as a catching-up projection
 * reads it) against raw classic-level scanning one key per event in position order (what readAll
 * read in store format 1, where every record was also stored under a log key).
 */
import { createRuntime, defineAggregate } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { ClassicLevel } from 'classic-level';
import { account, DEPOSITED, hex, rawRecord, removeFolder, scratchFolder } from './level-rig.js';
import { type BenchOptions, median, timed } from './measure.js';
import { ms, num, ratio, type ScenarioReport } from './report.js';

const ROUNDS = 5;
const STREAM = 'account/big';
/** Events behind the newest snapshot: with `snapshots.every: 1000` a stream is at most 999 behind. */
const TAIL = 500;

/**
 * The same account with a snapshot policy. `onEvict: false`, so shutting a round's runtime down
 * does not save a newer snapshot and every round replays the same tail.
 */
const snapshotted = defineAggregate({
  ...account,
  snapshots: { every: 1_000, schemaVersion: 1, onEvict: false },
});

/** Appends `events` Deposited events to one stream after `from`, 1,000 per append. */
async function append(path: string, from: number, events: number): Promise<void> {
  const store = await levelStore({ path, durability: 'os' });
  const chunk = Array.from({ length: 1_000 }, () => ({ data: DEPOSITED }));
  for (let v = from; v < from + events; v += chunk.length) {
    const n = Math.min(chunk.length, from + events - v);
    await store.append(STREAM, chunk.slice(0, n), { expectedVersion: v });
  }
  await store.close();
}

/** The stream of `events` events with a snapshot (saved through the runtime) `TAIL` events behind its head. */
async function seed(path: string, events: number): Promise<void> {
  await append(path, 0, events - TAIL);
  const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [snapshotted] });
  const saved = await runtime.snapshot(snapshotted, 'big');
  await runtime.shutdown();
  if (!saved.saved || saved.version !== events - TAIL) throw new Error('the snapshot was not saved');
  await append(path, events - TAIL, TAIL);
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
    name: 'runtime activation, snapshot + tail',
    async read(path) {
      const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [snapshotted] });
      const { version } = await runtime.get(snapshotted, 'big').state();
      const { snapshotHits } = runtime.stats();
      await runtime.shutdown();
      if (snapshotHits !== 1) throw new Error('the snapshot was not used');
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

const LOG_STREAMS = 1_000;
const LOG_CONCURRENCY = 256;

/**
 * The log folder: `events` one-event appends over LOG_STREAMS streams, LOG_CONCURRENCY at a time
 * (group commit puts each wave in one batch); and the raw folder: the same records under one
 * key per event in position order.
 */
async function seedLog(path: string, rawPath: string, events: number): Promise<void> {
  const store = await levelStore({ path, durability: 'os' });
  const heads = new Array<number>(LOG_STREAMS).fill(0);
  for (let n = 0; n < events; n += LOG_CONCURRENCY) {
    const wave = Math.min(LOG_CONCURRENCY, events - n);
    await Promise.all(
      Array.from({ length: wave }, (_, i) => {
        const s = (n + i) % LOG_STREAMS;
        const expectedVersion = heads[s] as number;
        heads[s] = expectedVersion + 1;
        return store.append(`account/log-${s}`, [{ data: DEPOSITED }], { expectedVersion });
      }),
    );
  }
  await store.close();
  const raw = new ClassicLevel<string, string>(rawPath);
  await raw.open();
  const versions = new Array<number>(LOG_STREAMS).fill(0);
  for (let p = 1; p <= events; p += 1_000) {
    const batch = raw.batch();
    for (let q = p; q < Math.min(p + 1_000, events + 1); q++) {
      const s = (q - 1) % LOG_STREAMS;
      versions[s] = (versions[s] as number) + 1;
      batch.put(`l${hex(q)}`, rawRecord(`account/log-${s}`, versions[s] as number, q));
    }
    await batch.write();
  }
  await raw.close();
}

const LOG_READERS: ReadonlyArray<{ name: string; read(path: string, rawPath: string): Promise<number> }> = [
  {
    name: 'levelStore.readAll',
    async read(path) {
      const store = await levelStore({ path });
      let n = 0;
      for await (const _ of store.readAll()) n++;
      await store.close();
      return n;
    },
  },
  {
    name: 'levelStore.readAll, pages of 1,000',
    async read(path) {
      const store = await levelStore({ path });
      let n = 0;
      for (let from = 1; ; from += 1_000) {
        let page = 0;
        for await (const _ of store.readAll({ fromPosition: from, limit: 1_000 })) page++;
        n += page;
        if (page < 1_000) break;
      }
      await store.close();
      return n;
    },
  },
  {
    name: 'raw nextv(1000) + JSON.parse, 1 key/event',
    async read(_path, rawPath) {
      const db = new ClassicLevel<string, string>(rawPath);
      await db.open();
      const it = db.values({ gt: 'l', lt: 'm' });
      let n = 0;
      for (let chunk = await it.nextv(1_000); chunk.length > 0; chunk = await it.nextv(1_000)) {
        for (const v of chunk) if (JSON.parse(v) !== null) n++;
      }
      await it.close();
      await db.close();
      return n;
    },
  },
];

/** Events/s of each log reader, median of `rounds` interleaved rounds. */
async function measureLog(events: number, rounds: number): Promise<number[]> {
  const path = scratchFolder();
  const rawPath = scratchFolder();
  const rates = LOG_READERS.map(() => [] as number[]);
  try {
    await seedLog(path, rawPath, events);
    for (const r of LOG_READERS) await r.read(path, rawPath);
    for (let round = 0; round < rounds; round++) {
      for (const [i, r] of LOG_READERS.entries()) {
        let seen = 0;
        const { ms: took } = await timed(async () => {
          seen = await r.read(path, rawPath);
        });
        if (seen !== events) throw new Error(`${r.name} saw ${seen} of ${events} events`);
        rates[i]?.push((events * 1000) / took);
      }
    }
  } finally {
    removeFolder(path);
    removeFolder(rawPath);
  }
  return rates.map((r) => median(r));
}

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
        const { ms: took } = await timed(async () => {
          seen = await c.read(path);
        });
        if (seen !== events) throw new Error(`${c.name} saw ${seen} of ${events} events`);
        rates.get(c.name)?.push((events * 1000) / took);
      }
    }
  } finally {
    removeFolder(path);
  }
  const rate = (name: string) => median(rates.get(name) ?? []);
  const [rt, snap, rs, nextv, forAwait] = CONTESTANTS.map((c) => rate(c.name)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const row = (name: string, r: number) => [name, ms((events * 1000) / r), num(r), ratio(r, nextv)];
  const [all, paged, rawLog] = (await measureLog(events, rounds)) as [number, number, number];
  const logRow = (name: string, r: number) => [name, ms((events * 1000) / r), num(r), ratio(r, rawLog)];
  return {
    title: 'Recovery: activating an aggregate of 100,000 events on LevelDB, and reading the global log',
    method:
      `One stream of ${num(events)} small events (the Deposited event above) on the disk (warm OS page cache ` +
      'after one untimed pass). **runtime activation, full replay**: a fresh runtime on the folder and ' +
      '`runtime.get(account, id).state()`, which reads the stream through `readStream` and folds every event ' +
      'with `evolve`. **snapshot + tail**: the same account with `snapshots: { every: 1000, schemaVersion: 1 }`; ' +
      `the folder holds a snapshot saved through \`runtime.snapshot()\` ${num(TAIL)} events behind the head, so ` +
      `activation loads it and replays ${num(TAIL)} events (its events/s is ${num(events)} divided by its time). ` +
      '**levelStore.readStream**: the store alone. The raw baselines read the same keys with classic-level: ' +
      '`values().nextv(1000)` + `JSON.parse`, and `for await` + `JSON.parse`. Each contestant opens the folder in ' +
      `its timed run (a few ms). ${rounds} rounds, contestants interleaved, median round shown. ` +
      `**The global log**: ${num(events)} one-event appends over ${num(LOG_STREAMS)} streams, ${LOG_CONCURRENCY} in ` +
      'flight at a time (group commit writes each wave as one batch), read whole by `levelStore.readAll()` and in ' +
      'pages of 1,000 (`readAll({ fromPosition, limit: 1000 })`, as a projection catching up reads it), against ' +
      'raw classic-level scanning the same records stored under one key per event in position order.',
    tables: [
      {
        caption: `Time to read ${num(events)} events, and events per second (higher is better)`,
        columns: ['contestant', 'time', 'events/s', 'vs raw nextv + parse'],
        rows: [
          row('runtime activation, full replay', rt),
          row(`runtime activation, snapshot + ${num(TAIL)}-event tail`, snap),
          row('levelStore.readStream', rs),
          row('raw nextv(1000) + JSON.parse', nextv),
          row('raw for await + JSON.parse', forAwait),
        ],
        numeric: [1, 2, 3],
      },
      {
        caption: `The global log: time to read ${num(events)} events over ${num(LOG_STREAMS)} streams, and events per second`,
        columns: ['contestant', 'time', 'events/s', 'vs raw, 1 key/event'],
        rows: [
          logRow('levelStore.readAll', all),
          logRow('levelStore.readAll, pages of 1,000', paged),
          logRow('raw nextv(1000) + JSON.parse, 1 key/event', rawLog),
        ],
        numeric: [1, 2, 3],
      },
    ],
    findings: [
      `Activation replays ${num(rt)} events/s, ${ratio(rt, nextv)} the raw nextv + JSON.parse rate of ${num(nextv)} ` +
        `(for await: ${ratio(forAwait, nextv)}); the ${ratio(rs, nextv)} of levelStore.readStream alone is the ` +
        'cost of turning each record into an envelope, the rest is `evolve` and the runtime.',
      `The global log (${num(events)} events over ${num(LOG_STREAMS)} streams, group-committed ${LOG_CONCURRENCY} ` +
        `appends per batch): levelStore.readAll reads ${num(all)} events/s, ${ratio(all, rawLog)} the rate of a raw ` +
        `scan of one key per event in position order (in pages of 1,000: ${ratio(paged, rawLog)}). Store format 2 keeps ` +
        'each record once, under its stream key, with one log index entry per write batch: readAll reads the ' +
        'entries in order and fetches the records they list with one getMany per 1,000 events.',
      `From a snapshot ${num(TAIL)} events behind the head, activation takes ${ms((events * 1000) / snap)} instead of ` +
        `${ms((events * 1000) / rt)}: ${ratio(snap, rt)} as fast as the full replay, and ${ratio(snap, nextv)} as fast as ` +
        `the raw iterator reads the whole stream (${ms((events * 1000) / nextv)}).`,
    ],
    losses:
      rt < nextv
        ? [
            `Full replay runs at ${ratio(rt, nextv)} the raw iterator + JSON.parse rate: levelStore.readStream ` +
              `alone reaches ${ratio(rs, nextv)} (it builds an envelope per record: stream and aggregate ids, ` +
              'version and position checks), and the actor folds every event with `evolve` and checks that versions ' +
              'are contiguous. A snapshot policy removes most of it.',
          ]
        : [],
    headlines: [
      {
        what: 'replay ÷ raw iterator, full replay (events/s)',
        value: ratio(rt, nextv),
        against: 'classic-level nextv(1000) + JSON.parse over the same keys',
      },
      {
        what: 'readAll ÷ raw log scan (events/s)',
        value: ratio(all, rawLog),
        against: 'classic-level nextv(1000) + JSON.parse over one key per event in position order',
      },
      {
        what: `replay ÷ raw iterator, snapshot + ${num(TAIL)}-event tail (effective events/s)`,
        value: ratio(snap, nextv),
        against: 'the same raw read of the whole stream',
      },
    ],
  };
}

/**
 * Scenario: durable appends per second on LevelDB (durability 'fsync'), by number of concurrent
 * clients. Contestants, each on a fresh folder, interleaved round by round:
 * - the runtime (`execute` on 1,000 accounts through levelStore's group commit);
 * - levelStore.append called directly (the store without the runtime);
 * - one fsync per append: the same two keys per event, one synced batch per append, no grouping;
 * - raw group commit: a minimal queue-and-batch loop over classic-level with the same records,
 *   one key per event (the physical limit) and two keys per event (the bytes levelStore writes).
 */
import { createRuntime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { ClassicLevel } from 'classic-level';
import { account, hex, rawRecord, removeFolder, scratchFolder } from './level-rig.js';
import { type BenchOptions, median, prng, timed } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

interface Shape {
  clients: number;
  events: number;
}

const SHAPES: readonly Shape[] = [
  { clients: 1, events: 1_500 },
  { clients: 16, events: 20_000 },
  { clients: 256, events: 150_000 },
];
const QUICK_SHAPES: readonly Shape[] = SHAPES.map((s) => ({
  clients: s.clients,
  events: Math.min(s.events, 300),
}));
const ROUNDS = 3;
const AGGREGATES = 1_000;

/** Per-client stream versions: `next(c)` is the version of client c's next event. */
function versions(clients: number): (client: number) => number {
  const heads = new Array<number>(clients).fill(0);
  return (c) => {
    const v = (heads[c] as number) + 1;
    heads[c] = v;
    return v;
  };
}

/** Runs `events` writes with `clients` concurrent callers; `write(client)` performs one and resolves when durable. */
async function drive(
  clients: number,
  events: number,
  write: (client: number) => Promise<unknown>,
): Promise<void> {
  let issued = 0;
  const client = async (c: number) => {
    while (issued < events) {
      issued++;
      await write(c);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
}

interface Contestant {
  name: string;
  /** Opens on a fresh folder and returns the timed body plus its cleanup. */
  open(folder: string, shape: Shape): Promise<{ run(): Promise<void>; close(): Promise<void> }>;
}

/** A minimal group commit over classic-level: queue puts, write them as one synced chained batch. */
function rawGroupCommit(db: ClassicLevel<string, string>, keysPerEvent: 1 | 2) {
  let queue: Array<{ streamId: string; version: number; resolve: () => void }> = [];
  let writing = false;
  let position = 0;
  const flush = async () => {
    while (queue.length > 0) {
      const items = queue;
      queue = [];
      const batch = db.batch();
      for (const it of items) {
        position++;
        const record = rawRecord(it.streamId, it.version, position);
        batch.put(`l${hex(position)}`, record);
        if (keysPerEvent === 2) batch.put(`s${it.streamId}\u0000${hex(it.version)}`, record);
      }
      await batch.write({ sync: true });
      for (const it of items) it.resolve();
    }
    writing = false;
  };
  return (streamId: string, version: number) =>
    new Promise<void>((resolve) => {
      queue.push({ streamId, version, resolve });
      if (!writing) {
        writing = true;
        setImmediate(flush);
      }
    });
}

const CONTESTANTS: readonly Contestant[] = [
  {
    name: 'runtime',
    async open(folder, shape) {
      const runtime = await createRuntime({ store: levelStore({ path: folder }), aggregates: [account] });
      const random = prng(7);
      const handles = Array.from({ length: AGGREGATES }, (_, i) => runtime.get(account, `acc-${i}`));
      // Untimed: activate every account, so the timed run measures steady-state commands, not 1,000 activations.
      await Promise.all(handles.map((h) => h.state()));
      const cmd = { type: 'deposit' } as const;
      return {
        run: () =>
          drive(shape.clients, shape.events, () =>
            (handles[Math.floor(random() * AGGREGATES)] as (typeof handles)[number]).execute(cmd),
          ),
        close: () => runtime.shutdown(),
      };
    },
  },
  {
    name: 'levelStore.append',
    async open(folder, shape) {
      const store = await levelStore({ path: folder });
      const heads = new Array<number>(shape.clients).fill(0);
      const events = [{ data: { type: 'Deposited', amount: 42, note: 'monthly top-up' } }];
      return {
        run: () =>
          drive(shape.clients, shape.events, async (c) => {
            await store.append(`account/acc-${c}`, events, { expectedVersion: heads[c] as number });
            heads[c] = (heads[c] as number) + 1;
          }),
        close: () => store.close(),
      };
    },
  },
  {
    name: 'one fsync per append',
    async open(folder, shape) {
      const db = new ClassicLevel<string, string>(folder);
      await db.open();
      const next = versions(shape.clients);
      let position = 0;
      let chain: Promise<void> = Promise.resolve();
      return {
        run: () =>
          drive(shape.clients, shape.events, (c) => {
            chain = chain.then(async () => {
              const version = next(c);
              position++;
              const streamId = `account/acc-${c}`;
              const record = rawRecord(streamId, version, position);
              await db
                .batch()
                .put(`s${streamId}\u0000${hex(version)}`, record)
                .put(`l${hex(position)}`, record)
                .write({ sync: true });
            });
            return chain;
          }),
        close: () => db.close(),
      };
    },
  },
  ...([1, 2] as const).map(
    (keys): Contestant => ({
      name: `raw group commit, ${keys} key${keys === 1 ? '' : 's'}/event`,
      async open(folder, shape) {
        const db = new ClassicLevel<string, string>(folder);
        await db.open();
        const put = rawGroupCommit(db, keys);
        const next = versions(shape.clients);
        return {
          run: () => drive(shape.clients, shape.events, (c) => put(`account/acc-${c}`, next(c))),
          close: () => db.close(),
        };
      },
    }),
  ),
];

export async function levelAppends(opts: BenchOptions): Promise<ScenarioReport> {
  const shapes = opts.quick ? QUICK_SHAPES : SHAPES;
  const rounds = opts.quick ? 1 : ROUNDS;
  const rows: string[][] = [];
  const findings: string[] = [];
  for (const shape of shapes) {
    const rates = new Map<string, number[]>(CONTESTANTS.map((c) => [c.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const c of CONTESTANTS) {
        const folder = scratchFolder();
        const rig = await c.open(folder, shape);
        const { ms } = await timed(() => rig.run());
        await rig.close();
        removeFolder(folder);
        rates.get(c.name)?.push((shape.events * 1000) / ms);
      }
    }
    const rate = (name: string) => median(rates.get(name) ?? []);
    const [rt, st, one, raw1, raw2] = CONTESTANTS.map((c) => rate(c.name)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    rows.push([
      num(shape.clients),
      num(rt),
      num(st),
      num(one),
      num(raw1),
      num(raw2),
      ratio(rt, raw1),
      ratio(rt, raw2),
      ratio(rt, one),
    ]);
    findings.push(
      `${num(shape.clients)} client${shape.clients === 1 ? '' : 's'}: the runtime acknowledges ${num(rt)} durable commands/s, ` +
        `${ratio(rt, raw1)} raw group commit with one key per event and ${ratio(rt, raw2)} with the two keys levelStore writes; ` +
        `${ratio(rt, one)} one fsync per append.`,
    );
  }
  return {
    title: 'LevelDB: durable appends per second (group commit)',
    method:
      "Durability `'fsync'` throughout, on the machine's real disk, a fresh folder for every contestant and round. " +
      '`clients` callers each await one write before issuing the next; each write is one event ' +
      '(`{ type: "Deposited", amount: 42, note: "monthly top-up" }`). **runtime**: `execute` on 1,000 accounts ' +
      'picked by a seeded PRNG, through `createRuntime({ store: levelStore(...) })`. **levelStore.append**: ' +
      'the store alone, one stream per client. **one fsync per append**: the same two keys per event, one synced ' +
      'batch per append, appends serialised (no group commit). **raw group commit**: a dozen-line queue that ' +
      'writes everything queued as one synced chained batch, with the record levelStore writes, under one key per ' +
      'event (the limit for this payload) or the two keys levelStore writes (stream key and log key). ' +
      `${rounds} rounds, contestants interleaved, median round shown.`,
    tables: [
      {
        caption: 'Durable events per second (higher is better)',
        columns: [
          'clients',
          'runtime',
          'levelStore.append',
          'one fsync/append',
          'raw, 1 key',
          'raw, 2 keys',
          'runtime ÷ raw 1 key',
          'runtime ÷ raw 2 keys',
          'runtime ÷ one fsync',
        ],
        rows,
        numeric: [0, 1, 2, 3, 4, 5, 6, 7, 8],
      },
    ],
    findings,
  };
}

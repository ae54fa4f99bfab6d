/**
 * Scenario: the naive baseline a user would hand-write instead of the runtime. Per command:
 * read the whole stream, fold it with `evolve`, `decide`, append with the version read as the
 * expected version. Both contestants run the same aggregate on the same store (`levelStore`,
 * durability 'fsync') over copies of the same seeded folder, with streams of 10 to 10,000 events:
 * the naive handler pays for the stream on every command, the runtime once per activation.
 */
import { cpSync } from 'node:fs';
import { createRuntime, type DecideContext, type EventOf, TimerRecorder } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import type { TopLevelSpec } from 'vega-lite';
import { account, DEPOSITED, removeFolder, scratchFolder } from './level-rig.js';
import { closedLoop, type LoadResult } from './load.js';
import type { BenchOptions } from './measure.js';
import { type Headline, ms, num, ratio, type ScenarioReport } from './report.js';

const LENGTHS = [10, 100, 1_000, 10_000] as const;
/** The account schedules no timer: one shared recorder, so the baseline pays nothing for ctx.timers. */
const UNUSED_TIMERS = new TimerRecorder(0);
/** Nor does it request effects: asking would be a bug in the baseline, so it throws. */
const UNUSED_EFFECTS: DecideContext['effects'] = {
  request: () => {
    throw new Error('the naive baseline requests no effects');
  },
  cancel: () => {
    throw new Error('the naive baseline cancels no effects');
  },
};
/** Streams per folder, one caller each: concurrent commands never race for the same stream. */
const STREAMS = 4;
/** Commands per stream per round: small against the longer streams, so their length barely moves. */
const COMMANDS_PER_STREAM = 25;
const ROUNDS = 5;

const DEPOSIT = Object.freeze({ type: 'deposit' as const });
type Deposited = EventOf<typeof account>;

const streamOf = (i: number) => `account/naive-${i}`;

/** A folder holding `streams` streams of `length` events each, written in chunks of 1,000. */
async function seed(length: number, streams: number): Promise<string> {
  const path = scratchFolder();
  const store = await levelStore({ path, durability: 'os' });
  const chunk = Array.from({ length: 1_000 }, () => ({ data: DEPOSITED }));
  for (let s = 0; s < streams; s++) {
    for (let v = 0; v < length; v += chunk.length) {
      await store.append(streamOf(s), chunk.slice(0, Math.min(chunk.length, length - v)), {
        expectedVersion: v,
      });
    }
  }
  await store.close();
  return path;
}

interface Rig {
  /** One command to stream number `stream`; resolves when it is durable. */
  command(stream: number): Promise<unknown>;
  close(): Promise<void>;
}

interface Contestant {
  name: string;
  open(folder: string, streams: number): Promise<Rig>;
}

const CONTESTANTS: readonly Contestant[] = [
  {
    name: 'actorfold',
    async open(folder, streams) {
      const runtime = await createRuntime({ store: levelStore({ path: folder }), aggregates: [account] });
      const handles = Array.from({ length: streams }, (_, i) => runtime.get(account, `naive-${i}`));
      // Untimed: the actors replay their streams once here; steady state is what is compared.
      await Promise.all(handles.map((h) => h.state()));
      return {
        command: (s) => (handles[s] as (typeof handles)[number]).execute(DEPOSIT),
        close: () => runtime.shutdown(),
      };
    },
  },
  {
    name: 'naive',
    async open(folder) {
      const store = await levelStore({ path: folder });
      return {
        async command(s) {
          const streamId = streamOf(s);
          let state = account.initialState();
          let version = 0;
          for await (const e of store.readStream(streamId)) {
            state = account.evolve(state, e.data as Deposited);
            version = e.version;
          }
          const ctx: DecideContext = {
            aggregateType: account.type,
            aggregateId: `naive-${s}`,
            version,
            now: new Date(),
            metadata: {},
            timers: UNUSED_TIMERS,
            effects: UNUSED_EFFECTS,
          };
          const events = account.decide(state, DEPOSIT, ctx);
          await store.append(
            streamId,
            events.map((data) => ({ data })),
            { expectedVersion: version },
          );
        },
        close: () => store.close(),
      };
    },
  },
];

function chart(points: Array<{ length: number; contestant: string; rate: number }>) {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: "Commands per second vs stream length (LevelDB 'fsync', 4 streams, 4 callers)",
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'length', type: 'quantitative', scale: { type: 'log' }, title: 'events in the stream' },
      y: { field: 'rate', type: 'quantitative', scale: { type: 'log' }, title: 'commands/s' },
      color: { field: 'contestant', type: 'nominal', title: null },
    },
  };
  return {
    file: 'bench-naive.svg',
    title: 'Commands per second vs stream length: actorfold and the naive handler',
    spec,
  };
}

export async function naiveBaseline(opts: BenchOptions): Promise<ScenarioReport> {
  const lengths = opts.quick ? [10, 100] : LENGTHS;
  const rounds = opts.quick ? 1 : ROUNDS;
  const perStream = opts.quick ? 2 : COMMANDS_PER_STREAM;
  const rows: string[][] = [];
  const points: Array<{ length: number; contestant: string; rate: number }> = [];
  const ratios = new Map<number, number>();
  const p50s = new Map<number, [actorfold: number, naive: number]>();
  for (const length of lengths) {
    const template = await seed(length, STREAMS);
    const results = new Map<string, LoadResult[]>(CONTESTANTS.map((c) => [c.name, []]));
    try {
      for (let r = 0; r < rounds; r++) {
        for (const c of CONTESTANTS) {
          // A fresh copy per run: both contestants start from exactly the same streams.
          const folder = scratchFolder();
          cpSync(template, folder, { recursive: true });
          const rig = await c.open(folder, STREAMS);
          try {
            const result = await closedLoop({
              callers: STREAMS,
              until: { commands: STREAMS * perStream },
              send: (caller) => rig.command(caller),
            });
            results.get(c.name)?.push(result);
          } finally {
            await rig.close();
            removeFolder(folder);
          }
        }
      }
    } finally {
      removeFolder(template);
    }
    const pick = (name: string): LoadResult => {
      const rs = [...(results.get(name) ?? [])].sort((a, b) => a.perSecond - b.perSecond);
      return rs[rs.length >> 1] as LoadResult;
    };
    const af = pick('actorfold');
    const naive = pick('naive');
    ratios.set(length, af.perSecond / naive.perSecond);
    p50s.set(length, [af.p50, naive.p50]);
    points.push({ length, contestant: 'actorfold', rate: af.perSecond });
    points.push({ length, contestant: 'naive (read, fold, decide, append)', rate: naive.perSecond });
    rows.push([
      num(length),
      num(af.perSecond),
      num(naive.perSecond),
      ms(af.p50),
      ms(naive.p50),
      ms(naive.p99),
      ratio(af.perSecond, naive.perSecond),
    ]);
  }
  const first = lengths[0] as number;
  const last = lengths[lengths.length - 1] as number;
  const at = (n: number) => `${(ratios.get(n) ?? Number.NaN).toFixed(2)}×`;
  return {
    title: 'Against the naive handler: read, fold, decide, append',
    method:
      `${STREAMS} streams of N events (N = ${lengths.map((n) => num(n)).join(', ')}) are written to a folder; ` +
      `each contestant gets its own copy of it per round and ${STREAMS} callers, one per stream, send ` +
      `${num(perStream)} \`deposit\` commands each (so a stream grows by ${num(perStream)} events at most during ` +
      'a run). **actorfold**: `execute` through a runtime on `levelStore` (default `fsync` durability), each ' +
      'actor activated (its stream replayed once) before the clock starts. **naive**: what a user writes ' +
      'without the runtime, on the same `levelStore`: per command, `readStream` the whole stream folding each ' +
      'event with the same `evolve`, the same `decide`, then `append` with the version read as ' +
      '`expectedVersion`. Both use the same store, so they also share its group commit. ' +
      `${rounds} rounds, contestants interleaved, the median round by throughput shown with its latencies.`,
    tables: [
      {
        caption: 'Commands per second and latency by stream length (higher rate is better)',
        columns: [
          'events in stream',
          'actorfold cmd/s',
          'naive cmd/s',
          'actorfold p50',
          'naive p50',
          'naive p99',
          'actorfold ÷ naive',
        ],
        rows,
        numeric: [0, 1, 2, 3, 4, 5, 6],
      },
    ],
    findings: [
      `With ${num(first)}-event streams actorfold runs ${at(first)} the naive handler's rate (p50 ` +
        `${ms(p50s.get(first)?.[0] ?? Number.NaN)} against ${ms(p50s.get(first)?.[1] ?? Number.NaN)}): both wait ` +
        'for the same synced group commit, but the naive handler first opens a LevelDB iterator and reads, a ' +
        "round trip to LevelDB's worker thread before every append, even when there is little to read.",
      `With ${num(last)}-event streams it runs ${at(last)} the naive rate: the naive handler reads and folds ` +
        `${num(last)} events for every command, the resident actor none.`,
    ],
    charts: [chart(points)],
    losses: [...ratios]
      .filter(([, r]) => r < 1)
      .map(
        ([n, r]) =>
          `Naive handler, ${num(n)}-event streams: actorfold runs ${r.toFixed(2)}× its rate; with so little to ` +
          'read, the naive handler costs one short read more than the actor, and the difference is in the noise of ' +
          'the synced appends both wait for.',
      ),
    headlines: [
      {
        what: `actorfold ÷ naive handler, ${num(first)}-event streams`,
        value: at(first),
        against: 'per command: read the whole stream, fold, decide, append (same store, same folder)',
      },
      {
        what: `actorfold ÷ naive handler, ${num(last)}-event streams`,
        value: at(last),
        against: 'the same naive handler',
      },
    ] satisfies Headline[],
  };
}

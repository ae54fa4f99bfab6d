/**
 * Scenario: the cost of one mailbox hop, end to end through the public API.
 *
 * The aggregate's decide returns no events, so nothing is written to the store and the time per
 * command is what the runtime adds around a trivial decide: handle checks, registry lookup,
 * mailbox, actor lifecycle, refresh check, metrics and the reply. Baselines, run in the same
 * process and interleaved round by round: the same decide behind a p-queue 9 with concurrency 1
 * per aggregate, and a bare `await Promise.resolve(decide())` as the floor.
 */
import { createRuntime, defineAggregate } from '@actorfold/core';
import PQueue from 'p-queue';
import { type BenchOptions, median, prng, timed } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

interface Shape {
  label: string;
  aggregates: number;
  inFlight: number;
  commands: number;
}

const SHAPES: readonly Shape[] = [
  { label: 'one aggregate, sequential (await each)', aggregates: 1, inFlight: 1, commands: 100_000 },
  { label: 'one aggregate, 1,000 in flight', aggregates: 1, inFlight: 1_000, commands: 200_000 },
  {
    label: '1,000 aggregates uniform, 10,000 in flight',
    aggregates: 1_000,
    inFlight: 10_000,
    commands: 300_000,
  },
];

const QUICK_SHAPES: readonly Shape[] = SHAPES.map((s) => ({
  ...s,
  aggregates: Math.min(s.aggregates, 10),
  inFlight: Math.min(s.inFlight, 100),
  commands: 1_000,
}));

const ROUNDS = 7;

type State = Readonly<Record<string, never>>;
type Noop = { readonly type: 'noop' };
const STATE: State = Object.freeze({});
const CMD: Noop = Object.freeze({ type: 'noop' });

/** Counts decisions, so each contestant can be checked to have done all the work it was timed for. */
let decided = 0;

/** The one decide every contestant runs: a fresh empty array, as a no-op command returns. */
function decide(_state: State, _command: Noop): never[] {
  decided++;
  return [];
}

const hop = defineAggregate<State, Noop, { type: 'never' }>({
  type: 'hop',
  initialState: () => STATE,
  decide,
  evolve: (s) => s,
});

/** Sends one command to aggregate number `target`. */
type Send = (target: number) => Promise<unknown>;

interface Rig {
  send: Send;
  close(): Promise<void>;
}

interface Contestant {
  name: string;
  open(shape: Shape): Promise<Rig>;
}

const CONTESTANTS: readonly Contestant[] = [
  {
    name: 'actorfold',
    async open(shape) {
      // Defaults throughout (memory store, idle eviction, 30 s command timeout): what a user gets.
      const runtime = await createRuntime({ aggregates: [hop] });
      const handles = Array.from({ length: shape.aggregates }, (_, i) => runtime.get(hop, `agg-${i}`));
      return {
        send: (k) => (handles[k] as (typeof handles)[number]).execute(CMD),
        close: () => runtime.shutdown(),
      };
    },
  },
  {
    name: 'p-queue 9',
    async open(shape) {
      const queues = Array.from({ length: shape.aggregates }, () => new PQueue({ concurrency: 1 }));
      const task = () => decide(STATE, CMD);
      return {
        send: (k) => (queues[k] as PQueue).add(task),
        close: async () => {},
      };
    },
  },
  {
    name: 'await floor',
    async open() {
      return {
        send: () => Promise.resolve(decide(STATE, CMD)),
        close: async () => {},
      };
    },
  },
];

/** Runs `targets.length` commands with `inFlight` callers, each awaiting its command before sending the next. */
async function drive(send: Send, targets: Uint16Array, inFlight: number): Promise<void> {
  let next = 0;
  const caller = async () => {
    while (next < targets.length) await send(targets[next++] as number);
  };
  await Promise.all(Array.from({ length: inFlight }, caller));
}

/** Which aggregate each command goes to: uniform over the shape's aggregates, the same for every contestant. */
function targetsFor(shape: Shape): Uint16Array {
  const random = prng(0x5eed);
  const targets = new Uint16Array(shape.commands);
  for (let i = 0; i < targets.length; i++) targets[i] = Math.floor(random() * shape.aggregates);
  return targets;
}

/** Per round: µs per command, and µs of it the main thread spent paused for GC. */
interface Samples {
  us: number[];
  gcUs: number[];
}

/** Each round's numbers, by contestant name. */
async function measureShape(shape: Shape, rounds: number): Promise<Map<string, Samples>> {
  const targets = targetsFor(shape);
  const rigs = await Promise.all(CONTESTANTS.map((c) => c.open(shape)));
  const samples = new Map<string, Samples>(CONTESTANTS.map((c) => [c.name, { us: [], gcUs: [] }]));
  try {
    // Warm-up: activates the actors and lets the JIT settle before anything is timed.
    for (const rig of rigs) await drive(rig.send, targets, shape.inFlight);
    for (let round = 0; round < rounds; round++) {
      for (const [i, c] of CONTESTANTS.entries()) {
        const rig = rigs[i] as Rig;
        const before = decided;
        const { ms, gcMs } = await timed(() => drive(rig.send, targets, shape.inFlight));
        if (decided - before !== shape.commands) {
          throw new Error(`${c.name}: ${decided - before} decisions for ${shape.commands} commands`);
        }
        const s = samples.get(c.name) as Samples;
        s.us.push((ms * 1000) / shape.commands);
        s.gcUs.push((gcMs * 1000) / shape.commands);
      }
    }
  } finally {
    for (const rig of rigs) await rig.close();
  }
  return samples;
}

export async function mailboxHop(opts: BenchOptions): Promise<ScenarioReport> {
  const shapes = opts.quick ? QUICK_SHAPES : SHAPES;
  const rounds = opts.quick ? 1 : ROUNDS;
  const rows: string[][] = [];
  const spread: string[][] = [];
  const findings: string[] = [];
  const losses: string[] = [];
  for (const shape of shapes) {
    const samples = await measureShape(shape, rounds);
    const us = (name: string) => median(samples.get(name)?.us ?? []);
    const [af, pq, floor] = [us('actorfold'), us('p-queue 9'), us('await floor')];
    rows.push([shape.label, num(af, 2), num(pq, 2), num(floor, 3), ratio(af, pq), num(af - floor, 2)]);
    for (const [name, { us: xs, gcUs }] of samples) {
      const cells = [Math.min(...xs), median(xs), Math.max(...xs), median(gcUs)].map((x) => num(x, 3));
      spread.push([shape.label, name, ...cells]);
    }
    if (af > pq) {
      losses.push(
        `Mailbox hop, ${shape.label}: the whole runtime path (handle, registry, mailbox, actor, metrics) took ` +
          `${ratio(af, pq)} a bare p-queue 9 task around the same decide.`,
      );
    }
    findings.push(
      `${shape.label}: ${num(af, 2)} µs per command through actorfold, ${ratio(af, pq)} p-queue's ` +
        `${num(pq, 2)} µs per task; about ${num(1e6 / af)} commands per second on one core.`,
    );
  }
  const sizes = shapes.map((s) => `${num(s.commands)}`).join(' / ');
  return {
    title: 'Mailbox hop: µs per command',
    method:
      'A trivial aggregate whose `decide` returns `[]` (nothing is written to the store), driven through ' +
      '`runtime.get(def, id).execute(cmd)` on a default runtime (`memoryStore()`, default idle eviction and ' +
      'command timeout; handles obtained once per aggregate). The time per command is therefore handle ' +
      'checks + registry lookup + mailbox + actor (status, refresh check, decide context, metrics) + reply. ' +
      'Baselines in the same process: the same `decide` as a p-queue 9 task (one `new PQueue({ concurrency: 1 })` ' +
      'per aggregate) and a bare `await Promise.resolve(decide())` (the floor). Commands go to aggregates ' +
      `drawn uniformly by a seeded PRNG, the same sequence for every contestant. ${sizes} commands per ` +
      `round for the three shapes; one warm-up pass, then ${rounds} rounds with the contestants interleaved; ` +
      'the table shows the median round, `--expose-gc` collection before each timed round. Absolute times ' +
      'move between runs with the machine (on a shared 2-core VM, up to 2× for the short shapes); the ratios ' +
      'to the baselines measured in the same run are the numbers to compare.',
    tables: [
      {
        caption: 'Median µs per command (lower is better)',
        columns: [
          'shape',
          'actorfold µs/cmd',
          'p-queue 9 µs/task',
          'await floor µs',
          'actorfold ÷ p-queue',
          'actorfold − floor µs',
        ],
        rows,
        numeric: [1, 2, 3, 4, 5],
      },
      {
        caption: 'Spread over the rounds, µs per command (GC: main-thread GC pause within the round, median)',
        columns: ['shape', 'contestant', 'min', 'median', 'max', 'of which GC'],
        rows: spread,
        numeric: [2, 3, 4, 5],
      },
    ],
    findings,
    losses,
  };
}

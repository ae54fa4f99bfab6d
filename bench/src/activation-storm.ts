/**
 * Scenario: an activation storm. 10,000 aggregates with events on disk and no actor resident (a
 * daemon just restarted) each get one command, all sent at once; `maxConcurrentRecoveries` bounds
 * how many actors read their streams at the same time. Compared in the same run: the same wave
 * again once every actor is resident (the cost without activation), and raw LevelDB reading every
 * one of those streams (the I/O floor).
 */
import { createRuntime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { ClassicLevel } from 'classic-level';
import { account, DEPOSITED, removeFolder, scratchFolder } from './level-rig.js';
import { Latencies } from './load.js';
import { type BenchOptions, median, timed } from './measure.js';
import { type Headline, ms, num, ratio, type ScenarioReport } from './report.js';

const AGGREGATES = 10_000;
const EVENTS_EACH = 20;
const PERMITS = [1, 16, 64] as const;
const ROUNDS = 3;
/** Streams the raw baseline reads at once. */
const RAW_CONCURRENCY = 64;

const DEPOSIT = Object.freeze({ type: 'deposit' as const });
const idOf = (i: number) => `storm-${i}`;

async function seed(path: string, aggregates: number, events: number): Promise<void> {
  const store = await levelStore({ path, durability: 'os' });
  const chunk = Array.from({ length: events }, () => ({ data: DEPOSITED }));
  // All at once: the group commit writes them in a few batches.
  await Promise.all(
    Array.from({ length: aggregates }, (_, i) =>
      store.append(`account/${idOf(i)}`, chunk, { expectedVersion: 0 }),
    ),
  );
  await store.close();
}

interface Wave {
  ms: number;
  p50: number;
  p99: number;
}

/** Sends one command to each aggregate at once; each latency is from the common start to its reply. */
async function wave(send: (i: number) => Promise<unknown>, n: number): Promise<Wave> {
  const latencies = new Latencies();
  const { ms: took } = await timed(async () => {
    const start = performance.now();
    await Promise.all(
      Array.from({ length: n }, (_, i) => send(i).then(() => latencies.record(performance.now() - start))),
    );
  });
  const [p50, p99] = latencies.percentiles([50, 99]) as [number, number];
  return { ms: took, p50, p99 };
}

/** A cold runtime on the folder: the storm, then the same wave with every actor resident. */
async function storm(path: string, permits: number, n: number): Promise<{ cold: Wave; warm: Wave }> {
  const runtime = await createRuntime({
    store: levelStore({ path }),
    aggregates: [account],
    maxConcurrentRecoveries: permits,
  });
  try {
    const send = (i: number) => runtime.get(account, idOf(i)).execute(DEPOSIT);
    const cold = await wave(send, n);
    if (runtime.stats().activations !== n) throw new Error(`expected ${n} activations`);
    const warm = await wave(send, n);
    return { cold, warm };
  } finally {
    await runtime.shutdown();
  }
}

/** Raw classic-level: every stream read whole and each record parsed, RAW_CONCURRENCY at a time. */
async function rawRead(path: string, n: number): Promise<number> {
  const db = new ClassicLevel<string, string>(path);
  await db.open();
  try {
    let next = 0;
    let events = 0;
    const reader = async () => {
      while (next < n) {
        const streamId = `account/${idOf(next++)}`;
        for (const v of await db.values({ gt: `s${streamId}\u0000`, lt: `s${streamId}\u0001` }).all()) {
          if (JSON.parse(v) !== null) events++;
        }
      }
    };
    const { ms: took } = await timed(() =>
      Promise.all(Array.from({ length: RAW_CONCURRENCY }, reader)).then(() => {}),
    );
    if (events < n * EVENTS_EACH) throw new Error(`raw read saw ${events} events`);
    return took;
  } finally {
    await db.close();
  }
}

export async function activationStorm(opts: BenchOptions): Promise<ScenarioReport> {
  const n = opts.quick ? 300 : AGGREGATES;
  const rounds = opts.quick ? 1 : ROUNDS;
  const path = scratchFolder();
  const cold = new Map<number, Wave[]>(PERMITS.map((p) => [p, []]));
  const warm = new Map<number, Wave[]>(PERMITS.map((p) => [p, []]));
  const raw: number[] = [];
  try {
    await seed(path, n, EVENTS_EACH);
    await rawRead(path, n); // warm-up: the OS page cache and the JIT
    for (let r = 0; r < rounds; r++) {
      for (const permits of PERMITS) {
        const result = await storm(path, permits, n);
        cold.get(permits)?.push(result.cold);
        warm.get(permits)?.push(result.warm);
      }
      raw.push(await rawRead(path, n));
    }
  } finally {
    removeFolder(path);
  }
  const pick = (waves: readonly Wave[]): Wave =>
    [...waves].sort((a, b) => a.ms - b.ms)[waves.length >> 1] as Wave;
  const rawMs = median(raw);
  const rows: string[][] = [];
  const times = new Map<number, number>();
  const warmTimes = new Map<number, number>();
  for (const permits of PERMITS) {
    const c = pick(cold.get(permits) ?? []);
    const w = pick(warm.get(permits) ?? []);
    times.set(permits, c.ms);
    warmTimes.set(permits, w.ms);
    rows.push([
      num(permits),
      ms(c.ms),
      ms(c.p50),
      ms(c.p99),
      num((n * 1000) / c.ms),
      ms(w.ms),
      ratio(c.ms, w.ms),
      ratio(c.ms, rawMs),
    ]);
  }
  const t = (p: number) => times.get(p) ?? Number.NaN;
  const best = PERMITS.reduce((a, b) => (t(b) < t(a) ? b : a));
  return {
    title: 'Activation storm: 10,000 cold aggregates at once',
    method:
      `${num(n)} aggregates with ${EVENTS_EACH} events each are written to a folder. Per round and setting, a fresh ` +
      "runtime opens it (`levelStore`, default 'fsync' durability; no actor resident, no stream head cached; the " +
      `OS page cache warm) with \`maxConcurrentRecoveries\` at ${PERMITS.join(', ')}, and one \`deposit\` command ` +
      'per aggregate is sent at once. Latency is from the common start to each reply; the storm ends with the last ' +
      'reply. In the same runtime the same wave is then sent again with every actor resident (**warm**). ' +
      `**raw read**: classic-level reading each of the ${num(n)} streams whole (\`values().all()\` + \`JSON.parse\`), ` +
      `${RAW_CONCURRENCY} at a time, once per round. ${rounds} rounds, settings interleaved, median shown.`,
    tables: [
      {
        caption: `${num(n)} commands to ${num(n)} cold aggregates (lower time is better); raw read of every stream: ${ms(rawMs)}`,
        columns: [
          'maxConcurrentRecoveries',
          'storm: last reply',
          'p50',
          'p99',
          'activations/s',
          'warm wave',
          'storm ÷ warm',
          'storm ÷ raw read',
        ],
        rows,
        numeric: [0, 1, 2, 3, 4, 5, 6, 7],
      },
    ],
    findings: [
      `With ${num(best)} concurrent recoveries the storm was fastest (${ms(t(best))}). One at a time took ` +
        `${ratio(t(1), t(16))} the time of 16 (the default); 64 took ${ratio(t(64), t(16))}.`,
      `The warm wave (the same commands, every actor resident: the runtime path and the synced appends) takes ` +
        `${ms(warmTimes.get(16) ?? Number.NaN)}, so with 16 permits activation adds ` +
        `${num(((t(16) - (warmTimes.get(16) ?? Number.NaN)) * 1000) / n)} µs per aggregate (head read, stream ` +
        `read, decode and evolve of ${EVENTS_EACH} events, actor set-up), against ${num((rawMs * 1000) / n)} µs ` +
        'per stream for the raw read.',
    ],
    losses: [
      `An activation storm (${num(n)} cold aggregates at once, 16 permits) takes ${ratio(t(16), rawMs)} the time ` +
        'raw LevelDB needs to read the same streams: each activation also reads the stream head, builds an ' +
        'envelope per event, folds it, sets the actor up, and then appends the command with a synced write ' +
        `(the warm wave alone takes ${ms(warmTimes.get(16) ?? Number.NaN)}).`,
    ],
    headlines: [
      {
        what: `activation storm, ${num(n)} cold aggregates, maxConcurrentRecoveries 1 / 16 / 64`,
        value: PERMITS.map((p) => ms(t(p))).join(' / '),
        against: `raw LevelDB read of every stream: ${ms(rawMs)}`,
      },
    ] satisfies Headline[],
  };
}

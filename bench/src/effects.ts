/**
 * Scenario: what durable effects cost.
 *
 * 1. Runner throughput: N effect records already due (each a first attempt of a no-op
 *    implementation) are written straight into a store, then a runtime opens it and runs them:
 *    each effect's attempt, the record of its result, and the delivery of the result as a command
 *    to its aggregate (one event, the record removed in the same append). Effects/s from the
 *    runtime's start until none is left. On LevelDB 'fsync' and on the in-memory store.
 * 2. Overhead per command: a closed loop of 64 callers over 1,000 aggregates on LevelDB 'fsync',
 *    each command deciding one event; the contestant also requests one no-op effect. The cost
 *    counted is the whole of it (the attempt, its result record, the result command), since a
 *    round ends only when every effect it requested has settled. Rounds interleaved; commands/s
 *    of each, and the ratio.
 */
import {
  createRuntime,
  defineAggregate,
  EFFECT_SETTLED,
  type EventStore,
  effectTimerName,
  memoryStore,
  RUN_EFFECT,
  type RunEffect,
  type Runtime,
  type RuntimeOptions,
  type TimerChange,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { removeFolder, scratchFolder } from './level-rig.js';
import { closedLoop } from './load.js';
import { type BenchOptions, median } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

type Cmd = { type: 'tick'; effect: boolean } | { type: typeof EFFECT_SETTLED };
type Ev = { type: 'Ticked' } | { type: 'Settled' };

const NOOP = 'noop';

const job = defineAggregate<{ n: number }, Cmd, Ev>({
  type: 'job',
  initialState: () => ({ n: 0 }),
  decide(_s, cmd, ctx) {
    if (cmd.type === EFFECT_SETTLED) return [{ type: 'Settled' }];
    if (cmd.effect) ctx.effects.request(NOOP, null);
    return [{ type: 'Ticked' }];
  },
  evolve: (s) => ({ n: s.n + 1 }),
});

const effects = { implementations: { [NOOP]: () => null }, concurrency: 64 };

/** Writes `n` jobs, each with one event and one effect record due now, straight into `store`. */
async function seed(store: EventStore, n: number): Promise<void> {
  const now = Date.now();
  const CHUNK = 2_000;
  for (let from = 0; from < n; from += CHUNK) {
    await Promise.all(
      Array.from({ length: Math.min(CHUNK, n - from) }, (_, k) => {
        const streamId = `job/j${from + k}`;
        const command: RunEffect = {
          type: RUN_EFFECT,
          effect: NOOP,
          input: null,
          resultType: EFFECT_SETTLED,
          attempts: 0,
          requestedAt: now,
        };
        const timers: TimerChange[] = [
          {
            op: 'schedule',
            timer: { streamId, name: effectTimerName(NOOP), dueAt: now, version: 1, missed: 'fire', command },
          },
        ];
        return store.append(streamId, [{ data: { type: 'Ticked' } }], { expectedVersion: 0, timers });
      }),
    );
  }
}

const DEADLINE_MS = 600_000;

/**
 * Waits until the runtime has no effect left unsettled (results delivered included). Counting
 * reads every pending timer record, so it is asked only every 50 ms.
 */
async function drained(runtime: Runtime): Promise<void> {
  const until = Date.now() + DEADLINE_MS;
  while ((await runtime.effects().count()) > 0) {
    if (Date.now() > until) throw new Error('effects bench: effects still unsettled after the deadline');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `n` results have been delivered: each appends one event, and nothing else appends. */
async function delivered(runtime: Runtime, n: number): Promise<void> {
  const until = Date.now() + DEADLINE_MS;
  while (runtime.metrics().counters.eventsAppended < n) {
    if (Date.now() > until) throw new Error('effects bench: results still undelivered after the deadline');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function runnerThroughput(kind: 'level' | 'memory', n: number): Promise<number> {
  const path = scratchFolder();
  let store: RuntimeOptions['store'];
  if (kind === 'level') {
    const seeding = await levelStore({ path, durability: 'os' });
    await seed(seeding, n);
    await seeding.close();
    store = levelStore({ path, durability: 'fsync' });
  } else {
    const memory = memoryStore();
    await seed(memory, n);
    store = memory;
  }
  const started = performance.now();
  const runtime = await createRuntime({ store, aggregates: [job], effects });
  try {
    await delivered(runtime, n);
    return (n * 1000) / (performance.now() - started);
  } finally {
    await runtime.shutdown();
    removeFolder(path);
  }
}

async function requestOverhead(opts: BenchOptions): Promise<{ plain: number; requesting: number }> {
  const path = scratchFolder();
  const runtime = await createRuntime({
    store: levelStore({ path, durability: 'fsync' }),
    aggregates: [job],
    effects,
  });
  const plain: number[] = [];
  const requesting: number[] = [];
  try {
    for (let round = 0; round < (opts.quick ? 1 : 3); round++) {
      for (const effect of [false, true]) {
        const started = performance.now();
        const r = await closedLoop({
          callers: 64,
          until: { ms: opts.quick ? 300 : 3_000 },
          send: (_c, seq) => runtime.get(job, `j${seq % 1_000}`).execute({ type: 'tick', effect }),
        });
        // The round's effects are part of its cost: it ends when they have all settled.
        await drained(runtime);
        (effect ? requesting : plain).push((r.commands * 1000) / (performance.now() - started));
      }
    }
  } finally {
    await runtime.shutdown();
    removeFolder(path);
  }
  return { plain: median(plain), requesting: median(requesting) };
}

export async function durableEffects(opts: BenchOptions): Promise<ScenarioReport> {
  const n = opts.quick ? 2_000 : 50_000;
  const level = await runnerThroughput('level', n);
  const memory = await runnerThroughput('memory', n);
  const overhead = await requestOverhead(opts);
  return {
    title: 'Durable effects',
    method:
      `Runner: ${num(n)} effect records already due (a no-op implementation) are written into a store; a runtime ` +
      'opens it and runs them all (attempt, result record, result delivered as a command deciding one event), ' +
      'timed from start until none is left. Overhead: 64 callers over 1,000 aggregates on LevelDB `fsync`, one ' +
      'event per command; the contestant also requests one no-op effect, and a round ends only when all its ' +
      'effects have settled (rounds interleaved, median).',
    tables: [
      {
        caption: `Running ${num(n)} no-op effects due at once`,
        columns: ['store', 'effects/s'],
        rows: [
          ['LevelDB fsync', num(level)],
          ['in memory', num(memory)],
        ],
        numeric: [1],
      },
      {
        caption: 'Requesting one effect per command (LevelDB fsync)',
        columns: ['command', 'commands/s'],
        rows: [
          ['one event', num(overhead.plain)],
          ['one event + one effect (run and settled)', num(overhead.requesting)],
          ['overhead (plain ÷ with effect)', ratio(overhead.plain, overhead.requesting)],
        ],
        numeric: [1],
      },
    ],
    findings: [
      `${num(level)} no-op effects run and settled per second on LevelDB fsync, ${num(memory)} in memory: each is an attempt, a result record and a result command through its actor.`,
      `A command that requests one effect costs ${ratio(overhead.plain, overhead.requesting)} the throughput of the same command without, its effect's run and result included.`,
    ],
    headlines: [
      {
        what: 'effect request overhead',
        value: ratio(overhead.plain, overhead.requesting),
        against: 'the same command without an effect',
      },
    ],
  };
}

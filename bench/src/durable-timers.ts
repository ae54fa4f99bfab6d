/**
 * Scenario: what durable timers cost.
 *
 * 1. Scheduling overhead: a closed loop of 64 callers over 1,000 accounts on LevelDB 'fsync',
 *    each command deciding one event; the contestant also schedules (replaces) one timer an hour
 *    away, written in the same batch. Rounds interleaved; commands/s of each, and the ratio.
 * 2. Firing throughput: N timers all already due are written straight into a folder, then a
 *    runtime opens it and fires them (each firing decides one event and removes its timer in
 *    the same batch); timers/s from the runtime's start until none is pending.
 * 3. Heap with N pending timers due an hour away: the settled heap of a runtime that loaded its
 *    window from a folder holding N, minus the same runtime over a folder holding none. The
 *    runtime keeps a bounded window (1,000 by default), so the cost must stay flat in N.
 */
import { createRuntime, defineAggregate, type TimerChange } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { removeFolder, scratchFolder } from './level-rig.js';
import { closedLoop } from './load.js';
import { type BenchOptions, median, settledHeap } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

type Cmd = { type: 'tick'; schedule: boolean; at: number } | { type: 'ring' };
type Ev = { type: 'Ticked' } | { type: 'Rang' };

const clock = defineAggregate<{ n: number }, Cmd, Ev>({
  type: 'clock',
  initialState: () => ({ n: 0 }),
  decide(_s, cmd, ctx) {
    if (cmd.type === 'ring') return [{ type: 'Rang' }];
    if (cmd.schedule) ctx.timers.schedule('t', { at: cmd.at }, { type: 'ring' });
    return [{ type: 'Ticked' }];
  },
  evolve: (s) => ({ n: s.n + 1 }),
});

/** Writes `n` clocks, each with one event and one timer due at `dueAt`, straight into a folder. */
async function seed(path: string, n: number, dueAt: number): Promise<void> {
  const store = await levelStore({ path, durability: 'os' });
  const CHUNK = 2_000;
  for (let from = 0; from < n; from += CHUNK) {
    await Promise.all(
      Array.from({ length: Math.min(CHUNK, n - from) }, (_, k) => {
        const streamId = `clock/c${from + k}`;
        const timers: TimerChange[] = [
          {
            op: 'schedule',
            timer: { streamId, name: 't', dueAt, version: 1, missed: 'fire', command: { type: 'ring' } },
          },
        ];
        return store.append(streamId, [{ data: { type: 'Ticked' } }], { expectedVersion: 0, timers });
      }),
    );
  }
  await store.close();
}

async function schedulingOverhead(opts: BenchOptions): Promise<{ plain: number; scheduling: number }> {
  const path = scratchFolder();
  const runtime = await createRuntime({
    store: levelStore({ path, durability: 'fsync' }),
    aggregates: [clock],
  });
  const at = Date.now() + 3_600_000;
  const plain: number[] = [];
  const scheduling: number[] = [];
  try {
    for (let round = 0; round < (opts.quick ? 1 : 3); round++) {
      for (const schedule of [false, true]) {
        const r = await closedLoop({
          callers: 64,
          until: { ms: opts.quick ? 300 : 3_000 },
          send: (_c, seq) => runtime.get(clock, `c${seq % 1_000}`).execute({ type: 'tick', schedule, at }),
        });
        (schedule ? scheduling : plain).push(r.perSecond);
      }
    }
  } finally {
    await runtime.shutdown();
    removeFolder(path);
  }
  return { plain: median(plain), scheduling: median(scheduling) };
}

async function firingThroughput(n: number): Promise<number> {
  const path = scratchFolder();
  await seed(path, n, Date.now() - 1_000);
  const started = performance.now();
  const runtime = await createRuntime({
    store: levelStore({ path, durability: 'fsync' }),
    aggregates: [clock],
  });
  try {
    const timers = runtime.store.timers;
    if (timers === undefined) throw new Error('levelStore keeps timers');
    while ((await timers.count()) > 0) await new Promise((r) => setTimeout(r, 20));
    return (n * 1000) / (performance.now() - started);
  } finally {
    await runtime.shutdown();
    removeFolder(path);
  }
}

async function heapWithPending(n: number): Promise<number> {
  const path = scratchFolder();
  if (n > 0) await seed(path, n, Date.now() + 3_600_000);
  const runtime = await createRuntime({ store: levelStore({ path, durability: 'os' }), aggregates: [clock] });
  try {
    // Let the timer service load its window.
    await new Promise((r) => setTimeout(r, 300));
    return await settledHeap();
  } finally {
    await runtime.shutdown();
    removeFolder(path);
  }
}

export async function durableTimers(opts: BenchOptions): Promise<ScenarioReport> {
  const overhead = await schedulingOverhead(opts);
  const fireN = opts.quick ? 2_000 : 100_000;
  const firing = await firingThroughput(fireN);
  const sizes = opts.quick ? [0, 1_000, 10_000] : [0, 10_000, 100_000, 1_000_000];
  const heaps: number[] = [];
  for (const n of sizes) heaps.push(await heapWithPending(n));
  const base = heaps[0] as number;
  const grows = sizes.map((n, i) => [num(n), `${num(((heaps[i] as number) - base) / 1024 / 1024, 1)} MB`]);
  const largest = (heaps.at(-1) as number) - base;
  return {
    title: 'Durable timers',
    method:
      'Scheduling: 64 callers over 1,000 accounts on LevelDB `fsync`, one event per command; the contestant also ' +
      'replaces one timer an hour away in the same batch (rounds interleaved, median). Firing: ' +
      `${num(fireN)} timers already due, written into a folder; a runtime opens it and fires them all ` +
      '(one event each, the timer removed in the same batch), timed from start until none is pending. ' +
      'Heap: settled heap of a runtime over a folder holding N timers due an hour away, minus one holding none.',
    tables: [
      {
        caption: 'Scheduling one timer per command (LevelDB fsync)',
        columns: ['command', 'commands/s'],
        rows: [
          ['one event', num(overhead.plain)],
          ['one event + one timer', num(overhead.scheduling)],
          ['overhead (plain ÷ with timer)', ratio(overhead.plain, overhead.scheduling)],
        ],
        numeric: [1],
      },
      {
        caption: `Firing ${num(fireN)} timers due at once (LevelDB fsync)`,
        columns: ['timers', 'fired/s'],
        rows: [[num(fireN), num(firing)]],
        numeric: [0, 1],
      },
      {
        caption: 'Heap beyond an empty folder, by pending timers',
        columns: ['pending', 'heap'],
        rows: grows,
        numeric: [0, 1],
      },
    ],
    findings: [
      `Scheduling a timer with each command costs ${ratio(overhead.plain, overhead.scheduling)} the throughput of the same command without.`,
      `${num(firing)} timers fired per second, each a full command through its actor.`,
      `With ${num(sizes.at(-1) as number)} pending timers the runtime holds ${num(largest / 1024 / 1024, 1)} MB more than with none: the window is bounded.`,
    ],
    headlines: [
      {
        what: 'timer scheduling overhead',
        value: ratio(overhead.plain, overhead.scheduling),
        against: 'the same command without a timer',
      },
    ],
  };
}

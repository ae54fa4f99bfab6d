/**
 * Scenario: durable timers (issue 15) on the memory store.
 *
 * - Scheduling overhead: a command that schedules one timer (`ctx.timers.schedule`, written in
 *   the same append) against the same command without, sequentially on 1,000 aggregates,
 *   interleaved round by round; the ratio is the number to read.
 * - Firing throughput: N timers due at the same instant (written straight into the store with
 *   their events), a runtime started on the simulated clock, the clock moved past them; wall
 *   time until the store holds none.
 * - Heap held by the runtime for N pending timers: heap after the runtime started and loaded its
 *   window, minus heap before (the store's own copy is in both): flat in N, bounded by the window.
 */
import {
  type Command,
  createRuntime,
  defineAggregate,
  type EventStore,
  memoryStore,
  SimulatedClock,
  type TimerChange,
} from '@actorfold/core';
import { type BenchOptions, settledHeap, timed } from './measure.js';
import { num, type ScenarioReport } from './report.js';

type Cmd = { type: 'touch'; schedule: boolean } | { type: 'ring' };

const pinger = defineAggregate<number, Cmd, { type: 'Touched' } | { type: 'Rang' }>({
  type: 'pinger',
  initialState: () => 0,
  decide(_state, cmd, ctx) {
    if (cmd.type === 'ring') return [{ type: 'Rang' }];
    if (cmd.schedule) ctx.timers.schedule('t', { after: 'PT1H' }, { type: 'ring' });
    return [{ type: 'Touched' }];
  },
  evolve: (n) => n + 1,
});

const RING: Command = Object.freeze({ type: 'ring' });

/** Per-command µs of `rounds` rounds over `aggregates` aggregates, with or without a timer. */
async function perCommand(aggregates: number, rounds: number, schedule: boolean): Promise<number> {
  const runtime = await createRuntime({
    aggregates: [pinger],
    commandTimeoutMs: 0,
    clock: new SimulatedClock(0),
  });
  const handles = Array.from({ length: aggregates }, (_, i) => runtime.get(pinger, `p${i}`));
  const command = { type: 'touch' as const, schedule };
  for (const h of handles) await h.execute(command); // warm: every actor resident
  const t = await timed(async () => {
    for (let r = 0; r < rounds; r++) for (const h of handles) await h.execute(command);
  });
  await runtime.shutdown();
  return (t.ms * 1000) / (aggregates * rounds);
}

/** A memory store holding `n` pending timers due at `dueAt`, over `streams` streams. */
async function storeWithTimers(
  n: number,
  streams: number,
  dueAt: (i: number) => number,
): Promise<EventStore> {
  const store = memoryStore({ clock: new SimulatedClock(0) });
  const versions = new Array<number>(streams).fill(0);
  for (let i = 0; i < n; i++) {
    const s = i % streams;
    const streamId = `pinger/p${s}`;
    const version = ++(versions[s] as number);
    const timers: TimerChange[] = [
      {
        op: 'schedule',
        timer: { streamId, name: `t${i}`, dueAt: dueAt(i), command: RING, version, missed: 'fire' },
      },
    ];
    await store.append(streamId, [{ data: { type: 'Touched' } }], { expectedVersion: version - 1, timers });
  }
  return store;
}

async function fireAll(n: number): Promise<{ ms: number; fired: number }> {
  const store = await storeWithTimers(n, 1000, () => 10);
  const clock = new SimulatedClock(0);
  const runtime = await createRuntime({ aggregates: [pinger], store, clock, commandTimeoutMs: 0 });
  const timers = store.timers as NonNullable<EventStore['timers']>;
  const t = await timed(async () => {
    clock.advance(10);
    while ((await timers.count()) > 0) {
      clock.advance(0);
      await new Promise((r) => setImmediate(r));
    }
  });
  const fired = runtime.metrics().counters.timersFired;
  await runtime.shutdown();
  return { ms: t.ms, fired };
}

async function runtimeHeap(n: number): Promise<{ bytes: number; held: number }> {
  const store = await storeWithTimers(n, 1000, (i) => 3_600_000 + i);
  const before = await settledHeap();
  const runtime = await createRuntime({ aggregates: [pinger], store, clock: new SimulatedClock(0) });
  while (runtime.metrics().gauges.timersHeld === 0) await new Promise((r) => setImmediate(r));
  const after = await settledHeap();
  const held = runtime.metrics().gauges.timersHeld;
  await runtime.shutdown();
  return { bytes: after - before, held };
}

export async function timersBench(opts: BenchOptions): Promise<ScenarioReport> {
  const aggregates = 1000;
  const rounds = opts.quick ? 2 : 20;
  const without: number[] = [];
  const withTimer: number[] = [];
  for (let round = 0; round < 3; round++) {
    without.push(await perCommand(aggregates, rounds, false));
    withTimer.push(await perCommand(aggregates, rounds, true));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const plainUs = median(without);
  const timerUs = median(withTimer);
  const fireN = opts.quick ? 5_000 : 100_000;
  const fire = await fireAll(fireN);
  if (fire.fired !== fireN) throw new Error(`fired ${fire.fired} of ${fireN}`);
  const sizes = opts.quick ? [1_000, 5_000] : [10_000, 100_000, 300_000];
  const heaps = [];
  for (const n of sizes) heaps.push({ n, ...(await runtimeHeap(n)) });
  return {
    title: 'Durable timers',
    method:
      `Memory store. Scheduling: ${num(aggregates)} resident aggregates, ${rounds} sequential commands each, ` +
      'a command that schedules one timer (written in the same append) against the same command without, ' +
      'three interleaved rounds, median per command. Firing: timers due at one instant over 1,000 aggregates, ' +
      'written into the store before the runtime starts; wall time from moving the simulated clock past them to ' +
      'the store holding none. Heap: the runtime started on a store with N pending timers (due in an hour), ' +
      'heap after it loaded its window minus heap before (the store keeps every timer either way).',
    tables: [
      {
        caption: 'Scheduling overhead per command',
        columns: ['command', 'µs per command'],
        rows: [
          ['without a timer', num(plainUs, 2)],
          ['scheduling one timer', num(timerUs, 2)],
          ['ratio', num(timerUs / plainUs, 2)],
        ],
        numeric: [1],
      },
      {
        caption: 'Firing throughput',
        columns: ['timers due at once', 'ms', 'timers per second'],
        rows: [[num(fireN), num(fire.ms), num((fireN / fire.ms) * 1000)]],
        numeric: [0, 1, 2],
      },
      {
        caption: 'Heap held by the runtime for N pending timers',
        columns: ['pending', 'held in memory', 'runtime heap KB'],
        rows: heaps.map((h) => [num(h.n), num(h.held), num(h.bytes / 1024)]),
        numeric: [0, 1, 2],
      },
    ],
    findings: [
      `A command that schedules a timer costs ${num(timerUs / plainUs, 2)}× the same command without.`,
      `${num(fireN)} timers due at once fire at ${num((fireN / fire.ms) * 1000)} per second.`,
      `The runtime holds at most its window (${num(Math.max(...heaps.map((h) => h.held)))} timers) whatever the number pending.`,
    ],
  };
}

/**
 * Scenario: memory under idle eviction. One million distinct aggregates are touched once each
 * (one command, one event) through a runtime with a short idle timeout; the heap is sampled
 * through the run. With eviction the heap must level off once the actors touched in the last idle
 * period are the only ones resident; the same load with eviction off, in the same run, shows what
 * eviction saves. The store is LevelDB with durability 'os': the memory store keeps every event in
 * the heap, which would hide the runtime's own memory under the store's.
 */
import { createRuntime, type Runtime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import type { TopLevelSpec } from 'vega-lite';
import { account, removeFolder, scratchFolder } from './level-rig.js';
import { type BenchOptions, requireGc, settledHeap } from './measure.js';
import { type Chart, type Headline, num, ratio, type ScenarioReport } from './report.js';

const TOUCHED = 1_000_000;
const CONTRAST = 200_000;
const IDLE_TIMEOUT_MS = 1_000;
/** Commands in flight, each to a different aggregate. */
const CALLERS = 512;
const SAMPLE_MS = 250;
/** Every this many samples, a full collection first, so the sample is the live heap. */
const FULL_GC_EVERY = 4;

interface Sample {
  seconds: number;
  touched: number;
  resident: number;
  heapMB: number;
  /** True when taken right after a forced full collection. */
  live: boolean;
}

const MB = 1024 * 1024;
const DEPOSIT = Object.freeze({ type: 'deposit' as const });

/** Touches `n` distinct aggregates once each, sampling the heap every SAMPLE_MS. */
async function touch(
  n: number,
  idleTimeoutMs: number,
): Promise<{ samples: Sample[]; seconds: number; baseMB: number }> {
  const folder = scratchFolder();
  const collect = requireGc();
  let runtime: Runtime | undefined;
  const samples: Sample[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    runtime = await createRuntime({
      store: levelStore({ path: folder, durability: 'os' }),
      aggregates: [account],
      idleTimeoutMs,
    });
    const rt = runtime;
    const baseMB = (await settledHeap()) / MB;
    let touched = 0;
    let ticks = 0;
    const start = performance.now();
    const sample = () => {
      const live = ++ticks % FULL_GC_EVERY === 0;
      if (live) collect();
      samples.push({
        seconds: (performance.now() - start) / 1000,
        touched,
        resident: rt.stats().liveActors,
        heapMB: process.memoryUsage().heapUsed / MB,
        live,
      });
    };
    timer = setInterval(sample, SAMPLE_MS);
    let next = 0;
    const caller = async () => {
      while (next < n) {
        await rt.get(account, `acc-${next++}`).execute(DEPOSIT);
        touched++;
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    clearInterval(timer);
    timer = undefined;
    ticks = FULL_GC_EVERY - 1;
    sample(); // a last live sample at the end of the load
    if (rt.stats().eventsAppended !== n)
      throw new Error(`expected ${n} events, got ${rt.stats().eventsAppended}`);
    return { samples, seconds: (performance.now() - start) / 1000, baseMB };
  } finally {
    if (timer !== undefined) clearInterval(timer);
    await runtime?.shutdown();
    removeFolder(folder);
  }
}

/** The live (after full GC) sample nearest to having touched `share` of the aggregates. */
function liveAt(samples: readonly Sample[], touched: number): Sample {
  const live = samples.filter((s) => s.live);
  return live.reduce((best, s) =>
    Math.abs(s.touched - touched) < Math.abs(best.touched - touched) ? s : best,
  );
}

function chart(on: readonly Sample[], off: readonly Sample[], n: number, contrast: number): Chart {
  const sampled = `eviction on (${num(n)} aggregates): heap used, sampled`;
  const live = 'eviction on: live heap (after a full collection)';
  const without = `eviction off (${num(contrast)} aggregates): live heap`;
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: [sampled, live, without], range: ['#f5b971', '#c0392b', '#2e6da4'] },
    legend: { orient: 'bottom', direction: 'vertical', labelLimit: 500 },
  } as const;
  const x = { field: 'seconds', type: 'quantitative', title: 'seconds since the first command' } as const;
  const y = { field: 'heapMB', type: 'quantitative', title: 'heap, MB' } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Heap while touching ${num(n)} distinct aggregates (idle timeout ${num(IDLE_TIMEOUT_MS)} ms)`,
    width: 520,
    layer: [
      {
        // The raw samples: the sawtooth of garbage between collections, drawn light and underneath.
        data: { values: on.map((s) => ({ ...s, series: sampled })) },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.6 },
        encoding: { x, y, color },
      },
      {
        data: {
          values: [
            ...on.filter((s) => s.live).map((s) => ({ ...s, series: live })),
            ...off.filter((s) => s.live).map((s) => ({ ...s, series: without })),
          ],
        },
        mark: { type: 'line', strokeWidth: 2.5 },
        encoding: { x, y, color },
      },
    ],
  };
  return { file: 'bench-heap.svg', title: 'Heap over time while touching distinct aggregates', spec };
}

export async function evictionHeap(opts: BenchOptions): Promise<ScenarioReport> {
  const n = opts.quick ? 3_000 : TOUCHED;
  const contrast = opts.quick ? 1_000 : CONTRAST;
  const on = await touch(n, IDLE_TIMEOUT_MS);
  const off = await touch(contrast, Number.POSITIVE_INFINITY);
  const tenth = liveAt(on.samples, n / 10);
  const half = liveAt(on.samples, n / 2);
  const end = liveAt(on.samples, n);
  const offEnd = liveAt(off.samples, contrast);
  const peak = Math.max(...on.samples.map((s) => s.heapMB));
  const maxResident = Math.max(...on.samples.map((s) => s.resident));
  const perAggregate = ((end.heapMB - tenth.heapMB) * MB) / Math.max(1, end.touched - tenth.touched);
  const offPerAggregate = ((offEnd.heapMB - off.baseMB) * MB) / contrast;
  const row = (label: string, s: Sample) => [label, num(s.touched), num(s.resident), num(s.heapMB, 1)];
  return {
    title: 'Memory under idle eviction: one million distinct aggregates',
    method:
      `${num(CALLERS)} callers send one \`deposit\` command (one event) to each of ${num(n)} distinct aggregates, ` +
      `each aggregate once, through a runtime with \`idleTimeoutMs: ${num(IDLE_TIMEOUT_MS)}\` (the real clock) on ` +
      "`levelStore({ durability: 'os' })`; the memory store would keep every event in the heap. Every " +
      `${num(SAMPLE_MS)} ms a timer records \`heapUsed\` and the resident actors; every ${FULL_GC_EVERY}th sample ` +
      'is taken right after a forced full collection (the live heap). Contrast, in the same run: the same load on ' +
      `${num(contrast)} aggregates with eviction off (\`idleTimeoutMs: Infinity\`). The store caches up to ` +
      '100,000 stream heads (`streamHeadCacheSize`), part of the plateau.',
    tables: [
      {
        caption: 'Live heap (after a full collection) while the aggregates are touched',
        columns: ['point', 'aggregates touched', 'resident actors', 'live heap MB'],
        rows: [
          ['eviction on, before the first command', '0', '0', num(on.baseMB, 1)],
          row('eviction on, ~10 %', tenth),
          row('eviction on, ~50 %', half),
          row('eviction on, end', end),
          ['eviction off, before the first command', '0', '0', num(off.baseMB, 1)],
          row('eviction off, end', offEnd),
        ],
        numeric: [1, 2, 3],
      },
    ],
    charts: [chart(on.samples, off.samples, n, contrast)],
    findings: [
      `With eviction the live heap went from ${num(tenth.heapMB, 1)} MB after ${num(tenth.touched)} aggregates to ` +
        `${num(end.heapMB, 1)} MB after ${num(end.touched)} (${ratio(end.heapMB, tenth.heapMB)}): ` +
        `${num(perAggregate, 1)} B per further aggregate touched, that is flat. At most ${num(maxResident)} actors were resident at once (those touched within the last idle ` +
        `period); the sampled heap peaked at ${num(peak, 1)} MB. ${num(n)} commands took ${num(on.seconds, 1)} s.`,
      `Without eviction the heap grew by ${num(offPerAggregate)} B per aggregate touched (${num(offEnd.heapMB, 1)} MB ` +
        `after ${num(contrast)}); at that rate ${num(n)} resident actors would hold ` +
        `${num((offPerAggregate * n) / MB)} MB.`,
    ],
    headlines: [
      {
        what: `live heap with idle eviction, after ${num(end.touched)} ÷ after ${num(tenth.touched)} aggregates touched`,
        value: `${ratio(end.heapMB, tenth.heapMB)} (${num(tenth.heapMB, 1)} → ${num(end.heapMB, 1)} MB; ${num(perAggregate, 1)} B per further aggregate)`,
        against: `${num(offPerAggregate)} B per aggregate with eviction off (same run)`,
      },
    ] satisfies Headline[],
  };
}

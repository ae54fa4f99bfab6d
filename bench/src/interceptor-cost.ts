/**
 * Scenario: what interceptors and tracing add to the command path.
 *
 * The same one-event command on the memory store, through four runtimes built in the same
 * process and interleaved round by round: no interceptor and no observer (the default; the
 * seams cost a null check each), one interceptor (a synchronous `beforeDecide` and an
 * `afterAppend`, both doing nothing), tracing installed without an SDK (`otelObserver()` on the
 * API's no-op tracer), and tracing on (a `BasicTracerProvider` with a `BatchSpanProcessor` whose
 * exporter drops the spans, so only the span work is measured, not a network).
 */
import { createRuntime, defineAggregate, type Runtime, type RuntimeOptions } from '@actorfold/core';
import { otelObserver } from '@actorfold/otel';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { type BenchOptions, median, timed } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

interface Shape {
  label: string;
  aggregates: number;
  inFlight: number;
  commands: number;
}

const SHAPES: readonly Shape[] = [
  { label: 'one aggregate, sequential (await each)', aggregates: 1, inFlight: 1, commands: 20_000 },
  { label: '1,000 aggregates, 1,000 in flight', aggregates: 1_000, inFlight: 1_000, commands: 50_000 },
];
const QUICK_SHAPES: readonly Shape[] = SHAPES.map((s) => ({
  ...s,
  aggregates: Math.min(s.aggregates, 10),
  inFlight: Math.min(s.inFlight, 10),
  commands: 500,
}));
const ROUNDS = 7;

type Cmd = { readonly type: 'add' };
type Evt = { readonly type: 'Added' };
const CMD: Cmd = Object.freeze({ type: 'add' });
const EVENT: Evt = Object.freeze({ type: 'Added' });

let decided = 0;
const counter = defineAggregate<number, Cmd, Evt>({
  type: 'counter',
  initialState: () => 0,
  decide: () => {
    decided++;
    return [EVENT];
  },
  evolve: (n) => n + 1,
});

/** Takes every span and keeps none: the cost of tracing without the cost of a network. */
class DiscardExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

interface Contestant {
  name: string;
  options(): Pick<RuntimeOptions, 'interceptors' | 'observer'> & { close?: () => Promise<void> };
}

let afterAppends = 0;
const CONTESTANTS: readonly Contestant[] = [
  { name: 'no interceptor', options: () => ({}) },
  {
    name: 'one interceptor',
    options: () => ({
      interceptors: [
        {
          beforeDecide: () => {},
          afterAppend: () => {
            afterAppends++;
          },
        },
      ],
    }),
  },
  { name: 'otel, no SDK', options: () => ({ observer: otelObserver() }) },
  {
    name: 'otel, SDK on',
    options: () => {
      const provider = new BasicTracerProvider({
        spanProcessors: [new BatchSpanProcessor(new DiscardExporter(), { maxQueueSize: 65_536 })],
      });
      return {
        observer: otelObserver({ tracer: provider.getTracer('bench') }),
        close: () => provider.shutdown(),
      };
    },
  },
];

async function drive(runtime: Runtime, shape: Shape): Promise<void> {
  const handles = Array.from({ length: shape.aggregates }, (_, i) => runtime.get(counter, `c-${i}`));
  let next = 0;
  const caller = async () => {
    while (next < shape.commands) {
      const k = next++ % shape.aggregates;
      await (handles[k] as (typeof handles)[number]).execute(CMD);
    }
  };
  await Promise.all(Array.from({ length: shape.inFlight }, caller));
}

async function measureShape(shape: Shape, rounds: number): Promise<Map<string, number[]>> {
  const rigs = await Promise.all(
    CONTESTANTS.map(async (c) => {
      const { close, ...options } = c.options();
      return { runtime: await createRuntime({ aggregates: [counter], ...options }), close };
    }),
  );
  const samples = new Map<string, number[]>(CONTESTANTS.map((c) => [c.name, []]));
  try {
    for (const rig of rigs) await drive(rig.runtime, shape);
    for (let round = 0; round < rounds; round++) {
      for (const [i, c] of CONTESTANTS.entries()) {
        const rig = rigs[i] as (typeof rigs)[number];
        const before = decided;
        let cpu = { user: 0, system: 0 };
        await timed(async () => {
          const start = process.cpuUsage();
          await drive(rig.runtime, shape);
          cpu = process.cpuUsage(start);
        });
        if (decided - before !== shape.commands) throw new Error(`${c.name}: not every command was decided`);
        // CPU time rather than wall time: what a command costs the process, and a number that stays
        // meaningful on a machine shared with other work (wall time there is mostly waiting).
        samples.get(c.name)?.push((cpu.user + cpu.system) / shape.commands);
      }
    }
  } finally {
    for (const rig of rigs) {
      await rig.runtime.shutdown();
      await rig.close?.();
    }
  }
  if (afterAppends === 0) throw new Error('the interceptor was never called');
  return samples;
}

export async function interceptorCost(opts: BenchOptions): Promise<ScenarioReport> {
  const shapes = opts.quick ? QUICK_SHAPES : SHAPES;
  const rounds = opts.quick ? 1 : ROUNDS;
  const rows: string[][] = [];
  const findings: string[] = [];
  for (const shape of shapes) {
    const samples = await measureShape(shape, rounds);
    const us = (name: string) => median(samples.get(name) ?? []);
    const [none, one, noSdk, sdk] = CONTESTANTS.map((c) => us(c.name)) as [number, number, number, number];
    rows.push([
      shape.label,
      num(none, 2),
      num(one, 2),
      num(noSdk, 2),
      num(sdk, 2),
      ratio(one, none),
      ratio(noSdk, none),
      ratio(sdk, none),
    ]);
    findings.push(
      `${shape.label}: one interceptor ${ratio(one, none)} the path without, tracing installed without ` +
        `an SDK ${ratio(noSdk, none)}, tracing on ${ratio(sdk, none)} (${num(sdk - none, 2)} µs per command).`,
    );
  }
  return {
    title: 'Interceptors and tracing: CPU µs per command',
    method:
      'One command appending one event on the memory store, through four runtimes in the same process, ' +
      'interleaved round by round: no interceptor and no observer (the default), one interceptor (a ' +
      'synchronous `beforeDecide` and an `afterAppend` that do nothing), `otelObserver()` on the OpenTelemetry ' +
      "API's no-op tracer (installed, no SDK), and `otelObserver()` on a `BasicTracerProvider` with a " +
      '`BatchSpanProcessor` whose exporter drops the spans (a span per command, trace context written to ' +
      `each event's metadata). ${shapes.map((s) => num(s.commands)).join(' / ')} commands per round; one ` +
      `warm-up pass, then ${rounds} rounds; the median round's CPU time (user + system, from ` +
      '`process.cpuUsage()`) per command is shown. The ratios are the numbers to compare.',
    tables: [
      {
        caption: 'Median CPU µs per command (lower is better)',
        columns: [
          'shape',
          'none µs',
          'one interceptor µs',
          'otel, no SDK µs',
          'otel, SDK on µs',
          'interceptor ÷ none',
          'no SDK ÷ none',
          'SDK on ÷ none',
        ],
        rows,
        numeric: [1, 2, 3, 4, 5, 6, 7],
      },
    ],
    findings,
    losses: [],
  };
}

/**
 * Scenario: heap held by one resident idle actor, beyond the user's state.
 *
 * N distinct aggregates get one command each (one event, so every actor has a version) and
 * stay resident; the heap is measured, every actor is evicted, and the heap is measured again.
 * The memory store keeps the events either way, so the difference is what the actors held:
 * actor object, mailbox, registry map entry, the id string, and the dedupe window when a
 * commandId was used. The aggregate's state is one shared frozen constant, so it costs nothing.
 * Baselines from the same run: a p-queue 9 instance and an unref'd setTimeout, per instance.
 */
import { randomUUID } from 'node:crypto';
import {
  createRuntime,
  defineAggregate,
  type ExecuteOptions,
  type Runtime,
  SimulatedClock,
} from '@actorfold/core';
import PQueue from 'p-queue';
import { type BenchOptions, settledHeap } from './measure.js';
import { num, type ScenarioReport } from './report.js';

/** The budget from the issue: an idle resident actor costs at most this much heap beyond the user's state. */
const BUDGET_BYTES = 512;
/** Commands sent concurrently while touching the aggregates (each to a different aggregate). */
const BATCH = 1_000;

type State = Readonly<{ touched: true }>;
const SHARED: State = Object.freeze({ touched: true });
const TOUCH = Object.freeze({ type: 'touch' as const });

const touch = defineAggregate<State, typeof TOUCH, { type: 'Touched' }>({
  type: 'touch',
  initialState: () => SHARED,
  decide: () => [{ type: 'Touched' }],
  evolve: () => SHARED,
});

/** Ids as callers would build them, fresh strings that nothing but the runtime keeps. */
const idOf = (i: number) => `acc-${String(i).padStart(8, '0')}`;

type Eviction = 'runtime.evict' | 'idle reaper';

interface ActorMeasurement {
  /** (resident - evicted) / N: what the actors held. */
  actorBytes: number;
  /** (evicted - before) / N: what the memory store keeps per one-event stream. */
  storeBytes: number;
}

/** Sends one command to each of `n` fresh aggregates, `BATCH` at a time. */
async function touchAll(runtime: Runtime, n: number, withCommandId: boolean): Promise<void> {
  for (let start = 0; start < n; start += BATCH) {
    const pending: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(n, start + BATCH); i++) {
      const options: ExecuteOptions = withCommandId ? { commandId: randomUUID() } : {};
      pending.push(runtime.get(touch, idOf(i)).execute(TOUCH, options));
    }
    await Promise.all(pending);
  }
  // An actor answers its last caller as soon as the append is durable and turns idle just after.
  await new Promise((r) => setImmediate(r));
}

async function measureActors(
  n: number,
  withCommandId: boolean,
  eviction: Eviction,
): Promise<ActorMeasurement> {
  // The simulated clock starts at the real time, so `idleSince` holds the same kind of number as in production.
  const clock = new SimulatedClock(Date.now());
  const runtime = await createRuntime({
    aggregates: [touch],
    idleTimeoutMs: eviction === 'idle reaper' ? 60_000 : Number.POSITIVE_INFINITY,
    // Off, so no settled request lingers in the timeout FIFO at measurement time.
    commandTimeoutMs: 0,
    dedupeWindow: 1,
    ...(eviction === 'idle reaper' ? { clock } : {}),
  });
  const before = await settledHeap();
  await touchAll(runtime, n, withCommandId);
  const stats = runtime.stats();
  if (stats.liveActors !== n || stats.idleActors !== n || stats.eventsAppended !== n) {
    throw new Error(`expected ${n} idle actors and events, got ${JSON.stringify(stats)}`);
  }
  const resident = await settledHeap();

  if (eviction === 'runtime.evict') {
    for (let start = 0; start < n; start += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, n - start) }, (_, j) => idOf(start + j));
      const evicted = await Promise.all(ids.map((id) => runtime.evict(touch, id)));
      if (!evicted.every(Boolean)) throw new Error('an actor was not resident');
    }
  } else {
    clock.advance(61_000);
  }
  while (runtime.stats().liveActors > 0) await new Promise((r) => setImmediate(r));
  const evicted = await settledHeap();
  if (runtime.stats().evictions !== n)
    throw new Error(`expected ${n} evictions, got ${runtime.stats().evictions}`);
  await runtime.shutdown();
  return { actorBytes: (resident - evicted) / n, storeBytes: (evicted - before) / n };
}

/** Heap per object made by `make`, kept in a pre-sized array (so the array's own slots are not counted). */
async function perInstance<T>(
  n: number,
  make: (i: number) => T,
  dispose: (t: T) => void = () => {},
): Promise<number> {
  const keep = new Array<T | undefined>(n).fill(undefined);
  const before = await settledHeap();
  for (let i = 0; i < n; i++) keep[i] = make(i);
  const after = await settledHeap();
  for (const t of keep) dispose(t as T);
  return (after - before) / n;
}

/** The stream id the way a handle builds it, used once as a map key like the registry does (which flattens it). */
async function streamIdBytes(n: number): Promise<number> {
  const probe = new Map<string, true>();
  return perInstance(n, (i) => {
    const streamId = `${touch.type}/${idOf(i)}`;
    probe.has(streamId);
    return streamId;
  });
}

function noop(): void {}

export async function idleActorHeap(opts: BenchOptions): Promise<ScenarioReport> {
  const n = opts.quick ? 2_000 : 100_000;
  const plain = await measureActors(n, false, 'runtime.evict');
  const reaped = await measureActors(n, false, 'idle reaper');
  const deduped = await measureActors(n, true, 'runtime.evict');
  const streamId = await streamIdBytes(n);
  const pqueue = await perInstance(n, () => new PQueue({ concurrency: 1 }));
  const timer = await perInstance(
    n,
    () => setTimeout(noop, 1e9).unref(),
    (t) => clearTimeout(t),
  );

  const vsBudget = (bytes: number) => `${num((bytes / BUDGET_BYTES) * 100)} %`;
  const withId = (bytes: number) => bytes + streamId;
  const rows = [
    [
      'idle actor, no commandId (evicted with runtime.evict)',
      num(plain.actorBytes),
      num(withId(plain.actorBytes)),
      vsBudget(withId(plain.actorBytes)),
    ],
    [
      'idle actor, no commandId (evicted by the idle reaper)',
      num(reaped.actorBytes),
      num(withId(reaped.actorBytes)),
      vsBudget(withId(reaped.actorBytes)),
    ],
    [
      'idle actor, one commandId remembered (dedupe window 1)',
      num(deduped.actorBytes),
      num(withId(deduped.actorBytes)),
      vsBudget(withId(deduped.actorBytes)),
    ],
    ['p-queue 9 instance, new PQueue({ concurrency: 1 })', num(pqueue), num(pqueue), vsBudget(pqueue)],
    ["unref'd setTimeout(fn, 1e9)", num(timer), num(timer), vsBudget(timer)],
  ];
  const verdict = (label: string, bytes: number) =>
    bytes <= BUDGET_BYTES
      ? `${label}: ${num(bytes)} B with its stream id, within the ${BUDGET_BYTES} B budget.`
      : `${label}: ${num(bytes)} B with its stream id, over the ${BUDGET_BYTES} B budget by ${num(bytes - BUDGET_BYTES)} B.`;
  return {
    title: 'Heap per idle resident actor',
    method:
      `${num(n)} distinct aggregates get one command each (one event; the state is one shared frozen ` +
      'object, so user state costs 0) and stay resident. Heap used is read once it settled (`global.gc()` until two reads agree within 1 KiB) ' +
      'with the actors resident and again after every actor was evicted; the memory store keeps the ' +
      'events either way, so the difference divided by N is what an idle actor holds: actor object, mailbox, ' +
      'registry map entry, id string (`acc-00000001`) and, with a commandId (a random UUID), the dedupe window. ' +
      'The stream id string (`touch/acc-00000001`) is shared with the memory store, so it is measured on its ' +
      'own (built as a handle builds it, used once as a map key) and added to get the total. Command timeouts ' +
      'are off so no settled request lingers in the timeout queue. p-queue and setTimeout: N instances kept ' +
      'in a pre-sized array, heap delta / N.',
    tables: [
      {
        caption: `Bytes of heap per instance, budget ${BUDGET_BYTES} B per idle actor`,
        columns: ['what', 'measured B', 'with stream id B', 'of budget'],
        rows,
        numeric: [1, 2, 3],
      },
      {
        caption: 'Context (not part of the actor cost)',
        columns: ['what', 'bytes'],
        rows: [
          ['stream id string, per actor (shared with the store; included above)', num(streamId)],
          ['memory store, per one-event stream (no commandId)', num(plain.storeBytes)],
          ['memory store, per one-event stream (with commandId)', num(deduped.storeBytes)],
        ],
        numeric: [1],
      },
    ],
    findings: [
      verdict('Idle actor without a commandId', withId(plain.actorBytes)),
      verdict('Idle actor that remembers one commandId', withId(deduped.actorBytes)),
      `The one-entry dedupe window adds ${num(deduped.actorBytes - plain.actorBytes)} B (its 36-character ` +
        'commandId string included).',
      `A p-queue 9 instance per actor would cost ${num(pqueue)} B on its own, a setTimeout per idle actor ` +
        `${num(timer)} B.`,
    ],
    losses: [
      ...(withId(deduped.actorBytes) > BUDGET_BYTES
        ? [
            `Idle actor with a commandId: ${num(withId(deduped.actorBytes))} B, over the ${BUDGET_BYTES} B ` +
              `budget; its dedupe window adds ${num(deduped.actorBytes - plain.actorBytes)} B.`,
          ]
        : []),
      ...(withId(plain.actorBytes) > pqueue
        ? [
            `Idle actor: ${num(withId(plain.actorBytes))} B, more than a bare p-queue 9 instance (${num(pqueue)} B).`,
          ]
        : []),
    ],
    headlines: [
      {
        what: `heap per idle resident actor at ${num(n)} actors (with its stream id)`,
        value: `${num(withId(plain.actorBytes))} B; ${num(withId(deduped.actorBytes))} B with one commandId`,
        against: `budget ${BUDGET_BYTES} B; one p-queue 9 instance alone ${num(pqueue)} B`,
      },
    ],
  };
}

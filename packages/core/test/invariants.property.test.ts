/**
 * Hunts for breakage of the runtime's invariants (docs/architecture.md, 1–4, 6, 8, 9): random
 * interleavings of concurrent commands, explicit evictions, idle timeouts, evolve crashes and
 * runtime restarts, over a store whose appends and reads take random turns of the event loop.
 * After each run, the stored streams are compared with what callers were told and with a model.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  type DomainEvent,
  type EventEnvelope,
  type ExecuteResult,
  memoryStore,
  type Runtime,
  SimulatedClock,
} from '../src/index.js';
import { type CounterCommand, type CounterState, counter, crashSwitch } from './support/counter.js';
import { collect, flush, ProbeStore, tagOf } from './support/probe-store.js';

const IDS = ['a', 'b', 'c'];
const IDLE_MS = 100;
const RUNS = process.env.ACTORFOLD_SOAK ? 5000 : 120;

type Op =
  | {
      kind: 'exec';
      agg: number;
      cmd: 'add' | 'addTwice' | 'noop' | 'refuse';
      by: number;
      reuse: number | null;
    }
  | { kind: 'evict'; agg: number }
  | { kind: 'idle'; ms: number }
  | { kind: 'crash' }
  | { kind: 'tick' }
  | { kind: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('exec' as const),
      agg: fc.nat(IDS.length - 1),
      cmd: fc.constantFrom(
        'add' as const,
        'add' as const,
        'addTwice' as const,
        'noop' as const,
        'refuse' as const,
      ),
      by: fc.integer({ min: 1, max: 9 }),
      reuse: fc.option(fc.nat(20), { nil: null, freq: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('evict' as const), agg: fc.nat(IDS.length - 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('idle' as const),
      ms: fc.integer({ min: 1, max: 2 * IDLE_MS }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

/** What the test remembers of each command it sent. */
interface Sent {
  seq: number;
  agg: number;
  tag: string;
  cmd: Op & { kind: 'exec' };
  commandId: string | undefined;
  outcome?: { ok: ExecuteResult<CounterState> } | { err: { code?: string } };
}

function commandOf(op: Op & { kind: 'exec' }, tag: string): CounterCommand {
  if (op.cmd === 'add' || op.cmd === 'addTwice') return { type: op.cmd, by: op.by, tag };
  return { type: op.cmd };
}

/** The model: the fold of stored events, independent of the runtime. */
function fold(events: EventEnvelope[]): CounterState {
  const s: CounterState = { n: 0, tags: [] };
  for (const e of events) {
    const d = e.data as { by: number; tag?: string } & DomainEvent;
    s.n += d.by;
    if (d.tag !== undefined) s.tags.push(d.tag);
  }
  return s;
}

let live: Runtime | undefined;
afterEach(async () => {
  crashSwitch.armed = 0;
  await live?.shutdown({ timeoutMs: 1000 });
  live = undefined;
});

async function runScenario(ops: Op[], delays: number[]): Promise<void> {
  crashSwitch.armed = 0;
  let turn = 0;
  const delay = async () => {
    const n = delays[turn++ % delays.length] as number;
    for (let i = 0; i < n; i++) await flush();
  };
  const store = new ProbeStore(memoryStore(), { beforeAppend: delay, beforeRead: delay, keepOnClose: true });
  const clock = new SimulatedClock();
  const start = () =>
    createRuntime({
      store,
      aggregates: [counter],
      clock,
      idleTimeoutMs: IDLE_MS,
      mailboxCapacity: 4,
      maxConcurrentRecoveries: 2,
      commandTimeoutMs: 0,
    });
  let runtime = await start();
  live = runtime;
  const sent: Sent[] = [];
  const pending: Promise<unknown>[] = [];
  const idsUsed: string[][] = IDS.map(() => []);

  for (const op of ops) {
    switch (op.kind) {
      case 'exec': {
        const seq = sent.length;
        const tag = `t${seq}`;
        const used = idsUsed[op.agg] as string[];
        let commandId: string | undefined;
        if (op.cmd !== 'noop') {
          // Reuse an earlier commandId of the same aggregate (a retry), or mint one.
          commandId = op.reuse !== null && used.length > 0 ? used[op.reuse % used.length] : `cmd-${seq}`;
          if (!used.includes(commandId as string)) used.push(commandId as string);
        }
        const entry: Sent = { seq, agg: op.agg, tag, cmd: op, commandId };
        sent.push(entry);
        const h = runtime.get(counter, IDS[op.agg] as string);
        pending.push(
          h.execute(commandOf(op, tag), commandId === undefined ? {} : { commandId }).then(
            (ok) => {
              entry.outcome = { ok };
            },
            (err: { code?: string }) => {
              entry.outcome = { err };
            },
          ),
        );
        break;
      }
      case 'evict':
        pending.push(runtime.evict(counter, IDS[op.agg] as string));
        break;
      case 'idle':
        clock.advance(op.ms);
        break;
      case 'crash':
        crashSwitch.armed = 1;
        break;
      case 'tick':
        await flush();
        break;
      case 'restart':
        await runtime.shutdown({ timeoutMs: 60_000 });
        runtime = await start();
        live = runtime;
        break;
    }
  }
  await Promise.all(pending);
  crashSwitch.armed = 0;

  // Invariant 9: once idle, every actor is evicted and nothing is left queued.
  for (let i = 0; i < 20 && runtime.stats().liveActors > 0; i++) {
    await flush();
    clock.advance(IDLE_MS);
  }
  expect(runtime.stats()).toMatchObject({ liveActors: 0, mailboxDepth: 0, activatingActors: 0 });
  await runtime.shutdown();

  // Invariant 1: never two appends in flight on one stream.
  expect(store.overlaps).toEqual([]);

  for (let agg = 0; agg < IDS.length; agg++) {
    const stream = await collect(store.inner.readStream(`counter/${IDS[agg]}`));
    // Invariant 4: contiguous versions.
    expect(stream.map((e) => e.version)).toEqual(stream.map((_, i) => i + 1));
    const mine = sent.filter((s) => s.agg === agg);
    const tagsStored = stream.map((e) => tagOf(e));
    for (const s of mine) {
      const outcome = s.outcome;
      expect(outcome).toBeDefined();
      const count = tagsStored.filter((t) => t === s.tag).length;
      if (outcome !== undefined && 'ok' in outcome && !outcome.ok.deduplicated) {
        // Acknowledged: stored exactly once, whole (both events of addTwice, adjacent), at the versions reported.
        const expected = s.cmd.cmd === 'addTwice' ? 2 : s.cmd.cmd === 'add' ? 1 : 0;
        expect(count).toBe(expected);
        if (expected > 0) {
          const first = tagsStored.indexOf(s.tag);
          expect(outcome.ok.version).toBe(first + expected);
          expect(outcome.ok.events.map((e) => e.version)).toEqual(
            Array.from({ length: expected }, (_, i) => first + 1 + i),
          );
        }
        // Invariants 3 and 4: the state replied is the fold of the stream up to that version.
        expect(outcome.ok.state).toEqual(fold(stream.slice(0, outcome.ok.version)));
      } else {
        // Refused, crashed, full or deduplicated: nothing of this command is stored.
        expect(count).toBe(0);
      }
      if (outcome !== undefined && 'ok' in outcome && outcome.ok.deduplicated) {
        // Invariant 6: a duplicate answers with the original's events.
        const original = mine.find(
          (o) =>
            o.seq < s.seq &&
            o.commandId === s.commandId &&
            o.outcome !== undefined &&
            'ok' in o.outcome &&
            !o.outcome.ok.deduplicated,
        );
        expect(original).toBeDefined();
        if (original?.outcome && 'ok' in original.outcome) {
          expect(outcome.ok.events).toEqual(original.outcome.ok.events);
        }
      }
      if (outcome !== undefined && 'err' in outcome) {
        expect(['REJECTED', 'ACTOR_CRASHED', 'MAILBOX_FULL', 'IDEMPOTENCY_CONFLICT']).toContain(
          outcome.err.code,
        );
        if (outcome.err.code === 'REJECTED') expect(s.cmd.cmd).toBe('refuse');
      }
    }
    // Invariant 6, the other way round: an acknowledged commandId never appends again. A reuse
    // here is always a different command (its own tag), so it is refused as a conflict.
    for (const s of mine) {
      if (s.commandId === undefined || s.outcome === undefined) continue;
      const earlierStored = mine.some(
        (o) =>
          o.seq < s.seq &&
          o.commandId === s.commandId &&
          o.outcome !== undefined &&
          'ok' in o.outcome &&
          o.outcome.ok.events.length > 0,
      );
      if ('ok' in s.outcome) expect(earlierStored).toBe(false);
      else if (s.outcome.err.code === 'IDEMPOTENCY_CONFLICT') expect(earlierStored).toBe(true);
    }
    // Invariant 2: commands of one aggregate are stored in the order they were sent.
    const order = mine.map((s) => s.tag).filter((t) => tagsStored.includes(t));
    expect([...new Set(tagsStored)]).toEqual(order);
    // No phantom writes: every stored tag belongs to an acknowledged command.
    const acked = new Set(
      mine
        .filter((s) => s.outcome !== undefined && 'ok' in s.outcome && !s.outcome.ok.deduplicated)
        .map((s) => s.tag),
    );
    for (const t of tagsStored) expect(acked.has(t as string)).toBe(true);

    // After everything, a fresh runtime recovers exactly the model's state.
    const verify = await createRuntime({ store, aggregates: [counter] });
    const recovered = await verify.get(counter, IDS[agg] as string).state();
    await verify.shutdown();
    expect(recovered).toEqual({ version: stream.length, state: fold(stream) });
  }
}

describe('runtime invariants under random interleavings', () => {
  it('keeps every acknowledged command exactly once, in order, with contiguous versions and model-equal state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 16 }),
        runScenario,
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});

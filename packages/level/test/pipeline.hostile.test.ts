/**
 * `maxBatchesInFlight` (issue 14's overlap) from outside, on real LevelDB folders, through the
 * public API only: random runs of concurrent commands on a few hot aggregates, with async decides
 * that settle late or reject with odd values, refusals, retries with the same commandId, evictions,
 * restarts mid-pipeline and a store that fails the k-th append (before it reaches LevelDB, or
 * after LevelDB wrote it: an acknowledgement lost on the way back). After each run, a fresh store
 * on the folder must hold every acknowledged command exactly once, each caller must have been told
 * the state the stored events fold to at its version, and a fresh runtime (from a snapshot or by
 * full replay) must give back the newest acknowledged state, under the JSON and the rich codec.
 */
import {
  type AppendOptions,
  type Codec,
  createRuntime,
  defineAggregate,
  type EventEnvelope,
  type EventStore,
  type ExecuteResult,
  type NewEvent,
  type Runtime,
  reject,
  richCodec,
  StoreError,
} from '@actorfold/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 300 : 12;
const IDS = ['h1', 'h2'];

type Mode = 'now' | 'late' | 'rejectLate' | 'refuse' | 'noop' | 'two';
type Cmd = { type: 'add'; tag: string; n: number; mode: Mode; delay: number };
type Evt = { type: 'Added'; tag: string; n: number; at?: Date; big?: bigint };
interface State {
  total: number;
  tags: string[];
  last?: Date;
  big?: bigint;
}

/** Odd values a late decide rejects with. */
const ODD: unknown[] = [undefined, null, 0, '', Symbol('late'), Object.create(null), [1, 2]];

function tally(codec: Codec | undefined, snapshots: boolean) {
  const rich = codec !== undefined;
  return defineAggregate<State, Cmd, Evt>({
    type: 'tally',
    ...(rich ? { codec } : {}),
    ...(snapshots ? { snapshots: { every: 3, schemaVersion: 1 } } : {}),
    initialState: () => ({ total: 0, tags: [] }),
    decide(_state, cmd) {
      const event = (suffix = ''): Evt =>
        rich
          ? { type: 'Added', tag: cmd.tag + suffix, n: cmd.n, at: new Date(cmd.n), big: BigInt(cmd.n) ** 3n }
          : { type: 'Added', tag: cmd.tag + suffix, n: cmd.n };
      switch (cmd.mode) {
        case 'now':
          return [event()];
        case 'two':
          return [event(), event('+')];
        case 'noop':
          return [];
        case 'refuse':
          return reject('no', 'refused on purpose');
        case 'late':
          return new Promise((resolve) => setTimeout(() => resolve([event()]), cmd.delay));
        case 'rejectLate':
          return new Promise((_resolve, rejectIt) =>
            setTimeout(() => rejectIt(ODD[cmd.n % ODD.length]), cmd.delay),
          );
      }
    },
    evolve: (s, e) => ({
      total: s.total + e.n,
      tags: [...s.tags, e.tag],
      ...(e.at === undefined ? {} : { last: e.at }),
      ...(e.big === undefined ? {} : { big: e.big }),
    }),
  });
}

/**
 * A level store whose k-th append fails: `'before'` without reaching LevelDB, `'after'` once
 * LevelDB wrote it (the caller is told it failed). Either way it keeps the pipelining contract
 * (call order kept, the chain marked failed). Every answer is held back a random few ms, in any
 * order, so batches land out of step with the decides behind them.
 */
class Faulty implements EventStore {
  readonly pipelinedAppends = true;
  appends = 0;
  failAt = new Map<number, 'before' | 'after'>();
  constructor(
    readonly inner: EventStore,
    readonly delays: number[],
  ) {}
  get snapshots() {
    return this.inner.snapshots;
  }
  get checkpoints() {
    return this.inner.checkpoints;
  }
  async append<E extends { type: string }>(
    streamId: string,
    events: readonly NewEvent<E>[],
    opts: AppendOptions,
  ): Promise<EventEnvelope<E>[]> {
    const k = ++this.appends;
    const fault = this.failAt.get(k);
    const delay = this.delays[k % this.delays.length] ?? 0;
    if (fault === 'before') {
      if (opts.chain !== undefined) opts.chain.failed = true;
      await pause(delay);
      throw new StoreError('IO', `append ${k} failed on purpose`);
    }
    const written = this.inner.append(streamId, events, opts);
    let out: EventEnvelope<E>[];
    try {
      out = await written;
    } finally {
      await pause(delay);
    }
    if (fault === 'after') {
      if (opts.chain !== undefined) opts.chain.failed = true;
      throw new StoreError('IO', `append ${k} was written, but its acknowledgement was lost`);
    }
    return out;
  }
  readStream(streamId: string, opts?: { fromVersion?: number; limit?: number }) {
    return this.inner.readStream(streamId, opts);
  }
  readAll(opts?: { fromPosition?: number; limit?: number }) {
    return this.inner.readAll(opts);
  }
  streamVersion(streamId: string) {
    return this.inner.streamVersion(streamId);
  }
  close() {
    return this.inner.close();
  }
}

/** The same call again (a client's retry), not yet answered. */
function resend(s: Sent): Sent {
  const { outcome: _answered, ...again } = s;
  return again;
}

function pause(ms: number): Promise<void> {
  return ms === 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}

type Op =
  | { kind: 'exec'; agg: number; mode: Mode; delay: number; withId: boolean; ev: number | null }
  | { kind: 'inject'; agg: number; withId: boolean }
  | { kind: 'retry'; pick: number }
  | { kind: 'fail'; ahead: number; how: 'before' | 'after' }
  | { kind: 'evict'; agg: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('exec' as const),
      agg: fc.nat(IDS.length - 1),
      mode: fc.constantFrom<Mode>('now', 'now', 'late', 'late', 'rejectLate', 'refuse', 'noop', 'two'),
      delay: fc.nat(4),
      withId: fc.boolean(),
      ev: fc.option(fc.nat(8), { nil: null, freq: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('inject' as const),
      agg: fc.nat(IDS.length - 1),
      withId: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat(60) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      ahead: fc.integer({ min: 1, max: 4 }),
      how: fc.constantFrom('before' as const, 'after' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('evict' as const), agg: fc.nat(IDS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

const setupArb = fc.record({
  maxBatchesInFlight: fc.constantFrom(2, 4),
  maxBatchCommands: fc.constantFrom(1, 2, 8),
  rich: fc.boolean(),
  snapshots: fc.boolean(),
  delays: fc.array(fc.nat(3), { minLength: 1, maxLength: 7 }),
});

type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

interface Sent {
  agg: number;
  cmd: Cmd;
  commandId: string | undefined;
  expectedVersion?: number;
  /** An inject of one `Added` event carrying the command's tag, instead of an execute. */
  inject?: boolean;
  outcome?: { ok: ExecuteResult<State> } | { err: string };
}

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown({ timeoutMs: 2000 }).catch(() => undefined);
});

async function scenario(setup: Setup, ops: Op[]): Promise<void> {
  const path = freshFolder('pipeline');
  const codec = setup.rich ? richCodec : undefined;
  const def = tally(codec, setup.snapshots);
  let store = new Faulty(await levelStore({ path, durability: 'os' }), setup.delays);
  const boot = (s: EventStore) =>
    createRuntime({
      store: s,
      aggregates: [def],
      maxBatchesInFlight: setup.maxBatchesInFlight,
      maxBatchCommands: setup.maxBatchCommands,
    });
  let rt = await boot(store);
  open.push(rt);
  const sent: Sent[] = [];
  const pending: Promise<void>[] = [];
  const send = (s: Sent) => {
    sent.push(s);
    const h = rt.get(def, IDS[s.agg] as string);
    const options = {
      ...(s.commandId === undefined ? {} : { commandId: s.commandId }),
      ...(s.expectedVersion === undefined ? {} : { expectedVersion: s.expectedVersion }),
    };
    const call = s.inject
      ? h.inject([{ type: 'Added', tag: s.cmd.tag, n: s.cmd.n }], options)
      : h.execute(s.cmd, options);
    pending.push(
      call.then(
        (ok) => {
          s.outcome = { ok };
        },
        (e: { code?: string }) => {
          s.outcome = { err: e?.code ?? String(e) };
        },
      ),
    );
  };
  for (const [i, op] of ops.entries()) {
    switch (op.kind) {
      case 'exec': {
        const cmd: Cmd = { type: 'add', tag: `t${i}`, n: i + 1, mode: op.mode, delay: op.delay };
        send({
          agg: op.agg,
          cmd,
          commandId: op.withId ? `c${i}` : undefined,
          ...(op.ev === null ? {} : { expectedVersion: op.ev }),
        });
        break;
      }
      case 'inject': {
        const cmd: Cmd = { type: 'add', tag: `t${i}`, n: i + 1, mode: 'now', delay: 0 };
        send({ agg: op.agg, cmd, commandId: op.withId ? `c${i}` : undefined, inject: true });
        break;
      }
      case 'retry': {
        const withIds = sent.filter((s) => s.commandId !== undefined && s.outcome === undefined);
        const earlier = withIds.length > 0 ? withIds : sent.filter((s) => s.commandId !== undefined);
        const again = earlier[op.pick % Math.max(1, earlier.length)];
        if (again !== undefined) send(resend(again));
        break;
      }
      case 'fail':
        store.failAt.set(store.appends + op.ahead, op.how);
        break;
      case 'evict':
        void rt.evict('tally', IDS[op.agg] as string).catch(() => undefined);
        break;
      case 'wait':
        await pause(op.ms);
        break;
      case 'restart': {
        // Mid-pipeline: shutdown drains what is queued and in flight, then the folder is reopened.
        open.splice(open.indexOf(rt), 1);
        await rt.shutdown({ timeoutMs: 5000 });
        store = new Faulty(await levelStore({ path, durability: 'os' }), setup.delays);
        rt = await boot(store);
        open.push(rt);
        break;
      }
    }
  }
  await Promise.all(pending);
  // Retries of everything not acknowledged, with no faults left: each lands once or dedupes.
  store.failAt.clear();
  const unanswered = sent.filter(
    (s) => s.commandId !== undefined && s.outcome !== undefined && 'err' in s.outcome,
  );
  for (const s of unanswered) send(resend(s));
  await Promise.all(pending);
  open.splice(open.indexOf(rt), 1);
  await rt.shutdown({ timeoutMs: 5000 });

  const check = await levelStore({ path, durability: 'os' });
  const streams: EventEnvelope[][] = [];
  try {
    for (const id of IDS) {
      const stored: EventEnvelope[] = [];
      for await (const e of check.readStream(`tally/${id}`)) stored.push(e);
      streams.push(stored);
    }
  } finally {
    await check.close();
  }
  const newest: Array<ExecuteResult<State> | undefined> = [];
  for (const [agg, id] of IDS.entries()) {
    const stored = streams[agg] as EventEnvelope[];
    const data = stored.map((e) => (codec === undefined ? e.data : codec.decode(e.data)) as Evt);
    // Contiguous versions; every tag at most once (a retry never stores a command twice).
    expect(stored.map((e) => e.version)).toEqual(stored.map((_, i) => i + 1));
    const tags = data.map((d) => d.tag);
    expect(new Set(tags).size, `a tag stored twice in ${id}: ${tags.join(',')}`).toBe(tags.length);
    const mine = sent.filter((s) => s.agg === agg);
    let last: ExecuteResult<State> | undefined;
    for (const s of mine) {
      if (s.outcome === undefined) throw new Error('a promise never settled');
      if (!('ok' in s.outcome)) continue;
      const r = s.outcome.ok;
      // What the caller was told is what the stream holds, folded from scratch: at its version,
      // or for a duplicate at some version since the original.
      const at = r.deduplicated ? r.state.tags.length : r.version;
      expect(at).toBeGreaterThanOrEqual(r.version);
      expect(r.state, `state acknowledged to ${s.cmd.tag} at v${r.version}`).toStrictEqual(
        foldAll(def, data.slice(0, at)),
      );
      for (const e of r.events) {
        const env = stored[e.version - 1] as EventEnvelope;
        expect({ ...env, data: codec === undefined ? env.data : codec.decode(env.data) }).toStrictEqual(e);
      }
      // An expectedVersion held: the command's events follow exactly that version.
      if (s.expectedVersion !== undefined && !r.deduplicated && r.events.length > 0) {
        expect((r.events[0] as EventEnvelope).version).toBe(s.expectedVersion + 1);
      }
      const expectTags =
        s.inject || s.cmd.mode === 'now' || s.cmd.mode === 'late'
          ? [s.cmd.tag]
          : s.cmd.mode === 'two'
            ? [s.cmd.tag, `${s.cmd.tag}+`]
            : [];
      expect(r.events.map((e) => (e.data as Evt).tag)).toEqual(expectTags);
      for (const t of expectTags) expect(tags).toContain(t);
      if (last === undefined || at > last.state.tags.length) last = r;
    }
    // Refused, failing and empty decides never store anything.
    for (const s of mine) {
      if (!s.inject && (s.cmd.mode === 'refuse' || s.cmd.mode === 'rejectLate' || s.cmd.mode === 'noop')) {
        expect(tags).not.toContain(s.cmd.tag);
      }
    }
    newest.push(last);
  }
  // A fresh runtime (from a snapshot, and by full replay) gives back each stream's fold, and so
  // the newest acknowledged state when it is the head.
  for (const again of [def, tally(codec, false)]) {
    const rt2 = await createRuntime({
      store: await levelStore({ path, durability: 'os' }),
      aggregates: [again],
    });
    open.push(rt2);
    for (const [agg, id] of IDS.entries()) {
      const stored = streams[agg] as EventEnvelope[];
      const data = stored.map((e) => (codec === undefined ? e.data : codec.decode(e.data)) as Evt);
      const replayed = await rt2.get(again, id).state();
      expect(replayed.version).toBe(stored.length);
      expect(replayed.state).toStrictEqual(foldAll(def, data));
      const n = newest[agg];
      if (n !== undefined && n.state.tags.length === stored.length)
        expect(replayed.state).toStrictEqual(n.state);
    }
    open.splice(open.indexOf(rt2), 1);
    await rt2.shutdown();
  }
}

function foldAll(def: ReturnType<typeof tally>, events: Evt[]): State {
  let s = def.initialState();
  for (const e of events) s = def.evolve(s, e);
  return s;
}

describe('maxBatchesInFlight on a real LevelDB folder, from outside', () => {
  it('every acknowledged command is stored exactly once and replays to what its caller was told, through failing appends, evictions and restarts', async () => {
    await fc.assert(fc.asyncProperty(setupArb, fc.array(opArb, { minLength: 5, maxLength: 60 }), scenario), {
      numRuns: RUNS,
    });
  }, 600_000);
});

/**
 * Coalesced stream reads (stream-reads.ts): the first pages of reads requested together go out
 * as one statement; each read still gets exactly its own stream's events, and a read never
 * joins a statement sent before it was requested, so a command is never decided (and refused)
 * on a head older than an append acknowledged before it arrived.
 */
import { createRuntime, defineAggregate, reject } from '@actorfold/core';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

type Cmd = { type: 'deposit'; amount: number } | { type: 'withdraw'; amount: number };
type Evt = { type: 'Deposited'; amount: number } | { type: 'Withdrawn'; amount: number };

const account = defineAggregate<{ balance: number }, Cmd, Evt>({
  type: 'account',
  initialState: () => ({ balance: 0 }),
  decide(state, cmd) {
    if (cmd.type === 'deposit') return [{ type: 'Deposited', amount: cmd.amount }];
    if (state.balance < cmd.amount) return reject('insufficient-funds');
    return [{ type: 'Withdrawn', amount: cmd.amount }];
  },
  evolve: (s, e) => ({ balance: s.balance + (e.type === 'Deposited' ? e.amount : -e.amount) }),
});

/** The coalesced read statement's first words. */
const COALESCED = 'SELECT r.k';

/**
 * A pool whose next coalesced read, once armed, runs on the server and then holds its result
 * until `release()`: the statement's snapshot is taken, its answer not yet delivered. It lets go
 * by itself after 5 s, so that a store which wrongly answers a later read with the held
 * statement fails these tests by assertion rather than hanging.
 */
function holdingPool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  let armed = false;
  let ran!: () => void;
  let release!: () => void;
  const executed = new Promise<void>((r) => {
    ran = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let statements = 0;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = async (...args: unknown[]) => {
    const q = args[0];
    const text = (typeof q === 'string' ? q : (q as { text: string }).text).trim();
    if (!text.startsWith(COALESCED)) return query(...args);
    statements++;
    if (!armed) return query(...args);
    armed = false;
    const result = await query(...args);
    ran();
    await Promise.race([gate, new Promise((r) => setTimeout(r, 5000))]);
    return result;
  };
  return {
    pool,
    arm: () => {
      armed = true;
    },
    /** Resolves once the held statement has run on the server. */
    executed,
    release: () => release(),
    statements: () => statements,
  };
}

async function collect(
  store: PostgresStore,
  streamId: string,
  opts?: { fromVersion?: number; limit?: number },
) {
  const out: Array<[number, number]> = [];
  for await (const e of store.readStream(streamId, opts))
    out.push([e.version, (e.data as unknown as { amount: number }).amount]);
  return out;
}

describe.skipIf(skipReason !== undefined)(`coalesced stream reads ${skipReason ?? ''}`, () => {
  let url: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    url = await freshDatabase('reads');
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function open(schema: string, nodeId: string, pool?: pg.Pool): Promise<PostgresStore> {
    const store = await postgresStore(
      pool === undefined ? { connectionString: url, schema, nodeId } : { pool, schema, nodeId },
    );
    cleanup.push(() => store.close());
    return store;
  }

  it("reads requested together share one statement, and each gets exactly its own stream's events", async () => {
    const schema = freshSchema('r');
    await migrate({ connectionString: url, schema });
    const writer = await open(schema, 'writer');
    const reader = await open(schema, 'reader');
    // Streams of 0, 1, 3, 7 and 1,205 events (more than one page), appended interleaved.
    const lengths = {
      'account/none': 0,
      'account/one': 1,
      'account/three': 3,
      'account/seven': 7,
      'account/long': 1205,
    };
    const expected = new Map<string, Array<[number, number]>>();
    for (const [id, n] of Object.entries(lengths)) {
      const events = Array.from({ length: n }, (_, i) => ({
        data: { type: 'Deposited' as const, amount: id.length * 10_000 + i + 1 },
      }));
      for (let at = 0; at < n; at += 500)
        await writer.append(id, events.slice(at, at + 500), { expectedVersion: at });
      expected.set(
        id,
        events.map((e, i) => [i + 1, e.data.amount]),
      );
    }
    const cases: Array<[string, { fromVersion?: number; limit?: number }]> = [
      ['account/none', {}],
      ['account/one', {}],
      ['account/one', { fromVersion: 2 }],
      ['account/three', { fromVersion: 2 }],
      ['account/three', { fromVersion: 3, limit: 1 }],
      ['account/seven', { limit: 4 }],
      ['account/seven', { fromVersion: 5 }],
      ['account/long', {}],
      ['account/long', { fromVersion: 990, limit: 30 }],
      ['account/missing', { fromVersion: 4 }],
    ];
    const before = reader.stats().reads;
    const results = await Promise.all(cases.map(([id, opts]) => collect(reader, id, opts)));
    const after = reader.stats().reads;
    expect({
      statements: after.statements - before.statements,
      streams: after.streams - before.streams,
    }).toEqual({
      statements: 1,
      streams: cases.length,
    });
    cases.forEach(([id, { fromVersion = 1, limit = Number.POSITIVE_INFINITY }], i) => {
      const all = expected.get(id) ?? [];
      expect(results[i]).toEqual(all.filter(([v]) => v >= fromVersion).slice(0, limit));
    });
  });

  it('a read requested while a statement is in flight is not answered by it: it sees an append acknowledged before it was asked', async () => {
    const schema = freshSchema('r');
    await migrate({ connectionString: url, schema });
    const held = holdingPool(url);
    cleanup.push(() => held.pool.end());
    const reader = await open(schema, 'reader', held.pool);
    const writer = await open(schema, 'writer');
    await writer.append('account/s', [{ data: { type: 'Deposited', amount: 1 } }], { expectedVersion: 0 });
    held.arm();
    const first = collect(reader, 'account/s');
    await held.executed;
    // The held statement's snapshot is taken; an append is acknowledged after it.
    await writer.append('account/s', [{ data: { type: 'Deposited', amount: 2 } }], { expectedVersion: 1 });
    const second = collect(reader, 'account/s');
    // Answered by a statement of its own while the first is still held.
    expect(await second).toEqual([
      [1, 1],
      [2, 2],
    ]);
    held.release();
    expect(await first).toEqual([[1, 1]]);
    expect(held.statements()).toBe(2);
  });

  it('optimistic mode: a command that arrives after another node acknowledged a deposit is decided on it, even while an older read of this node is in flight', async () => {
    const schema = freshSchema('r');
    await migrate({ connectionString: url, schema });
    const held = holdingPool(url);
    cleanup.push(() => held.pool.end());
    const store = await open(schema, 'node-a', held.pool);
    const runtime = await createRuntime({ store, aggregates: [account] });
    cleanup.push(() => runtime.shutdown());
    const other = await open(schema, 'node-b');
    const x = runtime.get(account, 'x');
    const y = runtime.get(account, 'y');
    expect((await x.state()).version).toBe(0);
    expect((await y.state()).version).toBe(0);
    // x's refresh goes out and is held after it ran.
    held.arm();
    const onX = x.execute({ type: 'deposit', amount: 1 });
    await held.executed;
    // Another node deposits into y and is acknowledged; then y is asked to withdraw it.
    await other.append('account/y', [{ data: { type: 'Deposited', amount: 10 } }], { expectedVersion: 0 });
    const withdrawn = await y.execute({ type: 'withdraw', amount: 5 });
    expect(withdrawn.version).toBe(2);
    held.release();
    expect((await onX).version).toBe(1);
    expect(await y.state()).toMatchObject({ state: { balance: 5 }, version: 2 });
  });
});

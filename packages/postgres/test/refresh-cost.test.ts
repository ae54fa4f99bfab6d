/**
 * What a command's refresh and a read cost in queries: in lease mode the holder knows the head of
 * its leased streams (knownStreamVersion), so a command needs no read; a write that bypassed the
 * lease costs one conflict and a re-decision, never a lost or forked event. A read of events this
 * store already knows durable runs no flush barrier.
 */
import { createRuntime, defineAggregate } from '@actorfold/core';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BARRIER } from '../src/global-order.js';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

const counter = defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  decide: () => [{ type: 'Added' }],
  evolve: (s) => ({ n: s.n + 1 }),
});

/** A pool that counts the statements sent through `pool.query`, by their first words. */
function countingPool(url: string): { pool: pg.Pool; count(prefix: string): number; reset(): void } {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const seen: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const q = args[0];
    const text = typeof q === 'string' ? q : (q as { text: string }).text;
    seen.push(text.trim());
    return query(...args);
  };
  return {
    pool,
    count: (prefix) => seen.filter((t) => t.startsWith(prefix)).length,
    reset: () => {
      seen.length = 0;
    },
  };
}

describe.skipIf(skipReason !== undefined)(`refresh and read costs ${skipReason ?? ''}`, () => {
  let url: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    url = await freshDatabase('refresh');
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function leaseStore(schema: string, nodeId: string): Promise<PostgresStore> {
    const store = await postgresStore({ connectionString: url, schema, ownership: 'lease', nodeId });
    cleanup.push(() => store.close());
    return store;
  }

  it('lease mode: knownStreamVersion is the head of a leased stream as this node saw it, and nothing for streams it does not lease', async () => {
    const schema = freshSchema('h');
    await migrate({ connectionString: url, schema });
    const a = await leaseStore(schema, 'node-a');
    const known = (id: string) => a.knownStreamVersion?.(id);
    await a.append('counter/x', [{ data: { type: 'Added' } }], { expectedVersion: 0 });
    // Not leased: never answered, even though this node wrote it.
    expect(known('counter/x')).toBeUndefined();
    const release = await a.acquire?.('counter/x');
    // Leased, not seen since: unknown until a read or an append.
    expect(known('counter/x')).toBeUndefined();
    expect(await a.streamVersion('counter/x')).toBe(1);
    expect(known('counter/x')).toBe(1);
    await a.append('counter/x', [{ data: { type: 'Added' } }, { data: { type: 'Added' } }], {
      expectedVersion: 1,
    });
    expect(known('counter/x')).toBe(3);
    // A conflict tells the actual head.
    const b = await leaseStore(schema, 'node-b');
    await b.append('counter/x', [{ data: { type: 'Added' } }], { expectedVersion: 3 });
    await expect(
      a.append('counter/x', [{ data: { type: 'Added' } }], { expectedVersion: 3 }),
    ).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      actual: 4,
    });
    expect(known('counter/x')).toBe(4);
    // A read raises it before yielding anything.
    await b.append('counter/x', [{ data: { type: 'Added' } }], { expectedVersion: 4 });
    for await (const e of a.readStream('counter/x', { fromVersion: 5 }))
      expect([e.version, known('counter/x')]).toEqual([5, 5]);
    await release?.();
    expect(known('counter/x')).toBeUndefined();
    // Optimistic mode never knows a head: other nodes write too.
    const optimistic = await postgresStore({ connectionString: url, schema });
    cleanup.push(() => optimistic.close());
    expect(optimistic.knownStreamVersion).toBeUndefined();
  });

  it('lease mode: commands on a hosted aggregate read nothing before they decide; a write that bypassed the lease costs one re-decision and is folded in', async () => {
    const schema = freshSchema('h');
    await migrate({ connectionString: url, schema });
    const counted = countingPool(url);
    cleanup.push(() => counted.pool.end());
    const store = await postgresStore({ pool: counted.pool, schema, ownership: 'lease', nodeId: 'node-a' });
    const runtime = await createRuntime({ store, aggregates: [counter] });
    cleanup.push(() => runtime.shutdown());
    const h = runtime.get(counter, 'x');
    await h.execute({ type: 'add' });
    counted.reset();
    for (let i = 0; i < 10; i++) await h.execute({ type: 'add' });
    expect(counted.count('SELECT version FROM')).toBe(0);
    expect(counted.count('SELECT position')).toBe(0);
    expect(counted.count('SELECT r.k')).toBe(0);
    expect(await h.state()).toMatchObject({ state: { n: 11 }, version: 11 });

    // Another store appends without the lease (as a node whose lease session died unnoticed could).
    const other = await postgresStore({ connectionString: url, schema });
    cleanup.push(() => other.close());
    await other.append('counter/x', [{ data: { type: 'Added' } }], { expectedVersion: 11 });
    const before = runtime.stats().conflictRetries;
    const result = await h.execute({ type: 'add' });
    expect(result.version).toBe(13);
    expect(runtime.stats().conflictRetries - before).toBe(1);
    expect(await h.state()).toMatchObject({ state: { n: 13 }, version: 13 });
    const versions: number[] = [];
    for await (const e of other.readStream('counter/x')) versions.push(e.version);
    expect(versions).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it("optimistic mode: a command's refresh is one read of the stream from the actor's newest event, another node's events or not, and runs no flush barrier for events it already knows durable", async () => {
    const schema = freshSchema('h');
    await migrate({ connectionString: url, schema });
    const counted = countingPool(url);
    cleanup.push(() => counted.pool.end());
    const store = await postgresStore({ pool: counted.pool, schema, nodeId: 'node-a' });
    const runtime = await createRuntime({ store, aggregates: [counter] });
    cleanup.push(() => runtime.shutdown());
    const other = await postgresStore({ connectionString: url, schema, nodeId: 'node-b' });
    cleanup.push(() => other.close());
    const h = runtime.get(counter, 'x');
    await h.execute({ type: 'add' });
    counted.reset();
    // Nothing moved: one read, which finds only the actor's own newest event.
    for (let i = 0; i < 5; i++) await h.execute({ type: 'add' });
    expect(counted.count('SELECT r.k')).toBe(5);
    expect(counted.count('SELECT version FROM')).toBe(0);
    expect(counted.count(`SELECT ${BARRIER}`)).toBe(0);
    // Another node appended: still one read per command, which folds its events in.
    for (let i = 0; i < 5; i++) {
      await other.append('counter/x', [{ data: { type: 'Added' } }], { expectedVersion: 6 + 2 * i });
      await h.execute({ type: 'add' });
    }
    expect(counted.count('SELECT r.k')).toBe(10);
    expect(counted.count('SELECT version FROM')).toBe(0);
    expect(await h.state()).toMatchObject({ state: { n: 16 }, version: 16 });
    expect(runtime.stats().conflictRetries).toBe(0);
  });

  it('lease mode: a lost lease session forgets the heads with the leases', async () => {
    const schema = freshSchema('h');
    await migrate({ connectionString: url, schema });
    const a = await leaseStore(schema, 'node-lost');
    await a.acquire?.('counter/y');
    await a.append('counter/y', [{ data: { type: 'Added' } }], { expectedVersion: 0 });
    expect(a.knownStreamVersion?.('counter/y')).toBe(1);
    const lost: string[][] = [];
    a.onLeaseLost?.((ids) => lost.push([...ids]));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a
         WHERE a.application_name = 'actorfold:node-lost' AND a.datname = current_database()
           AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory')`,
      );
    } finally {
      await admin.end();
    }
    await expect.poll(() => lost).toEqual([['counter/y']]);
    expect(a.knownStreamVersion?.('counter/y')).toBeUndefined();
  });

  it('a read of events at or below a position this store knows durable runs no flush barrier', async () => {
    const schema = freshSchema('h');
    await migrate({ connectionString: url, schema });
    const counted = countingPool(url);
    cleanup.push(() => counted.pool.end());
    const writer = await postgresStore({ connectionString: url, schema });
    cleanup.push(() => writer.close());
    const reader = await postgresStore({ pool: counted.pool, schema });
    cleanup.push(() => reader.close());
    for (let i = 0; i < 5; i++)
      await writer.append(`counter/${i}`, [{ data: { type: 'Added' } }], { expectedVersion: 0 });
    const drain = async (it: AsyncIterable<{ position: number }>) => {
      const out: number[] = [];
      for await (const e of it) out.push(e.position);
      return out;
    };
    // The first read made what it saw durable (a barrier, unless the WAL was flushed already) ...
    expect(await drain(reader.readAll())).toEqual([1, 2, 3, 4, 5]);
    counted.reset();
    // ... so reading those events again, or any older one, needs none.
    expect(await drain(reader.readAll())).toEqual([1, 2, 3, 4, 5]);
    expect(await drain(reader.readStream('counter/2'))).toEqual([3]);
    expect(await reader.lastPosition()).toBe(5);
    expect(counted.count(`SELECT ${BARRIER}`)).toBe(0);
    // This store's own appends are durable once they resolve: reading them back needs none either.
    await reader.append('counter/9', [{ data: { type: 'Added' } }], { expectedVersion: 0 });
    expect(await drain(reader.readStream('counter/9'))).toEqual([6]);
    expect(counted.count(`SELECT ${BARRIER}`)).toBe(0);
  });
});

/**
 * Lease mode at the store level: one node at a time holds an aggregate's lease; another node is
 * told NOT_OWNER with the holder's name; the lease moves on release, on close, and when the
 * holder's process is SIGKILLed (PostgreSQL drops a dead session's locks).
 */
import { createRuntime, defineAggregate, isActorfoldError, isRetryable } from '@actorfold/core';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { isNotOwner, migrate, type NotOwner, type PostgresStore, postgresStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

describe.skipIf(skipReason !== undefined)(`lease mode ${skipReason ?? ''}`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase('lease');
  });

  async function node(schema: string, nodeId: string): Promise<PostgresStore> {
    return postgresStore({ connectionString: url, schema, ownership: 'lease', nodeId });
  }

  async function notOwner(store: PostgresStore, streamId: string): Promise<NotOwner> {
    const error = await (store.acquire as NonNullable<PostgresStore['acquire']>)(streamId).then(
      () => {
        throw new Error(`${store.nodeId} got the lease of ${streamId}`);
      },
      (e: unknown) => e,
    );
    expect(isNotOwner(error)).toBe(true);
    expect(isActorfoldError(error)).toBe(true);
    return error as NotOwner;
  }

  it('gives the lease to one node at a time and answers NOT_OWNER naming the holder to the other', async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const a = await node(schema, 'node-a');
    const b = await node(schema, 'node-b');
    try {
      const releaseA = await a.acquire?.('account/1');
      const error = await notOwner(b, 'account/1');
      expect(error).toMatchObject({
        code: 'NOT_OWNER',
        streamId: 'account/1',
        owner: 'node-a',
      });
      expect(isRetryable(error)).toBe(true);
      expect(error.message).toContain('node-a');
      // Other aggregates are free.
      const releaseB2 = await b.acquire?.('account/2');
      expect(a.leases()).toEqual(['account/1']);
      expect(b.leases()).toEqual(['account/2']);
      await releaseA?.();
      expect(a.leases()).toEqual([]);
      const releaseB1 = await b.acquire?.('account/1');
      expect((await notOwner(a, 'account/1')).owner).toBe('node-b');
      await releaseB1?.();
      await releaseB2?.();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is re-entrant within a node: the lease moves only after every acquire was released', async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const a = await node(schema, 'node-a');
    const b = await node(schema, 'node-b');
    try {
      const first = await a.acquire?.('account/1');
      const second = await a.acquire?.('account/1');
      await first?.();
      await first?.(); // a second call of the same release does nothing
      expect((await notOwner(b, 'account/1')).owner).toBe('node-a');
      await second?.();
      await (await b.acquire?.('account/1'))?.();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('drops every lease of a node when its store closes', async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const a = await node(schema, 'node-a');
    const b = await node(schema, 'node-b');
    try {
      await a.acquire?.('account/1');
      await a.acquire?.('account/2');
      await notOwner(b, 'account/2');
      await a.close();
      await b.acquire?.('account/1');
      await b.acquire?.('account/2');
    } finally {
      await b.close();
    }
  });

  /** Ends node's lease session from outside, as a server restart or a network cut would. */
  async function killLeaseSession(nodeId: string): Promise<void> {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(a.pid) AS ended FROM pg_stat_activity a
         WHERE a.application_name = $1 AND a.datname = current_database()
           AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory')`,
        [`actorfold:${nodeId}`],
      );
      expect(rows).toEqual([{ ended: true }]);
    } finally {
      await admin.end();
    }
  }

  it('reports the leases of a session that died to onLeaseLost, frees them for other nodes, and leases again on a new session', async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const a = await node(schema, 'node-a');
    const b = await node(schema, 'node-b');
    try {
      const lost: string[][] = [];
      a.onLeaseLost?.((ids) => lost.push([...ids]));
      await a.acquire?.('account/1');
      await a.acquire?.('account/2');
      await killLeaseSession('node-a');
      await expect.poll(() => lost).toEqual([['account/1', 'account/2']]);
      expect(a.leases()).toEqual([]);
      const releaseB = await b.acquire?.('account/1');
      expect((await notOwner(a, 'account/1')).owner).toBe('node-b');
      await releaseB?.();
      await a.acquire?.('account/1');
      expect(a.leases()).toEqual(['account/1']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('through a runtime: a lost lease session evicts the actor at once; another node takes over, and the first is told NOT_OWNER', async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const counter = defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
      type: 'counter',
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'Added' }],
      evolve: (s) => ({ n: s.n + 1 }),
    });
    const a = await createRuntime({ store: node(schema, 'node-a'), aggregates: [counter] });
    const b = await createRuntime({ store: node(schema, 'node-b'), aggregates: [counter] });
    try {
      const onA = a.get(counter, 'x');
      await onA.execute({ type: 'add' });
      await killLeaseSession('node-a');
      await expect.poll(() => onA.isAlive()).toBe(false);
      expect(a.metrics().counters).toMatchObject({ leasesLost: 1, crashes: 0 });
      expect((await b.get(counter, 'x').execute({ type: 'add' })).version).toBe(2);
      await expect(onA.execute({ type: 'add' })).rejects.toMatchObject({
        code: 'NOT_OWNER',
        owner: 'node-b',
      });
      await b.evict(counter, 'x');
      expect((await onA.execute({ type: 'add' })).version).toBe(3);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it("hands the lease over once the holder's process is SIGKILLed", async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const holder = startChild('lease-holder', [url, schema, 'doomed-node', 'account/1']);
    await holder.waitFor('READY');
    const b = await node(schema, 'node-b');
    try {
      expect((await notOwner(b, 'account/1')).owner).toBe('doomed-node');
      holder.process.kill('SIGKILL');
      expect((await holder.exited).signal).toBe('SIGKILL');
      // PostgreSQL ends the dead client's session when its socket closes; poll until it has.
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          await b.acquire?.('account/1');
          break;
        } catch (e) {
          if (!isNotOwner(e) || Date.now() > deadline) throw e;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(b.leases()).toEqual(['account/1']);
    } finally {
      holder.process.kill('SIGKILL');
      await b.close();
    }
  });

  it('through two runtimes: one hosts an aggregate, the other is told NOT_OWNER until the first evicts it', async () => {
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const counter = defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
      type: 'counter',
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'Added' }],
      evolve: (s) => ({ n: s.n + 1 }),
    });
    const a = await createRuntime({ store: node(schema, 'node-a'), aggregates: [counter] });
    const b = await createRuntime({ store: node(schema, 'node-b'), aggregates: [counter] });
    try {
      await a.get(counter, 'x').execute({ type: 'add' });
      const refused = await b
        .get(counter, 'x')
        .execute({ type: 'add' })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'NOT_OWNER', owner: 'node-a', streamId: 'counter/x' });
      expect(b.metrics().counters.crashes).toBe(0);
      await a.evict(counter, 'x');
      expect((await b.get(counter, 'x').execute({ type: 'add' })).version).toBe(2);
      // Now node-a is the one turned away.
      await expect(a.get(counter, 'x').execute({ type: 'add' })).rejects.toMatchObject({
        code: 'NOT_OWNER',
        owner: 'node-b',
      });
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it('offers no acquire in optimistic mode, the default', async () => {
    const schema = freshSchema('l');
    const store = await postgresStore({ connectionString: url, schema, migrate: true });
    try {
      expect(store.ownership).toBe('optimistic');
      expect(store.acquire).toBeUndefined();
      expect(store.leases()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

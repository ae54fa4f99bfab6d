/**
 * Other nodes' appends reach `onAppend` through LISTEN/NOTIFY, by polling while the LISTEN
 * session is down, or by polling alone; subscriptions and exactly-once projections on one node
 * follow what another node appends.
 */
import { createRuntime, defineAggregate, defineProjection, type EventEnvelope } from '@actorfold/core';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, type PostgresStoreOptions, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

type Deposit = { type: 'deposit'; amount: number };
type Deposited = { type: 'Deposited'; amount: number };
const account = defineAggregate<{ balance: number }, Deposit, Deposited>({
  type: 'account',
  initialState: () => ({ balance: 0 }),
  decide: (_s, cmd) => [{ type: 'Deposited', amount: cmd.amount }],
  evolve: (s, e) => ({ balance: s.balance + e.amount }),
});

describe.skipIf(skipReason !== undefined)(`notifications across nodes ${skipReason ?? ''}`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase('notify');
  });

  /** Two stores on one fresh schema: two nodes. */
  async function twoNodes(opts: Partial<PostgresStoreOptions> = {}): Promise<[PostgresStore, PostgresStore]> {
    const schema = freshSchema('n');
    await migrate({ connectionString: url, schema });
    return [
      await postgresStore({ connectionString: url, schema, nodeId: 'node-a', ...opts }),
      await postgresStore({ connectionString: url, schema, nodeId: 'node-b', ...opts }),
    ];
  }

  it("tells a node's onAppend listeners about another node's appends through LISTEN/NOTIFY", async () => {
    const [a, b] = await twoNodes({ pollIntervalMs: 60_000 }); // a poll would come too late: only NOTIFY can pass
    try {
      const heard: number[] = [];
      a.onAppend((p) => heard.push(p));
      await until(() => a.stats().notifications.mode === 'listening');
      await b.append('x/1', [{ data: { type: 'A' } }, { data: { type: 'B' } }], { expectedVersion: 0 });
      await until(() => heard.includes(2));
      await b.append('x/1', [{ data: { type: 'C' } }], { expectedVersion: 2 });
      await until(() => heard.includes(3));
      expect(heard).toEqual([2, 3]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('falls back to polling when the LISTEN session dies, then listens again', async () => {
    const [a, b] = await twoNodes({ pollIntervalMs: 50 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const heard: number[] = [];
      a.onAppend((p) => heard.push(p));
      await until(() => a.stats().notifications.mode === 'listening');
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN actorfold_%' AND datname = current_database()",
      );
      expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
      await until(() => a.stats().notifications.listenFailures >= 1);
      await b.append('y/1', [{ data: { type: 'A' } }], { expectedVersion: 0 });
      await until(() => heard.includes(1));
      await until(() => a.stats().notifications.mode === 'listening');
      await b.append('y/1', [{ data: { type: 'B' } }], { expectedVersion: 1 });
      await until(() => heard.includes(2));
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });

  it("with notifications 'poll', hears other nodes' appends by polling, without a LISTEN session", async () => {
    const [a, b] = await twoNodes({ notifications: 'poll', pollIntervalMs: 20 });
    try {
      const heard: number[] = [];
      a.onAppend((p) => heard.push(p));
      await b.append('z/1', [{ data: { type: 'A' } }], { expectedVersion: 0 });
      await until(() => heard.includes(1));
      expect(a.stats().notifications).toMatchObject({ mode: 'polling', listenFailures: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("delivers another node's events to a live subscription, and keeps an exactly-once projection exact", async () => {
    const [storeA, storeB] = await twoNodes();
    const nodeA = await createRuntime({ store: storeA, aggregates: [account] });
    const nodeB = await createRuntime({ store: storeB, aggregates: [account] });
    try {
      const total = defineProjection({
        name: 'total',
        init: () => ({ total: 0, events: 0 }),
        handlers: {
          Deposited(state, e) {
            state.total += (e.data as Deposited).amount;
            state.events++;
          },
        },
        commitEvery: 7,
      });
      const projection = nodeB.project(total);
      const received: EventEnvelope[] = [];
      const abort = new AbortController();
      const subscribed = (async () => {
        for await (const e of nodeB.subscribe({ fromPosition: 1, signal: abort.signal })) {
          received.push(e);
          if (received.length === 40) return;
        }
      })();
      let last = 0;
      for (let i = 0; i < 40; i++) {
        const r = await nodeA.get(account, `acc-${i % 5}`).execute({ type: 'deposit', amount: i + 1 });
        last = r.events.at(-1)?.position ?? last;
      }
      await subscribed;
      abort.abort();
      expect(received.map((e) => e.position)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      await projection.waitFor(last);
      expect(projection.state()).toEqual({ total: 820, events: 40 });
      await projection.stop();
      expect(await storeB.checkpoints.getState?.('total')).toEqual({
        position: 40,
        state: { total: 820, events: 40 },
      });
    } finally {
      await nodeA.shutdown();
      await nodeB.shutdown();
    }
  });

  it("lets a watcher on one node follow another node's changes to the aggregate", async () => {
    const [storeA, storeB] = await twoNodes({ pollIntervalMs: 60_000 });
    const a = await createRuntime({ store: storeA, aggregates: [account] });
    const b = await createRuntime({ store: storeB, aggregates: [account] });
    try {
      const seen: number[] = [];
      const watching = (async () => {
        for await (const u of a.get(account, 'watched').watch()) {
          seen.push(u.state.balance);
          if (u.state.balance === 6) return;
        }
      })();
      await until(() => seen.length > 0);
      for (const amount of [1, 2, 3]) await b.get(account, 'watched').execute({ type: 'deposit', amount });
      await watching;
      expect(seen.at(-1)).toBe(6);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });
});

/** Waits (up to 10 s) for `condition`, checking every 10 ms. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in 10 s: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

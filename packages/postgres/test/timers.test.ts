/**
 * Durable timers of runtimes on PostgreSQL (system clock, short delays): they survive a restart
 * of the only runtime, two runtimes sharing the database fire each due timer once between them
 * (claimed with FOR UPDATE SKIP LOCKED), and a timer claimed by a node that died is fired by
 * another once the dead node's lease ran out, not before.
 */
import { createRuntime, type EventEnvelope, type Runtime } from '@actorfold/core';
import { type AlarmCommand, type AlarmEvent, alarm } from '@actorfold/testing/crash';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresStore, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown();
});

// Firing hundreds of timers through two runtimes takes long on a loaded 2-core machine.
describe.skipIf(skipReason !== undefined)(
  `durable timers on postgresStore ${skipReason ?? ''}`,
  { timeout: 150_000 },
  () => {
    let url: string;
    beforeAll(async () => {
      url = await freshDatabase('timers');
    });

    async function runtime(schema: string, nodeId: string): Promise<Runtime> {
      const r = await createRuntime({
        store: postgresStore({ connectionString: url, schema, nodeId, maxConnections: 4 }),
        aggregates: [alarm],
        idleTimeoutMs: 50,
        runtimeId: nodeId,
        // A lease far longer than any firing here: a claimed timer is never claimed twice in these tests.
        timers: { pollMs: 50, leaseMs: 60_000 },
      });
      open.push(r);
      return r;
    }

    it('fires the timers of a runtime that was shut down before they came due, after its restart', async () => {
      const schema = freshSchema('t');
      await migrate({ connectionString: url, schema });
      const first = await runtime(schema, 'first');
      const armed = await arm(first, 'r', 20, 800, 1100);
      // And one far away: it must survive the restart without firing.
      await first
        .get(alarm, 'later')
        .execute({ type: 'arm', name: 'wake', at: Date.now() + 3_600_000, marker: 'later' });
      await first.shutdown();
      open.splice(open.indexOf(first), 1);
      // Restart once they are all overdue.
      await sleep(Math.max(...armed.values()) + 100 - Date.now());

      const second = await runtime(schema, 'second');
      const store = second.store as PostgresStore;
      await until(async () => (await store.timers.count()) === 1);
      const rang = await rangEvents(store);
      expect([...rang.keys()].sort()).toEqual([...armed.keys()].sort());
      for (const [marker, events] of rang) {
        expect(events, marker).toHaveLength(1);
        expect(events[0]?.dueAt).toBe(armed.get(marker));
        expect(events[0]?.at).toBeGreaterThanOrEqual(armed.get(marker) as number);
      }
      expect(await store.timers.get('alarm/later', 'wake')).toMatchObject({ command: { marker: 'later' } });
    });

    it('fires each due timer once when two runtimes share the database', async () => {
      const schema = freshSchema('t');
      await migrate({ connectionString: url, schema });
      const [a, b] = [await runtime(schema, 'node-a'), await runtime(schema, 'node-b')];
      const armed = new Map([...(await arm(a, 'a', 100, 100, 1200)), ...(await arm(b, 'b', 100, 100, 1200))]);
      const store = a.store as PostgresStore;
      await until(async () => (await store.timers.count()) === 0);
      const rang = await rangEvents(store);
      expect(rang.size).toBe(armed.size);
      for (const [marker, events] of rang) expect(events, marker).toHaveLength(1);
      // Each firing decided its command on one node only: the fired counts add up to the timers.
      // A node counts a firing once its append is acknowledged, which can come after another
      // connection already sees the timer gone: wait for the counts, then compare exactly.
      const fired = () => a.metrics().counters.timersFired + b.metrics().counters.timersFired;
      await until(async () => fired() >= armed.size, 10_000).catch(() => undefined);
      expect(fired()).toBe(armed.size);
    });

    it("fires a timer claimed by a node that died once the dead node's lease ran out, not before", async () => {
      const schema = freshSchema('t');
      await migrate({ connectionString: url, schema });
      const writer = await postgresStore({ connectionString: url, schema, maxConnections: 2 });
      const due = Date.now() - 10;
      for (let i = 0; i < 10; i++) {
        await writer.append(
          `alarm/d${i}`,
          [{ data: { type: 'Armed', name: 'wake', marker: `d${i}`, at: due } }],
          {
            expectedVersion: 0,
            timers: [
              {
                op: 'schedule',
                timer: {
                  streamId: `alarm/d${i}`,
                  name: 'wake',
                  dueAt: due,
                  version: 1,
                  missed: 'fire',
                  command: ring(`d${i}`),
                },
              },
            ],
          },
        );
      }
      // The node that dies: it claims every due timer for 1.5 s and never fires them.
      const claimedAt = Date.now();
      expect(await writer.timers.claim(claimedAt, 100, 'dead-node', 1_500)).toHaveLength(10);
      await writer.close();

      const survivor = await runtime(schema, 'survivor');
      const store = survivor.store as PostgresStore;
      await until(async () => (await store.timers.count()) === 0);
      const rang = await rangEvents(store);
      expect(rang.size).toBe(10);
      for (const [marker, events] of rang) {
        expect(events, marker).toHaveLength(1);
        expect(events[0]?.at, `${marker} fired while the dead node's lease ran`).toBeGreaterThanOrEqual(
          claimedAt + 1_500,
        );
      }
    });
  },
);

function ring(marker: string): AlarmCommand {
  return { type: 'ring', name: 'wake', marker };
}

/** Arms `n` alarms `<prefix><i>` due `minMs`..`maxMs` from now; marker → due time. */
async function arm(
  r: Runtime,
  prefix: string,
  n: number,
  minMs: number,
  maxMs: number,
): Promise<Map<string, number>> {
  const armed = new Map<string, number>();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const marker = `${prefix}${i}`;
      const at = Date.now() + minMs + Math.floor(Math.random() * (maxMs - minMs));
      await r.get(alarm, marker).execute({ type: 'arm', name: 'wake', at, marker });
      armed.set(marker, at);
    }),
  );
  return armed;
}

/** The Rang events of the store by marker. */
async function rangEvents(
  store: PostgresStore,
): Promise<Map<string, Array<Extract<AlarmEvent, { type: 'Rang' }>>>> {
  const out = new Map<string, Array<Extract<AlarmEvent, { type: 'Rang' }>>>();
  for await (const e of store.readAll()) {
    const data = (e as EventEnvelope<AlarmEvent>).data;
    if (data.type === 'Rang') out.set(data.marker, [...(out.get(data.marker) ?? []), data]);
  }
  return out;
}

async function until(check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for the timers to fire');
    await sleep(25);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

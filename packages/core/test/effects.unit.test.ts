import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, memoryStore, type Runtime } from '../src/index.js';
import { collect } from './support/probe-store.js';
import { type RequesterEvent, requester } from './support/requester.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 100 });
});

async function until(check: () => Promise<boolean> | boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('durable effects end to end (memory store)', () => {
  it('runs a requested effect after its decision is stored and delivers the result to the aggregate once', async () => {
    const store = memoryStore();
    const calls: Array<{ input: unknown; key: string }> = [];
    const runtime = await createRuntime({
      store,
      aggregates: [requester],
      effects: {
        implementations: {
          remote: async (input, ctx) => {
            calls.push({ input, key: ctx.idempotencyKey });
            return { ok: true };
          },
        },
      },
    });
    open.push(runtime);
    await runtime.get(requester, 'r1').execute({ type: 'send', id: 'a', payload: 1 });
    await until(async () => (await runtime.get(requester, 'r1').state()).state.settled === 1);
    const events = (await collect(store.readStream('requester/r1'))).map((e) => e.data as RequesterEvent);
    expect(events).toEqual([
      { type: 'Requested', id: 'a', payload: 1 },
      {
        type: 'Settled',
        id: 'a',
        version: 1,
        attempts: 1,
        outcome: 'done',
        output: { ok: true },
        settledId: 'a',
      },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.input).toEqual({ payload: 1 });
    expect(await store.timers?.count()).toBe(0);
    expect(runtime.metrics().counters.effectsSucceeded).toBe(1);
  });
});

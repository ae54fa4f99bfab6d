/**
 * Issue 12's regressions in core: what execute acknowledged is what replay gives, or the command
 * is refused before anything is stored; and no promise rejection is ever left unhandled.
 */

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, type EventStore, memoryStore, richCodec } from '../src/index.js';
import { ProbeStore } from './support/probe-store.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const disk = () => new ProbeStore(memoryStore(), { keepOnClose: true });

type Stamp = { type: 'stamp'; at?: unknown; amount?: number };
type Stamped = { type: 'Stamped'; at: Date } | { type: 'Deposited'; amount: number };

const stamps = (codec?: typeof richCodec) =>
  defineAggregate<{ last: number; balance: number }, Stamp, Stamped>({
    type: codec === undefined ? 'stamps' : 'rich-stamps',
    ...(codec === undefined ? {} : { codec }),
    initialState: () => ({ last: 0, balance: 0 }),
    decide: (_s, c) =>
      c.amount !== undefined
        ? [{ type: 'Deposited', amount: c.amount }]
        : [{ type: 'Stamped', at: c.at as Date }],
    evolve: (s, e) =>
      e.type === 'Stamped' ? { ...s, last: e.at.getTime() } : { ...s, balance: s.balance + e.amount },
  });

async function replayed(store: EventStore, def: ReturnType<typeof stamps>, id: string) {
  const rt = await createRuntime({ store, aggregates: [def] });
  try {
    return await rt.get(def, id).state();
  } finally {
    await rt.shutdown();
  }
}

describe('what execute acknowledged is what replay gives', () => {
  it('refuses an event with a Date under the default JSON codec, naming stream, event type and path; nothing stored', async () => {
    const store = disk();
    const def = stamps();
    const rt = await createRuntime({ store, aggregates: [def] });
    const err = await rt
      .get(def, 's')
      .execute({ type: 'stamp', at: new Date(5) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as Error).message).toMatch(
      /stamps\/s: event 'Stamped' cannot be stored: events\[0\]\.at: Date/,
    );
    expect(await store.inner.streamVersion('stamps/s')).toBe(0);
    await rt.shutdown();
  });

  it('keeps a Date with the rich codec: the state after eviction and after a restart equals the acknowledged one', async () => {
    const store = disk();
    const def = stamps(richCodec);
    const rt = await createRuntime({ store, aggregates: [def] });
    const h = rt.get(def, 's');
    const ack = await h.execute({ type: 'stamp', at: new Date(1234) });
    expect(ack.state).toEqual({ last: 1234, balance: 0 });
    expect(ack.events[0]?.data).toEqual({ type: 'Stamped', at: new Date(1234) });
    expect(ack.events[0]?.metadata.codec).toBe('rich');
    await rt.evict(def, 's');
    expect((await h.state()).state).toEqual(ack.state);
    await rt.shutdown();
    expect(await replayed(store, def, 's')).toEqual({ version: 1, state: ack.state });
  });

  it.each([
    ['Infinity (JSON.parse of 1e309)', JSON.parse('{"n":1e309}').n as number],
    ['NaN', Number.NaN],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('refuses %s in an event instead of storing null', async (_name, amount) => {
    const store = disk();
    const def = stamps();
    const rt = await createRuntime({ store, aggregates: [def] });
    await expect(rt.get(def, 'a').execute({ type: 'stamp', amount })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('events[0].amount'),
    });
    expect(await store.inner.streamVersion('stamps/a')).toBe(0);
    await rt.shutdown();
  });

  it('refuses an event whose type is on its prototype or dropped by toJSON, identically to what every store would', async () => {
    const proto = defineAggregate<Record<string, never>, { type: 'go'; how: string }, { type: string }>({
      type: 'proto',
      initialState: () => ({}),
      decide: (_s, c) =>
        c.how === 'prototype'
          ? [Object.create({ type: 'Went' }) as { type: string }]
          : [{ type: 'Went', toJSON: () => ({ what: 'no type' }) } as { type: string }],
      evolve: (s) => s,
    });
    const store = disk();
    const rt = await createRuntime({ store, aggregates: [proto] });
    for (const how of ['prototype', 'toJSON']) {
      await expect(rt.get(proto, how).execute({ type: 'go', how })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await store.inner.streamVersion(`proto/${how}`)).toBe(0);
    }
    await rt.shutdown();
  });

  it('never saves a Map state lossy: refused under JSON (warned once, counted), kept exactly by the rich codec', async () => {
    type Cart = { items: Map<string, number> };
    const cart = (codec?: typeof richCodec) =>
      defineAggregate<Cart, { type: 'add'; sku: string }, { type: 'Added'; sku: string }>({
        type: codec === undefined ? 'cart' : 'rich-cart',
        ...(codec === undefined ? {} : { codec }),
        snapshots: { every: 1, schemaVersion: 1 },
        initialState: () => ({ items: new Map() }),
        decide: (_s, c) => [{ type: 'Added', sku: c.sku }],
        evolve: (s, e) => ({ items: new Map(s.items).set(e.sku, (s.items.get(e.sku) ?? 0) + 1) }),
      });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    for (const def of [cart(), cart(richCodec)]) {
      const store = disk();
      const rt = await createRuntime({ store, aggregates: [def], logger });
      const h = rt.get(def, 'c');
      await h.execute({ type: 'add', sku: 'a' });
      const ack = await h.execute({ type: 'add', sku: 'a' });
      await rt.shutdown();
      const saved = await store.snapshots.list(`${def.type}/c`);
      if (def.codec === richCodec) {
        expect(saved.length).toBeGreaterThan(0);
        expect(rt.stats().snapshotsRefused).toBe(0);
      } else {
        expect(saved).toEqual([]);
        expect(rt.stats().snapshotsRefused).toBeGreaterThanOrEqual(2);
        expect(lines.filter((l) => String(l.msg).startsWith('snapshot refused'))).toHaveLength(1);
      }
      const rt2 = await createRuntime({ store, aggregates: [def] });
      const after = await rt2.get(def, 'c').execute({ type: 'add', sku: 'a' });
      expect(after.state.items.get('a')).toBe((ack.state.items.get('a') as number) + 1);
      await rt2.shutdown();
    }
  });

  it('leaves no promise rejection unhandled across refusals, async decide failures, crashes, timeouts and shutdown', async () => {
    const flaky = defineAggregate<{ n: number }, { type: string }, { type: 'Bumped' }>({
      type: 'flaky',
      initialState: () => ({ n: 0 }),
      async decide(_s, c) {
        if (c.type === 'reject-async') throw new Error('async bug');
        if (c.type === 'hang') await new Promise((r) => setTimeout(r, 30));
        if (c.type === 'bad-return') return 'nope' as never;
        return [{ type: 'Bumped' }];
      },
      evolve: (s, _e) => {
        if (s.n >= 3) throw new Error('evolve bug');
        return { n: s.n + 1 };
      },
    });
    const rt = await createRuntime({ aggregates: [flaky], commandTimeoutMs: 10 });
    const h = rt.get(flaky, 'f');
    const outcomes = await Promise.allSettled([
      h.execute({ type: 'reject-async' }),
      h.execute({ type: 'bad-return' }),
      h.execute({ type: 'hang' }),
      h.execute({ type: 'bump' }),
      h.execute({ type: 'bump' }),
      h.execute({ type: 'bump' }),
      h.execute({ type: 'bump' }, { metadata: { commandId: 'x' } }),
      h.execute({ type: '' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected').length).toBeGreaterThan(3);
    await new Promise((r) => setTimeout(r, 60));
    const late = h.execute({ type: 'bump' });
    await rt.shutdown({ timeoutMs: 0 });
    await late.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });
});

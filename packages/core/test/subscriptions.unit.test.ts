import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineAggregate,
  type EventEnvelope,
  memoryStore,
  type Runtime,
} from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

async function start(store = memoryStore()): Promise<Runtime> {
  const rt = await createRuntime({ store, aggregates: [counter] });
  open.push(rt);
  return rt;
}

/** Takes `n` events from an iterator (without ending it). */
async function take(it: AsyncIterator<EventEnvelope>, n: number): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const add = (rt: Runtime, id: string, tag: string) =>
  rt.get(counter, id).execute({ type: 'add', by: 1, tag });

describe('runtime.subscribe', () => {
  it('delivers the stored events from fromPosition, then new ones as they are appended, each once in order', async () => {
    const rt = await start();
    for (let i = 0; i < 10; i++) await add(rt, `c${i % 3}`, `old${i}`);
    const sub = rt.subscribe({ fromPosition: 4 });
    const caughtUp = await take(sub, 7);
    expect(caughtUp.map((e) => e.position)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    // Now live: the next pull waits for appends that have not happened yet.
    const live = take(sub, 5);
    for (let i = 0; i < 5; i++) await add(rt, `c${i % 2}`, `new${i}`);
    expect((await live).map((e) => (e.data as { type: string; tag?: string }).tag)).toEqual([
      'new0',
      'new1',
      'new2',
      'new3',
      'new4',
    ]);
    expect((await live).map((e) => e.position)).toEqual([11, 12, 13, 14, 15]);
  });

  it("starts after the newest event with fromPosition 'end'", async () => {
    const rt = await start();
    await add(rt, 'a', 'before');
    const sub = rt.subscribe({ fromPosition: 'end' });
    const next = take(sub, 1);
    await add(rt, 'a', 'after');
    expect((await next).map((e) => (e.data as { type: string; tag?: string }).tag)).toEqual(['after']);
  });

  it('filters by aggregate type and event type', async () => {
    const other = defineAggregate({ ...counter, type: 'other' });
    const rt = await createRuntime({ aggregates: [counter, other] });
    open.push(rt);
    await add(rt, 'a', 'x');
    await rt.get(other, 'b').execute({ type: 'add', by: 1, tag: 'y' });
    await add(rt, 'a', 'z');
    const byType = await take(rt.subscribe({ filter: { aggregateTypes: ['other'] } }), 1);
    expect(byType.map((e) => e.aggregateType)).toEqual(['other']);
    const byEvent = rt.subscribe({ filter: { eventTypes: ['Added'], aggregateTypes: ['counter'] } });
    expect((await take(byEvent, 2)).map((e) => (e.data as { type: string; tag?: string }).tag)).toEqual([
      'x',
      'z',
    ]);
  });

  it('is woken by its own runtime (and polling) when the store cannot notify', async () => {
    const store = new ProbeStore(memoryStore(), { hideNotifications: true });
    const rt = await start(store as unknown as ReturnType<typeof memoryStore>);
    const sub = rt.subscribe();
    const next = take(sub, 2);
    await add(rt, 'a', '1');
    await add(rt, 'b', '2');
    expect((await next).map((e) => e.position)).toEqual([1, 2]);
  });

  it('holds at most one page for a slow consumer 100,000 events behind', async () => {
    const inner = memoryStore();
    const events = Array.from({ length: 1_000 }, () => ({ data: { type: 'Added', by: 1 } }));
    for (let i = 0; i < 100; i++) await inner.append('counter/bulk', events, { expectedVersion: i * 1_000 });
    const store = new ProbeStore(inner);
    const rt = await start(store as unknown as ReturnType<typeof memoryStore>);
    const sub = rt.subscribe({ pageSize: 250 });
    let consumed = 0;
    let mostAhead = 0;
    for await (const e of sub) {
      consumed++;
      mostAhead = Math.max(mostAhead, store.readAllYielded - consumed);
      if (consumed % 10_000 === 0) await new Promise((r) => setTimeout(r, 1)); // slow
      if (e.position === 100_000) break;
    }
    expect(consumed).toBe(100_000);
    expect(mostAhead).toBeLessThan(250);
    expect(new Set(store.readAllLimits)).toEqual(new Set([250]));
  });

  it('ends when the runtime shuts down or its signal aborts, and refuses new subscriptions after shutdown', async () => {
    const rt = await start();
    const abort = new AbortController();
    const aborted = take(rt.subscribe({ signal: abort.signal }), 1);
    const ended = take(rt.subscribe(), 1);
    abort.abort();
    expect(await aborted).toEqual([]);
    await rt.shutdown();
    expect(await ended).toEqual([]);
    expect(() => rt.subscribe()).toThrow(expect.objectContaining({ code: 'RUNTIME_CLOSED' }));
  });

  it('rejects bad options with INVALID_ARGUMENT', async () => {
    const rt = await start();
    for (const bad of [
      { fromPosition: -1 },
      { fromPosition: 1.5 },
      { pageSize: 0 },
      { filter: { eventTypes: 'Added' } },
    ]) {
      expect(() => rt.subscribe(bad as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('refuses a misspelt option or filter key, a filter that is not an object and a signal that is not one, rather than delivering more than asked', async () => {
    const rt = await start();
    for (const bad of [
      { filter: { eventType: ['Added'] } },
      { filter: { aggregateType: ['counter'] } },
      { fromPostion: 5 },
      { filter: null },
      { filter: ['Added'] },
      { filter: 'Added' },
      { signal: true },
      { signal: {} },
    ]) {
      expect(() => rt.subscribe(bad as never), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => rt.subscribe({ filter: { eventType: ['Added'] } } as never)).toThrow(
      /unknown key 'eventType'/,
    );
  });
});

/**
 * `h.watch()` sees every append, also one made straight through the store object rather than
 * through a handle (an import, a repair script, a test): the watcher gets the new state without
 * any further request reaching the aggregate, whether its actor is resident or evicted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, memoryStore, type Runtime } from '../src/index.js';
import { counter } from './support/counter.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

/** Collects what `watch()` yields into `seen` until it reaches `until`. */
function watchUntil(rt: Runtime, id: string, until: number, seen: Array<{ version: number; n: number }>) {
  return (async () => {
    for await (const u of rt.get(counter, id).watch()) {
      seen.push({ version: u.version, n: u.state.n });
      if (u.version >= until) return;
    }
  })();
}

describe('watch and appends made through the store', () => {
  it.each([
    ['resident', false],
    ['evicted', true],
  ] as const)('delivers an append made through store.append while the actor is %s', async (_, evict) => {
    const store = memoryStore();
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    const h = rt.get(counter, 'w');
    await h.execute({ type: 'add', by: 1 });
    const seen: Array<{ version: number; n: number }> = [];
    const watching = watchUntil(rt, 'w', 3, seen);
    await expect.poll(() => seen.length).toBe(1);
    if (evict) await rt.evict(counter, 'w');
    await store.append('counter/w', [{ data: { type: 'Added', by: 10 } }], { expectedVersion: 1 });
    await expect.poll(() => seen.at(-1)).toEqual({ version: 2, n: 11 });
    await store.append('counter/w', [{ data: { type: 'Added', by: 100 } }], { expectedVersion: 2 });
    await watching;
    expect(seen.at(-1)).toEqual({ version: 3, n: 111 });
    expect(seen.map((u) => u.version)).toEqual([1, 2, 3]);
  });

  it('yields each version of the watched aggregate once, in order, among appends to other streams, through handles and through the store', async () => {
    const store = memoryStore();
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    const seen: Array<{ version: number; n: number }> = [];
    const watching = watchUntil(rt, 'a', 4, seen);
    await expect.poll(() => seen.length).toBe(1);
    for (let i = 0; i < 20; i++)
      await store.append(`counter/other${i}`, [{ data: { type: 'Added', by: 1 } }], { expectedVersion: 0 });
    for (let i = 1; i <= 2; i++) await rt.get(counter, 'a').execute({ type: 'add', by: 1 });
    await store.append('counter/a', [{ data: { type: 'Added', by: 1 } }], { expectedVersion: 2 });
    await rt.get(counter, 'a').execute({ type: 'add', by: 1 });
    await watching;
    expect(seen.map((u) => u.version)).toEqual([0, 1, 2, 3, 4]);
  });
});

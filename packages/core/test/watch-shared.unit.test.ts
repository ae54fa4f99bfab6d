/**
 * `h.watch()` on a store other processes write to (no knownStreamVersion): changes made by
 * another runtime reach the watcher through the log, also one that lands while the watch is set up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type EventStore, memoryStore, type Runtime } from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

/** Two runtimes on one store that cannot tell either of them the head, as a shared database. */
async function twoNodes(): Promise<[Runtime, Runtime]> {
  const disk = memoryStore();
  const node = () =>
    createRuntime({
      store: new ProbeStore(disk, { hideKnownVersion: true, keepOnClose: true }) as unknown as EventStore,
      aggregates: [counter],
    });
  const nodes = [await node(), await node()] as [Runtime, Runtime];
  open.push(...nodes);
  return nodes;
}

describe('watch on a shared store', () => {
  it("follows another runtime's changes to the watched aggregate", async () => {
    const [a, b] = await twoNodes();
    const seen: number[] = [];
    const watching = (async () => {
      for await (const u of a.get(counter, 'w').watch()) {
        seen.push(u.version);
        if (u.version === 3) return;
      }
    })();
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await b.get(counter, 'w').execute({ type: 'add', by: 1 });
    await watching;
    expect(seen.at(-1)).toBe(3);
    // Never backwards, never twice.
    expect(seen).toEqual([...new Set(seen)].sort((x, y) => x - y));
  });

  it('delivers a change another runtime makes while the watch is being set up', async () => {
    const [a, b] = await twoNodes();
    const iterator = a.get(counter, 'r').watch()[Symbol.asyncIterator]();
    const first = iterator.next();
    await b.get(counter, 'r').execute({ type: 'add', by: 1 });
    let latest = (await first).value?.version;
    while (latest !== 1) latest = (await iterator.next()).value?.version;
    expect(latest).toBe(1);
    await iterator.return?.();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, type EventStore, memoryStore, type Runtime } from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

/** A store that survives runtime shutdowns, like a folder on disk. */
const disk = () => new ProbeStore(memoryStore(), { keepOnClose: true });

async function start(store: EventStore, extra: { dedupeWindow?: number } = {}, aggregates = [counter]) {
  const rt = await createRuntime({ store, aggregates, ...extra });
  open.push(rt);
  return rt;
}

describe('idempotent retries (commandId)', () => {
  it('returns the original result for a retried commandId and appends nothing', async () => {
    const store = disk();
    const h = (await start(store)).get(counter, 'c1');
    const first = await h.execute({ type: 'addTwice', by: 1, tag: 't' }, { commandId: 'cmd-1' });
    await h.execute({ type: 'add', by: 1 });
    const retry = await h.execute({ type: 'addTwice', by: 1, tag: 't' }, { commandId: 'cmd-1' });
    expect(retry.deduplicated).toBe(true);
    expect(retry.version).toBe(first.version);
    expect(retry.events).toEqual(first.events);
    expect(await store.streamVersion('counter/c1')).toBe(3);
  });

  it('recognises a retry even with a stale expectedVersion', async () => {
    const h = (await start(disk())).get(counter, 'c1');
    await h.execute({ type: 'add', by: 1 }, { commandId: 'x', expectedVersion: 0 });
    await h.execute({ type: 'add', by: 1 });
    const retry = await h.execute({ type: 'add', by: 1 }, { commandId: 'x', expectedVersion: 0 });
    expect(retry).toMatchObject({ deduplicated: true, version: 1 });
  });

  it('still recognises retries after eviction and after a restart of the runtime', async () => {
    const store = disk();
    const rt1 = await start(store);
    await rt1.get(counter, 'c1').execute({ type: 'add', by: 1 }, { commandId: 'a' });
    await rt1.evict(counter, 'c1');
    expect(
      (await rt1.get(counter, 'c1').execute({ type: 'add', by: 1 }, { commandId: 'a' })).deduplicated,
    ).toBe(true);
    await rt1.shutdown();
    const rt2 = await start(store);
    const retry = await rt2.get(counter, 'c1').execute({ type: 'add', by: 1 }, { commandId: 'a' });
    expect(retry).toMatchObject({ deduplicated: true, version: 1 });
    expect(await store.streamVersion('counter/c1')).toBe(1);
  });

  it('rebuilds the window from a snapshot plus the tail after a restart', async () => {
    const snapshotted = defineAggregate({
      ...counter,
      type: 'snapped',
      snapshots: { every: 2, schemaVersion: 1 },
    });
    const store = disk();
    const rt1 = await start(store, {}, [snapshotted]);
    const h1 = rt1.get(snapshotted, 's');
    for (let i = 0; i < 5; i++) await h1.execute({ type: 'add', by: 1 }, { commandId: `c${i}` });
    await rt1.shutdown();
    expect((await store.snapshots.load('snapped/s'))?.runtime?.dedupe?.map((d) => d[0])).toEqual(
      expect.arrayContaining(['c0', 'c1']),
    );
    const h2 = (await start(store, {}, [snapshotted])).get(snapshotted, 's');
    for (let i = 0; i < 5; i++) {
      expect((await h2.execute({ type: 'add', by: 1 }, { commandId: `c${i}` })).deduplicated).toBe(true);
    }
    expect(await store.streamVersion('snapped/s')).toBe(5);
  });

  it('remembers only the last dedupeWindow commandIds per stream', async () => {
    const store = disk();
    const h = (await start(store, { dedupeWindow: 3 })).get(counter, 'c1');
    for (const id of ['a', 'b', 'c', 'd']) await h.execute({ type: 'add', by: 1 }, { commandId: id });
    expect((await h.execute({ type: 'add', by: 1 }, { commandId: 'd' })).deduplicated).toBe(true);
    expect((await h.execute({ type: 'add', by: 1 }, { commandId: 'a' })).deduplicated).toBe(false);
    expect(await store.streamVersion('counter/c1')).toBe(5);
  });

  it('keeps a commandId of a no-op command for the actor lifetime (nothing is stored to rebuild it from)', async () => {
    const h = (await start(disk())).get(counter, 'c1');
    await h.execute({ type: 'noop' }, { commandId: 'n' });
    expect(await h.execute({ type: 'noop' }, { commandId: 'n' })).toMatchObject({
      deduplicated: true,
      version: 0,
      events: [],
    });
    // Its fingerprint is kept with it: a different command under that commandId is told apart.
    await expect(h.execute({ type: 'add', by: 1 }, { commandId: 'n' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
  });

  it('counts dedupe hits', async () => {
    const rt = await start(disk());
    const h = rt.get(counter, 'c1');
    await h.execute({ type: 'add', by: 1 }, { commandId: 'a' });
    await h.execute({ type: 'add', by: 1 }, { commandId: 'a' });
    expect(rt.metrics().counters.dedupeHits).toBe(1);
  });
});

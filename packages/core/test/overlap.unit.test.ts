/**
 * The overlap step of issue 14 (`maxBatchesInFlight`): an actor decides its next batch while the
 * earlier one appends, answers each batch only once its own append and every earlier one are
 * durable, and when an append fails, fails that batch and decides the later ones again. The
 * gated store lets each test choose when every append becomes durable or fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, memoryStore, type Runtime, VersionConflict } from '../src/index.js';
import { counter } from './support/counter.js';
import { GatedStore } from './support/gated-store.js';
import { collect, flush, tagOf } from './support/probe-store.js';

let live: Runtime | undefined;
afterEach(async () => {
  await live?.shutdown({ timeoutMs: 1000 });
  live = undefined;
});

/** One command per batch by default, so commands sent together make several batches. */
async function start(store: GatedStore, maxBatchesInFlight = 2, maxBatchCommands = 1): Promise<Runtime> {
  live = await createRuntime({
    store,
    aggregates: [counter],
    maxBatchesInFlight,
    maxBatchCommands,
    commandTimeoutMs: 0,
  });
  return live;
}

/** Lets the event loop turn until `cond` holds (fails the test if it never does). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await flush();
  expect(cond()).toBe(true);
}

/** Turns the event loop a few times: long enough for anything ready to happen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await flush();
}

const add = (tag: string) => ({ type: 'add' as const, by: 1, tag });

describe('maxBatchesInFlight: overlapping batches of one aggregate', () => {
  // Each test first holds one append (t0), so that the next commands wait in the mailbox: the
  // actor overlaps only commands already waiting when it decides a batch.
  it('decides the next batch while the earlier appends, on the state it leaves, and answers each only once durable', async () => {
    const store = new GatedStore();
    const h = (await start(store)).get(counter, 'a');
    const answered: string[] = [];
    const send = (tag: string) =>
      h.execute(add(tag)).then((r) => {
        answered.push(tag);
        return r;
      });
    const sent = [send('t0')];
    await until(() => store.pending.length === 1);
    sent.push(send('t1'), send('t2'), send('t3'));
    await store.release();
    // t1 and t2 are appended together, t2 expecting the version t1 leaves; t3 waits (2 in flight).
    await until(() => store.pending.length === 2);
    expect(store.pending.map((g) => g.opts.expectedVersion)).toEqual([1, 2]);
    await settle();
    expect(answered).toEqual(['t0']);
    await store.release();
    await until(() => answered.length === 2);
    await settle();
    expect(answered).toEqual(['t0', 't1']);
    await until(() => store.pending.length === 2);
    await store.release();
    await store.release();
    const results = await Promise.all(sent);
    expect(answered).toEqual(['t0', 't1', 't2', 't3']);
    expect(results.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    expect(results[3]?.state).toEqual({ n: 4, tags: ['t0', 't1', 't2', 't3'] });
    expect(store.mostPending).toBe(2);
  });

  it('fails the batch whose append failed and decides the later ones again, on the state that failure leaves', async () => {
    const store = new GatedStore();
    const h = (await start(store)).get(counter, 'a');
    const t0 = h.execute(add('t0'));
    await until(() => store.pending.length === 1);
    const t1 = h.execute(add('t1')).catch((e: { code: string }) => e.code);
    // Valid only on top of t1: once t1 failed, it is refused when decided again.
    const t2 = h.execute(add('t2'), { expectedVersion: 2 }).catch((e: { code: string }) => e.code);
    const t3 = h.execute(add('t3'));
    await store.release();
    await t0;
    await until(() => store.pending.length === 2);
    store.fail();
    expect(await t1).toBe('STORE_ERROR');
    // The later append reaches the store after the failure: its chain makes it fail.
    await store.release();
    expect(await t2).toBe('VERSION_CONFLICT');
    await until(() => store.pending.length === 1);
    expect(store.pending[0]?.opts.expectedVersion).toBe(1);
    await store.release();
    const r3 = await t3;
    expect(r3.version).toBe(2);
    expect(r3.state).toEqual({ n: 2, tags: ['t0', 't3'] });
    const stream = await collect(store.inner.readStream('counter/a'));
    expect(stream.map(tagOf)).toEqual(['t0', 't3']);
  });

  it('decides again a batch that appended nothing behind a failed append (no crash)', async () => {
    const store = new GatedStore();
    const rt = await start(store, 3);
    const h = rt.get(counter, 'a');
    const t0 = h.execute(add('t0'));
    await until(() => store.pending.length === 1);
    const t1 = h.execute(add('t1')).catch((e: { code: string }) => e.code);
    // A batch of its own with no append: it lands at once, but only after t1.
    const nothing = h.execute({ type: 'noop' }, { commandId: 'n1' });
    const t2 = h.execute(add('t2'));
    await store.release();
    await t0;
    await until(() => store.pending.length === 2);
    store.fail();
    expect(await t1).toBe('STORE_ERROR');
    await store.release(); // the chain fails it
    await until(() => store.pending.length === 1);
    await store.release();
    expect(await nothing).toMatchObject({ version: 1, events: [] });
    expect((await t2).version).toBe(2);
    expect(rt.metrics().counters.crashes).toBe(0);
  });

  it("never stores a later batch on another writer's events when the earlier one conflicted with them", async () => {
    const store = new GatedStore();
    const h = (await start(store)).get(counter, 'a');
    const t0 = h.execute(add('t0'));
    await until(() => store.pending.length === 1);
    const later = [h.execute(add('t1')), h.execute(add('t2'))];
    await store.release();
    await t0;
    await until(() => store.pending.length === 2);
    // Another writer takes version 2: exactly the version the second batch expects.
    await store.inner.append('counter/a', [{ data: { type: 'Added', by: 1, tag: 'f' } }], {
      expectedVersion: 1,
    });
    await store.release(); // conflicts
    await store.release(); // its version matches, but it was decided on t1's state: it fails too
    await until(() => store.pending.length === 2);
    expect(store.pending.map((g) => g.opts.expectedVersion)).toEqual([2, 3]);
    await store.release();
    await store.release();
    const [r1, r2] = await Promise.all(later);
    expect([r1?.version, r2?.version]).toEqual([3, 4]);
    expect(r2?.state).toEqual({ n: 4, tags: ['t0', 'f', 't1', 't2'] });
    const stream = await collect(store.inner.readStream('counter/a'));
    expect(stream.map(tagOf)).toEqual(['t0', 'f', 't1', 't2']);
  });

  it('keeps one append at a time on a store without pipelinedAppends', async () => {
    const store = new GatedStore(false);
    const h = (await start(store, 4)).get(counter, 'a');
    const sent = [h.execute(add('t0'))];
    await until(() => store.pending.length === 1);
    sent.push(h.execute(add('t1')), h.execute(add('t2')));
    for (let i = 0; i < 3; i++) {
      await until(() => store.pending.length === 1);
      await settle();
      expect(store.pending).toHaveLength(1);
      await store.release();
    }
    expect((await Promise.all(sent)).map((r) => r.version)).toEqual([1, 2, 3]);
    expect(store.mostPending).toBe(1);
  });

  it('holds back a command whose commandId a batch in flight accepted, then answers it as a duplicate', async () => {
    const store = new GatedStore();
    const h = (await start(store)).get(counter, 'a');
    const t0 = h.execute(add('t0'));
    await until(() => store.pending.length === 1);
    const original = h.execute(add('t1'), { commandId: 'c1' });
    const retry = h.execute(add('t1'), { commandId: 'c1' });
    await store.release();
    await t0;
    await until(() => store.pending.length === 1);
    await settle();
    // Not decided while the original's append is in flight: it would not know the id yet.
    expect(store.pending).toHaveLength(1);
    await store.release();
    const [r1, r2] = await Promise.all([original, retry]);
    expect(r1.deduplicated).toBe(false);
    expect(r2).toMatchObject({ deduplicated: true, version: 2 });
    expect(await collect(store.inner.readStream('counter/a'))).toHaveLength(2);
  });

  it('an eviction waits for the appends in flight: they land and are answered before the actor stops', async () => {
    const store = new GatedStore();
    const rt = await start(store);
    const h = rt.get(counter, 'a');
    const sent = [h.execute(add('t0'))];
    await until(() => store.pending.length === 1);
    sent.push(h.execute(add('t1')), h.execute(add('t2')));
    let evicted = false;
    const eviction = rt.evict(counter, 'a').then(() => {
      evicted = true;
    });
    await store.release();
    await until(() => store.pending.length === 2);
    await settle();
    expect(evicted).toBe(false);
    await store.release();
    await store.release();
    await eviction;
    expect((await Promise.all(sent)).map((r) => r.version)).toEqual([1, 2, 3]);
    expect(rt.stats().liveActors).toBe(0);
  });
});

describe('AppendOptions.chain on the memory store', () => {
  it('fails every later append of a chain once one failed, even one whose expectedVersion matches', async () => {
    const store = memoryStore();
    const chain = { failed: false };
    await store.append('s/1', [{ data: { type: 'Other' } }], { expectedVersion: 0 });
    await expect(
      store.append('s/1', [{ data: { type: 'Mine' } }], { expectedVersion: 0, chain }),
    ).rejects.toBeInstanceOf(VersionConflict);
    expect(chain.failed).toBe(true);
    // Version 1 is the head now, yet this append was decided on the failed one's state.
    await expect(
      store.append('s/1', [{ data: { type: 'Mine' } }], { expectedVersion: 1, chain }),
    ).rejects.toBeInstanceOf(VersionConflict);
    expect(await store.streamVersion('s/1')).toBe(1);
    // A new chain appends again.
    await store.append('s/1', [{ data: { type: 'Mine' } }], { expectedVersion: 1, chain: { failed: false } });
    expect(await store.streamVersion('s/1')).toBe(2);
  });
});

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, type EventStore, memoryStore, type Runtime } from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

const snapped = defineAggregate({ ...counter, type: 'snapped', snapshots: { every: 10, schemaVersion: 1 } });
const disk = () => new ProbeStore(memoryStore(), { keepOnClose: true });

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

async function start(store: EventStore, aggregates = [snapped], logger = pino({ level: 'silent' })) {
  const rt = await createRuntime({ store, aggregates, logger });
  open.push(rt);
  return rt;
}

async function fill(rt: Runtime, n: number) {
  const h = rt.get(snapped, 's');
  for (let i = 0; i < n; i++) await h.execute({ type: 'add', by: 1, tag: String(i) });
}

describe('snapshots', () => {
  it('runtime.snapshot saves one now, off the policy schedule, and refuses an aggregate without a policy', async () => {
    const store = disk();
    const rt = await start(store, [snapped, counter]);
    expect(await rt.snapshot(snapped, 'empty')).toEqual({ version: 0, saved: false });
    await fill(rt, 3); // below `every: 10`: the policy saved nothing
    expect(await store.snapshots.list('snapped/s')).toEqual([]);
    expect(await rt.snapshot('snapped', 's')).toEqual({ version: 3, saved: true });
    expect((await store.snapshots.load('snapped/s'))?.version).toBe(3);
    await expect(rt.snapshot(counter, 'c')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(rt.snapshot('nope', 'c')).rejects.toMatchObject({ code: 'UNKNOWN_AGGREGATE' });
  });

  it('saves a snapshot once at least `every` events were appended since the last one, keeping the newest two', async () => {
    const store = disk();
    const rt = await start(store);
    await fill(rt, 35);
    await rt.evict(snapped, 's'); // also waits for any save in flight
    const kept = await store.snapshots.list('snapped/s');
    expect(kept.map((s) => s.version)).toEqual([35, 30]); // 10, 20, 30 while running, 35 on eviction; keep 2
    expect(rt.metrics().counters.snapshotSaves).toBe(4);
  });

  it('recovers from the snapshot plus the tail, reading only the tail', async () => {
    const store = disk();
    await fill(await start(store), 25);
    const rt2 = await start(store);
    const { state, version } = await rt2.get(snapped, 's').state();
    expect(version).toBe(25);
    expect(state.n).toBe(25);
    expect(state.tags).toHaveLength(25);
    expect(rt2.metrics().counters.snapshotHits).toBe(1);
  });

  it('changes nothing but speed when every snapshot is deleted', async () => {
    const store = disk();
    await fill(await start(store), 25);
    const withSnapshot = await (await start(store)).get(snapped, 's').state();
    await store.snapshots.delete('snapped/s');
    const rt3 = await start(store);
    expect(await rt3.get(snapped, 's').state()).toEqual(withSnapshot);
    expect(rt3.metrics().counters.snapshotHits).toBe(0);
  });

  it('ignores a snapshot of another schema version with a warning and replays in full', async () => {
    const store = disk();
    await fill(await start(store), 12);
    const v2 = defineAggregate({ ...snapped, snapshots: { every: 10, schemaVersion: 2 } });
    const { logger, lines } = capture();
    const rt = await start(store, [v2], logger);
    expect((await rt.get(v2, 's').state()).state.n).toBe(12);
    expect(rt.metrics().counters.snapshotsIgnored).toBe(1);
    const warn = lines.find((l) => l.level === 40 && String(l.msg).includes('snapshot ignored'));
    expect(warn).toMatchObject({ aggregateType: 'snapped', aggregateId: 's' });
    expect(String(warn?.msg)).toMatch(/schema version 1, expected 2/);
  });

  it('ignores a snapshot whose decode throws, and one that claims a version past the stream', async () => {
    const store = disk();
    await fill(await start(store), 12);
    const picky = defineAggregate({
      ...snapped,
      snapshots: {
        every: 10,
        schemaVersion: 1,
        decode: () => {
          throw new Error('bad shape');
        },
      },
    });
    const rt = await start(store, [picky]);
    expect((await rt.get(picky, 's').state()).state.n).toBe(12);
    await rt.shutdown();
    await store.snapshots.save({
      streamId: 'snapped/s',
      version: 99,
      schemaVersion: 1,
      state: { n: 99, tags: [] },
      timestamp: new Date().toISOString(),
    });
    const rt2 = await start(store);
    expect(await rt2.get(snapped, 's').state()).toMatchObject({ version: 12, state: { n: 12 } });
    expect(rt2.metrics().counters.snapshotsIgnored).toBe(1);
  });

  it('uses encode and decode for the stored form', async () => {
    const encoded = defineAggregate({
      ...snapped,
      snapshots: {
        every: 5,
        schemaVersion: 3,
        encode: (s: { n: number; tags: string[] }) => ({ total: s.n, t: s.tags.join(',') }),
        decode: (d: unknown) => {
          const x = d as { total: number; t: string };
          return { n: x.total, tags: x.t === '' ? [] : x.t.split(',') };
        },
      },
    });
    const store = disk();
    const rt = await start(store, [encoded]);
    const h = rt.get(encoded, 's');
    for (let i = 0; i < 5; i++) await h.execute({ type: 'add', by: 2, tag: `t${i}` });
    await rt.shutdown();
    expect((await store.snapshots.load('snapped/s'))?.state).toEqual({ total: 10, t: 't0,t1,t2,t3,t4' });
    const again = await (await start(store, [encoded])).get(encoded, 's').state();
    expect(again).toEqual({ version: 5, state: { n: 10, tags: ['t0', 't1', 't2', 't3', 't4'] } });
  });

  it('warns and carries on when a snapshot save fails', async () => {
    const inner = memoryStore();
    const failing: EventStore = new ProbeStore(inner);
    Object.defineProperty(failing, 'snapshots', {
      value: { ...inner.snapshots, save: () => Promise.reject(new Error('no space')) },
    });
    const { logger, lines } = capture();
    const rt = await start(failing, [snapped], logger);
    const h = rt.get(snapped, 's');
    for (let i = 0; i < 10; i++) await h.execute({ type: 'add', by: 1 });
    await rt.evict(snapped, 's');
    expect(rt.metrics().counters.snapshotSaveFailures).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.msg === 'snapshot save failed')).toBe(true);
    expect((await h.execute({ type: 'add', by: 1 })).version).toBe(11);
  });
});

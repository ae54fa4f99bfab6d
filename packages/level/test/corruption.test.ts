/**
 * Invariant 10 on a real folder: damaged records raise CorruptData naming stream and version,
 * never skipped; a damaged snapshot is only ignored (invariant 7).
 */
import { createRuntime, type EventStore } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';

/** Writes ten events to `ledger/l1` (and three to `ledger/l2`), closes the store, returns the folder. */
async function seeded(): Promise<string> {
  const path = freshFolder();
  const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
  for (let i = 0; i < 10; i++)
    await runtime.get(ledger, 'l1').execute({ type: 'record', tag: `t${i}`, parts: 1 });
  await runtime.get(ledger, 'l2').execute({ type: 'record', tag: 'x', parts: 3 });
  await runtime.shutdown();
  return path;
}

/** Opens the folder with classic-level directly and lets `damage` edit raw keys. */
async function tamper(
  path: string,
  damage: (db: ClassicLevel<string, string>) => Promise<void>,
): Promise<void> {
  const db = new ClassicLevel<string, string>(path);
  await db.open();
  await damage(db);
  await db.close();
}

async function drain(events: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of events) n++;
  return n;
}

/** The raw key of ledger/l1 at a version, found by scanning (the layout is the store's business). */
async function keyOf(
  db: ClassicLevel<string, string>,
  prefix: string,
  suffixNumber: number,
): Promise<string> {
  const keys = await db.keys({ gte: prefix, lt: `${prefix}\uffff` }).all();
  const key = keys.find((k) => Number.parseInt(k.slice(-14), 16) === suffixNumber);
  if (key === undefined) throw new Error(`no key under ${JSON.stringify(prefix)} ending in ${suffixNumber}`);
  return key;
}

describe('damaged data in the folder', () => {
  it('raises CORRUPT_DATA naming stream and version when a stream record does not decode', async () => {
    const path = await seeded();
    await tamper(path, async (db) => {
      await db.put(await keyOf(db, 'sledger/l1\u0000', 4), '{not json');
      // Without snapshots, activation replays the whole stream, through the damage.
      await db.clear({ gte: 'nledger/l1\u0000', lt: 'nledger/l1\u0001' });
    });
    const store: EventStore = await levelStore({ path });
    await expect(drain(store.readStream('ledger/l1'))).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      streamId: 'ledger/l1',
      version: 4,
    });
    // Reading around the damage still works; the damaged event is never silently skipped.
    expect(await drain(store.readStream('ledger/l1', { limit: 3 }))).toBe(3);
    await expect(drain(store.readStream('ledger/l1', { fromVersion: 2 }))).rejects.toMatchObject({
      version: 4,
    });
    await store.close();

    // The runtime refuses to serve the aggregate rather than serving a state without event 4.
    const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
    await expect(runtime.get(ledger, 'l1').state()).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      streamId: 'ledger/l1',
      version: 4,
    });
    expect((await runtime.get(ledger, 'l2').state()).version).toBe(3);
    await runtime.shutdown();
  });

  it('raises CORRUPT_DATA for a missing version instead of skipping it', async () => {
    const path = await seeded();
    await tamper(path, async (db) => db.del(await keyOf(db, 'sledger/l1\u0000', 6)));
    const store = await levelStore({ path });
    await expect(drain(store.readStream('ledger/l1'))).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      streamId: 'ledger/l1',
      version: 6,
    });
    await store.close();
  });

  it('names stream, version and position for a truncated record read through the global log', async () => {
    const path = await seeded();
    // ledger/l2's second event is at log position 12; its only copy is under its stream key.
    await tamper(path, async (db) => {
      const key = await keyOf(db, 'sledger/l2\u0000', 2);
      const text = (await db.get(key)) as string;
      await db.put(key, text.slice(0, text.length - 10));
    });
    const store = await levelStore({ path });
    const error = await drain(store.readAll()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPT_DATA', streamId: 'ledger/l2', version: 2 });
    expect((error as Error).message).toContain('log position 12');
    await store.close();
  });

  it('raises CORRUPT_DATA at the position of a damaged log index entry and of a missing one, after the events before', async () => {
    const path = await seeded();
    await tamper(path, async (db) => {
      // ledger/l2's three events were one append: one index entry for positions 11..13.
      await db.put(await keyOf(db, 'l', 13), '[["ledger/l2",1,');
      await db.del(await keyOf(db, 'l', 5));
    });
    const store = await levelStore({ path });
    const seen: number[] = [];
    const gap = await (async () => {
      for await (const e of store.readAll()) seen.push(e.position);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(gap).toMatchObject({ code: 'CORRUPT_DATA' });
    expect((gap as Error).message).toContain('the log skips from position 4 to 6');
    const damagedEntry = await drain(store.readAll({ fromPosition: 6 })).catch((e: unknown) => e);
    expect((damagedEntry as Error).message).toContain(
      'log index entry for positions 11..13 does not parse (log position 11)',
    );
    expect(await drain(store.readAll({ fromPosition: 6, limit: 5 }))).toBe(5);
    // Positions are still known: the damaged entry's key names them.
    expect(await store.lastPosition()).toBe(13);
    await store.close();
  });

  it('raises CORRUPT_DATA for a stored timer whose command is not an object with a string type', async () => {
    const path = freshFolder();
    const timer = {
      streamId: 'ledger/t1',
      name: 'remind',
      dueAt: 1_000,
      version: 1,
      missed: 'fire',
    } as const;
    let store = await levelStore({ path });
    await store.append('ledger/t1', [{ data: { type: 'Recorded' } }], {
      expectedVersion: 0,
      timers: [{ op: 'schedule', timer: { ...timer, command: { type: 'ping' } } }],
    });
    await store.close();
    // Both keys of the timer (by stream and name, and in the due index) hold its record.
    await tamper(path, async (db) => {
      for (const [key, value] of await db.iterator().all()) {
        if (value.includes('"command":{"type":"ping"}'))
          await db.put(key, value.replace('{"type":"ping"}', 'null'));
      }
    });
    store = await levelStore({ path });
    try {
      await expect(drain(store.timers?.list() ?? [])).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
      await expect(store.timers?.get('ledger/t1', 'remind')).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    } finally {
      await store.close();
    }
  });

  it('ignores an unreadable snapshot with a warning and replays the stream in full', async () => {
    const path = await seeded();
    await tamper(path, async (db) => {
      const keys = await db.keys({ gte: 'nledger/l1\u0000', lt: 'nledger/l1\u0001' }).all();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) await db.put(key, '{"broken');
    });
    const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
    expect(await runtime.get(ledger, 'l1').state()).toEqual({
      version: 10,
      state: { events: 10, commands: 10 },
    });
    expect(runtime.metrics().counters).toMatchObject({ snapshotsIgnored: 1, snapshotHits: 0 });
    await runtime.shutdown();
  });
});

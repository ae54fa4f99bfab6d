/**
 * Upgrading a folder written in store format 1 (every event stored twice, under its stream key and
 * a log key per position) to format 2 (the stream record once, one log index entry per batch):
 * opening it migrates it, every event reads back as before, positions continue, and a SIGKILL at
 * any moment of the migration leaves a folder that opens and has lost nothing.
 */
import { cpSync } from 'node:fs';
import type { EventEnvelope } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { type FormatMigrationProgress, levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';
import { type FormatOneEvent, formatOneMix, formatOneRecord, writeFormatOne } from './support/format-one.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const KILL_ROUNDS = SOAK ? 20 : 4;

interface Expected {
  streamId: string;
  version: number;
  position: number;
  data: FormatOneEvent['data'];
}

/** The events of `batches` as format 1 numbered them, in position order. */
function expectedOf(batches: readonly FormatOneEvent[][]): Expected[] {
  const heads = new Map<string, number>();
  const out: Expected[] = [];
  for (const e of batches.flat()) {
    const version = (heads.get(e.streamId) ?? 0) + 1;
    heads.set(e.streamId, version);
    out.push({ streamId: e.streamId, version, position: out.length + 1, data: e.data });
  }
  return out;
}

async function all(events: AsyncIterable<EventEnvelope>): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const brief = (e: EventEnvelope | Expected) => [e.streamId, e.version, e.position, e.data];

/** The format marker and every key of the log range, read raw. */
async function rawLog(path: string): Promise<{ format: string | undefined; log: Array<[string, string]> }> {
  const db = new ClassicLevel<string, string>(path);
  await db.open();
  try {
    return { format: await db.get('mformat'), log: await db.iterator({ gt: 'l', lt: 'lg' }).all() };
  } finally {
    await db.close();
  }
}

/**
 * Checks a folder as a kill left it, before any store opens it: every position is held exactly
 * once, either by its format 1 log key or by an index entry naming the right stream and version.
 */
async function assertConsistent(path: string, expected: readonly Expected[]): Promise<string> {
  const { format, log } = await rawLog(path);
  expect(['1', '1-to-2', '2']).toContain(format);
  const seen: Array<string | undefined> = [];
  const claim = (position: number, who: string) => {
    expect(seen[position], `position ${position} held twice`).toBeUndefined();
    seen[position] = who;
  };
  for (const [key, value] of log) {
    if (key.length === 15) {
      const position = Number.parseInt(key.slice(1), 16);
      const e = expected[position - 1] as Expected;
      expect(value).toBe(formatOneRecord({ streamId: e.streamId, data: e.data }, e.version, position));
      claim(position, `${e.streamId}@${e.version}`);
      continue;
    }
    expect(key).toHaveLength(29);
    let position = Number.parseInt(key.slice(1, 15), 16);
    for (const [streamId, first, count] of JSON.parse(value) as Array<[string, number, number]>) {
      for (let i = 0; i < count; i++) claim(position++, `${streamId}@${first + i}`);
    }
    expect(position - 1).toBe(Number.parseInt(key.slice(15), 16));
  }
  for (const e of expected) expect(seen[e.position]).toBe(`${e.streamId}@${e.version}`);
  expect(seen.length).toBe(expected.length + 1);
  if (format === '2') expect(log.filter(([key]) => key.length === 15)).toEqual([]);
  return format as string;
}

/** Opens the folder (finishing any migration) and checks every promise against `expected`. */
async function assertUpgraded(path: string, expected: readonly Expected[]): Promise<void> {
  const store = await levelStore({ path });
  try {
    expect(await store.lastPosition()).toBe(expected.length);
    expect((await all(store.readAll())).map(brief)).toEqual(expected.map(brief));
    const streams = [...new Set(expected.map((e) => e.streamId))];
    for (const streamId of streams) {
      const read = await all(store.readStream(streamId));
      expect(read.map(brief)).toEqual(expected.filter((e) => e.streamId === streamId).map(brief));
    }
    // New events continue the positions and the stream's versions.
    const streamId = streams[0] as string;
    const head = expected.filter((e) => e.streamId === streamId).length;
    const [added] = await store.append(streamId, [{ data: { type: 'Added' } }], { expectedVersion: head });
    expect(added).toMatchObject({ version: head + 1, position: expected.length + 1 });
    expect((await all(store.readAll({ fromPosition: expected.length }))).map((e) => e.position)).toEqual([
      expected.length,
      expected.length + 1,
    ]);
  } finally {
    await store.close();
  }
  const { format, log } = await rawLog(path);
  expect(format).toBe('2');
  expect(log.filter(([key]) => key.length !== 29)).toEqual([]);
}

describe('a folder written in store format 1', () => {
  it('is migrated on open: every event reads back as before, positions continue, progress is reported', async () => {
    const path = freshFolder('format-one');
    const batches = formatOneMix(3_000, 60);
    await writeFormatOne(path, batches);
    // What format 1 kept besides events is left as it was.
    const raw = new ClassicLevel<string, string>(path);
    await raw.open();
    await raw.put('cprojection', '1234');
    await raw.close();

    const progress: FormatMigrationProgress[] = [];
    const store = await levelStore({ path, onMigrationProgress: (p) => progress.push(p) });
    expect(await store.checkpoints.get('projection')).toBe(1234);
    await store.close();
    expect(progress.at(0)).toEqual({ path, migrated: 0, total: 3_000, done: false });
    expect(progress.at(-1)).toEqual({ path, migrated: 3_000, total: 3_000, done: true });

    const expected = expectedOf(batches);
    await assertConsistent(path, expected);
    await assertUpgraded(path, expected);
    // Opening again finds format 2 and migrates nothing.
    const again: FormatMigrationProgress[] = [];
    await (await levelStore({ path, onMigrationProgress: (p) => again.push(p) })).close();
    expect(again).toEqual([]);
  });

  it('keeps a log record too damaged to name its stream under its old key, and readAll reports it at its position', async () => {
    const path = freshFolder('format-one-damaged');
    const batches = formatOneMix(50, 5);
    await writeFormatOne(path, batches);
    const raw = new ClassicLevel<string, string>(path);
    await raw.open();
    await raw.put(`l${(20).toString(16).padStart(14, '0')}`, '{"broken');
    await raw.close();

    const store = await levelStore({ path });
    const read: number[] = [];
    const error = await (async () => {
      for await (const e of store.readAll()) read.push(e.position);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(read).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(error).toMatchObject({ code: 'CORRUPT_DATA' });
    expect((error as Error).message).toContain('log position 20');
    // Reading on past the damage finds the rest.
    expect((await all(store.readAll({ fromPosition: 21 }))).map((e) => e.position)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 21),
    );
    expect(await store.lastPosition()).toBe(50);
    await store.close();
  });

  it(`loses nothing when the migrating process is SIGKILLed at random moments (${KILL_ROUNDS} rounds)`, async () => {
    const template = freshFolder('format-one-template');
    const batches = formatOneMix(8_000, 100);
    await writeFormatOne(template, batches);
    const expected = expectedOf(batches);

    // One unkilled run measures how long the migration takes, so the kills spread over it.
    const timing = freshFolder('format-one-timing');
    cpSync(template, timing, { recursive: true });
    const first = startChild('migrate-child', [timing]);
    const took = Number((await first.waitFor('OPEN ')).split(' ')[1]);
    await first.exited;
    await assertConsistent(timing, expected);

    const formats = new Map<string, number>();
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const path = freshFolder('format-one-killed');
      cpSync(template, path, { recursive: true });
      // Two kills in a row: the second lands in a migration that resumes a half-done one.
      for (let kill = 0; kill < 2; kill++) {
        const child = startChild('migrate-child', [path]);
        await child.waitFor('OPENING');
        await new Promise((r) => setTimeout(r, Math.random() * took * 1.2));
        child.process.kill('SIGKILL');
        await child.exited;
        const format = await assertConsistent(path, expected);
        formats.set(format, (formats.get(format) ?? 0) + 1);
      }
      await assertUpgraded(path, expected);
    }
    // The kills did land inside migrations, not only before or after them.
    expect(formats.get('1-to-2') ?? 0).toBeGreaterThan(0);
  }, 600_000);
});

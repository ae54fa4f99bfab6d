/**
 * Upgrading a folder written in store format 1 (every event stored twice, under its stream key and
 * a log key per position) to format 2 (the stream record once, one log index entry per batch):
 * opening it migrates it, every event reads back as before, positions continue, and a SIGKILL at
 * any moment of the migration leaves a folder that opens and has lost nothing
 * (format-migration.crash.test.ts).
 */
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { type FormatMigrationProgress, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';
import { formatOneMix, writeFormatOne } from './support/format-one.js';
import { all, assertConsistent, assertUpgraded, expectedOf } from './support/upgrade-checks.js';

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
});

/**
 * A SIGKILL at any moment of the migration from store format 1 to format 2 leaves a folder in
 * which every position is held exactly once (by its format 1 log key or by an index entry), that
 * opens, finishes the migration and has lost nothing. Twice per folder: the second kill lands in
 * a migration that resumes a half-done one.
 */
import { cpSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';
import { formatOneMix, writeFormatOne } from './support/format-one.js';
import { assertConsistent, assertUpgraded, expectedOf } from './support/upgrade-checks.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const KILL_ROUNDS = SOAK ? 20 : 3;

describe('the migration of a format 1 folder', () => {
  it(`loses nothing when the migrating process is SIGKILLed at random moments (${KILL_ROUNDS} folders, 2 kills each)`, async () => {
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
        if (round === 0 && kill === 0) {
          // At least one kill surely inside a migration: the folder is marked before the report.
          await child.waitFor('MIGRATING');
        } else {
          await child.waitFor('OPENING');
          await new Promise((r) => setTimeout(r, Math.random() * took * 1.2));
        }
        child.process.kill('SIGKILL');
        await child.exited;
        const format = await assertConsistent(path, expected);
        formats.set(format, (formats.get(format) ?? 0) + 1);
      }
      await assertUpgraded(path, expected);
    }
    // The kills did land inside migrations (the first one always), not only before or after them.
    expect(formats.get('1-to-2') ?? 0).toBeGreaterThan(0);
  }, 600_000);
});

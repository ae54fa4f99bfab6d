/**
 * Damaged store folders through the real CLI: offline commands name the damage and point to
 * `actorfold repair`; verify reports acknowledged events that vanished with the newest log;
 * repair keeps a copy, brings back what LevelDB can read, and says what it could not.
 */
import { existsSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RepairReport } from '../src/commands/repair.js';
import type { VerifyReport } from '../src/store-verifier.js';
import { cli, STACK } from './support/cli.js';
import { freshDir, seededStore } from './support/folders.js';

/** The seeded store (155 events) with its newest LevelDB log cut to half its size. */
async function truncatedLog(): Promise<string> {
  const path = await seededStore();
  const log = readdirSync(path)
    .filter((n) => /^\d+\.log$/.test(n))
    .sort()
    .at(-1) as string;
  truncateSync(join(path, log), Math.floor(statSync(join(path, log)).size / 2));
  return path;
}

async function withoutCurrent(): Promise<string> {
  const path = await seededStore();
  rmSync(join(path, 'CURRENT'));
  return path;
}

describe('a damaged store folder', () => {
  it('is named as damaged with the repair to run, by every offline command (exit 1), and left as it is', async () => {
    const path = await withoutCurrent();
    const files = readdirSync(path).filter((n) => n.endsWith('.ldb') || n.endsWith('.log'));
    for (const args of [['streams'], ['events', 'account/alice'], ['stats'], ['verify']]) {
      const r = await cli([...args, '--data', path]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('damaged store, run actorfold repair');
      expect(r.stderr).toContain(`actorfold repair --data ${path}`);
      expect(r.stderr).not.toContain('not a store folder');
      expect(r.stderr).not.toMatch(STACK);
    }
    expect(readdirSync(path).filter((n) => n.endsWith('.ldb') || n.endsWith('.log'))).toEqual(files);
    expect(existsSync(join(path, 'CURRENT'))).toBe(false);
  });

  it('whose newest log was cut short fails verify (exit 1) naming the positions that vanished', async () => {
    const path = await truncatedLog();
    const r = await cli(['verify', '--data', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/tail .* positions \d+\.\.155 \(\d+ events\) were acknowledged and are missing/);
    const json = await cli(['verify', '--data', path, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.lostTail?.to).toBe(155);
    expect(report.problems[0]).toMatchObject({ kind: 'tail', position: report.lostTail?.from });
    // Other offline commands refuse it rather than show a store that silently lost events.
    const streams = await cli(['streams', '--data', path]);
    expect(streams.code).toBe(1);
    expect(streams.stderr).toMatch(/damaged store, run actorfold repair: .*positions \d+\.\.155 are missing/);
  });
});

describe('actorfold repair', () => {
  it('brings back every event of a folder without CURRENT, keeps a backup, and verifies (exit 0)', async () => {
    const path = await withoutCurrent();
    const r = await cli(['repair', '--data', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RepairReport;
    expect(report).toMatchObject({
      ok: true,
      repaired: path,
      recordedLastPosition: 155,
      lastPosition: 155,
      lostTail: null,
      verify: { ok: true, streams: 32, events: 155, logEvents: 155 },
    });
    expect(report.original).toMatch(new RegExp(`^${path}\\.backup-`));
    expect(existsSync(join(report.original, 'CURRENT'))).toBe(false);
    expect((await cli(['verify', '--data', path])).code).toBe(0);
  });

  it('says which acknowledged positions were lost (exit 1), repairs a copy with --into and leaves the folder', async () => {
    const path = await truncatedLog();
    const into = join(freshDir(), 'repaired');
    const r = await cli(['repair', '--data', path, '--into', into]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`repaired ${into} (left as it was: ${path})`);
    expect(r.stdout).toMatch(/LOST positions \d+\.\.155 \(\d+ acknowledged events\)/);
    expect(r.stderr).toContain('repaired, but acknowledged events were lost');
    // The copy serves again; the original still shows the loss.
    expect((await cli(['verify', '--data', into])).code).toBe(0);
    expect((await cli(['verify', '--data', path])).code).toBe(1);
  });

  it('refuses a folder that holds no store (exit 4) and bad options (exit 2)', async () => {
    const empty = freshDir();
    const r = await cli(['repair', '--data', empty]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('holds no LevelDB store to repair');
    expect(readdirSync(join(empty, '..')).filter((n) => n.includes('backup'))).toEqual([]);
    const both = await cli(['repair', '--data', empty, '--backup', 'a', '--into', 'b']);
    expect(both.code).toBe(2);
  });
});

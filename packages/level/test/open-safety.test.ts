/**
 * A store is created only in a missing or empty folder: a folder holding a broken database is
 * refused (DAMAGED), never opened as a new one over its table files.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime, isActorfoldError, type StoreError } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';

async function openError(path: string, opts: { create?: boolean } = {}): Promise<StoreError> {
  const error = await levelStore({ path, ...opts }).then(
    async (s) => {
      await s.close();
      throw new Error('the open succeeded');
    },
    (e: unknown) => e,
  );
  expect(isActorfoldError(error)).toBe(true);
  return error as StoreError;
}

/** Every file of the folder with its size: what "nothing deleted" compares. */
function contents(path: string): Record<string, number> {
  return Object.fromEntries(
    readdirSync(path)
      .filter((n) => n !== 'LOCK' && n !== 'LOG' && n !== 'LOG.old')
      .map((n) => [n, statSync(join(path, n)).size]),
  );
}

/** 5,000 commands through a runtime, in bursts, so LevelDB writes table files as well as a log. */
async function seeded(): Promise<string> {
  const path = freshFolder();
  const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
  for (let burst = 0; burst < 50; burst++) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        runtime.get(ledger, `l${i}`).execute({ type: 'record', tag: `b${burst}`, parts: 1 }),
      ),
    );
  }
  await runtime.shutdown();
  return path;
}

describe('opening a store folder', () => {
  it('refuses a folder of 5,000 commands whose CURRENT is gone with DAMAGED naming folder and repair, and deletes nothing', async () => {
    const path = await seeded();
    rmSync(join(path, 'CURRENT'));
    const before = contents(path);
    expect(Object.keys(before).some((n) => n.endsWith('.ldb') || n.endsWith('.log'))).toBe(true);

    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'DAMAGED' });
    expect(error.message).toContain(path);
    expect(error.message).toContain('no CURRENT file');
    expect(error.message).toContain(`actorfold repair --data ${path}`);
    // Refused twice: no open left a new database behind.
    await expect(openError(path)).resolves.toMatchObject({ reason: 'DAMAGED' });
    expect(contents(path)).toEqual(before);
  });

  it('refuses a folder whose CURRENT names a missing manifest, and one whose CURRENT is garbage', async () => {
    const path = await seeded();
    const manifest = readFileSync(join(path, 'CURRENT'), 'utf8').trim();
    rmSync(join(path, manifest));
    const before = contents(path);
    const missing = await openError(path);
    expect(missing).toMatchObject({ reason: 'DAMAGED' });
    expect(missing.message).toContain(`names ${manifest}, which is missing`);
    expect(contents(path)).toEqual(before);

    writeFileSync(join(path, 'CURRENT'), 'nonsense\n');
    expect(await openError(path)).toMatchObject({ reason: 'DAMAGED' });
  });

  it('refuses a folder whose manifest lists a table file that is gone (LevelDB sees the damage)', async () => {
    const path = await seeded();
    const db = new ClassicLevel(path);
    await db.open();
    await db.compactRange('\u0000', '\uffff'); // everything into table files the manifest lists
    await db.close();
    const table = readdirSync(path).find((n) => n.endsWith('.ldb'));
    expect(table).toBeDefined();
    rmSync(join(path, table as string));
    const error = await openError(path);
    expect(error).toMatchObject({ reason: 'DAMAGED' });
    expect(error.message).toContain('actorfold repair');
  });

  it('creates a store in a missing folder and in an empty one (a leftover LOCK or LOG counts as empty)', async () => {
    const missing = freshFolder();
    await (await levelStore({ path: missing })).close();
    const empty = freshFolder();
    mkdirSync(empty);
    writeFileSync(join(empty, 'LOCK'), '');
    const store = await levelStore({ path: empty });
    await store.append('a/1', [{ data: { type: 'x' } }], { expectedVersion: 0 });
    await store.close();
    const reopened = await levelStore({ path: empty });
    expect(await reopened.lastPosition()).toBe(1);
    await reopened.close();
  });

  it('refuses to create a store in a folder of other files, touching none of them', async () => {
    const path = freshFolder();
    mkdirSync(path);
    writeFileSync(join(path, 'notes.txt'), 'mine');
    const error = await openError(path);
    expect(error).toMatchObject({ reason: 'NOT_FOUND' });
    expect(error.message).toContain('notes.txt');
    expect(readdirSync(path)).toEqual(['notes.txt']);
  });

  it('with create: false, refuses a missing or empty folder with NOT_FOUND and creates nothing, and opens an existing store', async () => {
    const missing = freshFolder();
    const error = await openError(missing, { create: false });
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'NOT_FOUND' });
    expect(error.message).toContain(missing);
    expect(() => statSync(missing)).toThrow();

    const empty = freshFolder();
    mkdirSync(empty);
    expect(await openError(empty, { create: false })).toMatchObject({ reason: 'NOT_FOUND' });
    expect(readdirSync(empty)).toEqual([]);

    const existing = await seeded();
    const store = await levelStore({ path: existing, create: false });
    expect(await store.lastPosition()).toBe(5_000);
    await store.close();
  });
});

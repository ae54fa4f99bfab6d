import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isActorfoldError, type StoreError } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';

/** A private mount namespace (as an unprivileged user namespace) lets the test bind-mount a folder. */
function canBindMount(): boolean {
  try {
    execFileSync('unshare', ['-rm', 'sh', '-c', 'mount --bind /tmp /mnt'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function openError(path: string): Promise<StoreError> {
  const started = performance.now();
  const error = await levelStore({ path }).then(
    async (s) => {
      await s.close();
      throw new Error('the second open succeeded');
    },
    (e: unknown) => e,
  );
  expect(isActorfoldError(error)).toBe(true);
  // Fails fast: no retry loop waiting for the lock (a generous bound, not a speed test).
  expect(performance.now() - started).toBeLessThan(5_000);
  return error as StoreError;
}

describe('the store folder lock', () => {
  it('refuses a second open in the same process with STORE_ERROR reason LOCKED naming the folder', async () => {
    const path = freshFolder();
    const first = await levelStore({ path });
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'LOCKED' });
    expect(error.message).toContain(path);
    await first.close();
    // Released on close: the folder opens again.
    await (await levelStore({ path })).close();
  });

  it('refuses a second open through a symlink, a `..` detour or a trailing slash with LOCKED: one writer per folder', async () => {
    const path = freshFolder();
    const first = await levelStore({ path });
    const link = freshFolder('link');
    symlinkSync(path, link);
    const detour = join(path, '..', path.split('/').pop() as string);
    for (const spelling of [link, `${path}/`, detour, `${link}/.`]) {
      const error = await openError(spelling);
      expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'LOCKED' });
    }
    // The two writers of the issue: the second runtime never gets to acknowledge anything.
    await first.append('a/1', [{ data: { type: 'x' } }], { expectedVersion: 0 });
    await first.close();
    // Released on close, for every spelling.
    const again = await levelStore({ path: link });
    expect(await again.streamVersion('a/1')).toBe(1);
    expect(await openError(path)).toMatchObject({ reason: 'LOCKED' });
    await again.close();
  });

  it.skipIf(!canBindMount())(
    'refuses a second open through a bind mount of the folder with LOCKED',
    async () => {
      const path = freshFolder();
      mkdirSync(path);
      const mount = freshFolder('bind');
      mkdirSync(mount);
      const child = startChild('two-spellings', [path, mount], {
        wrap: ['unshare', '-rm', 'sh', '-c', `mount --bind ${path} ${mount} && exec "$@"`, 'sh'],
      });
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      expect(JSON.parse(child.lines.at(-1) as string)).toMatchObject({
        opened: false,
        code: 'STORE_ERROR',
        reason: 'LOCKED',
      });
    },
  );

  it('releases the folder when an open fails after taking it', async () => {
    const path = freshFolder();
    const db = new ClassicLevel<string, string>(path);
    await db.open();
    await db.put('mformat', '99'); // a format this version refuses, found after the folder is taken
    await db.close();
    const other = freshFolder('link');
    symlinkSync(path, other);
    for (const spelling of [path, other, path]) {
      const error = await openError(spelling);
      expect(error).toMatchObject({ reason: 'IO' });
      expect(error.message).toContain('store format "99" is not supported');
    }
  });

  it('refuses an open while another process holds the folder, and opens once that process is SIGKILLed', async () => {
    const path = freshFolder();
    const holder = startChild('lock-holder', [path]);
    await holder.waitFor('READY');
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'LOCKED' });
    expect(error.message).toContain(path);
    holder.process.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    const store = await levelStore({ path });
    expect(await store.streamVersion('a/1')).toBe(0);
    await store.close();
  });

  it('reports a folder that cannot be opened as STORE_ERROR reason IO naming it', async () => {
    const path = freshFolder('not-a-folder');
    writeFileSync(path, 'a file where the folder should be');
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'IO' });
    expect(error.message).toContain(path);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRuntime } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';

/** A private mount namespace (as an unprivileged user namespace) lets the test mount a tiny tmpfs. */
function canMountTmpfs(): boolean {
  try {
    execFileSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

describe('write errors', () => {
  it.skipIf(!canMountTmpfs())(
    'rejects the append that hits a full disk with STORE_ERROR reason IO and leaves the actor state unchanged',
    async () => {
      const mount = freshFolder('tmpfs');
      mkdirSync(mount);
      const child = startChild('disk-full-child', [`${mount}/store`], {
        wrap: ['unshare', '-rm', 'sh', '-c', `mount -t tmpfs -o size=2m tmpfs ${mount} && exec "$@"`, 'sh'],
      });
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      const report = JSON.parse(child.lines.at(-1) as string);
      expect(report.acked).toBeGreaterThan(0);
      expect(report.failure).toMatchObject({ code: 'STORE_ERROR', reason: 'IO' });
      expect(report.failure.message).toMatch(/space/i);
      expect(report.failure.message).toContain(`${mount}/store`);
      // The actor stayed alive, at exactly the acknowledged commands.
      expect(report.after).toEqual({ version: report.acked, count: report.acked });
      expect(report.alive).toBe(true);
    },
    30_000,
  );

  it('rejects appends after the store was closed under a running runtime with STORE_ERROR reason CLOSED', async () => {
    const store = await levelStore({ path: freshFolder() });
    const runtime = await createRuntime({ store, aggregates: [ledger] });
    const h = runtime.get(ledger, 'l1');
    await h.execute({ type: 'record', tag: 'a', parts: 2 });
    await store.close();
    await expect(h.execute({ type: 'record', tag: 'b', parts: 1 })).rejects.toMatchObject({
      code: 'STORE_ERROR',
      reason: 'CLOSED',
    });
    await runtime.shutdown();
  });
});

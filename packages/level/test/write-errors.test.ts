import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRuntime } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { failingSyncLibrary } from './support/failing-sync.js';
import { freshFolder } from './support/folders.js';
import { DEDUPE_WINDOW, ledger } from './support/ledger.js';

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

const failingSync = failingSyncLibrary();

/**
 * The report of one run of the disk-full child on a private 2 MB tmpfs (it fills the disk, frees
 * room, reopens): both full-disk tests read it, so the child runs once per file.
 */
let diskFull: Promise<{ mount: string; report: DiskFullReport }> | undefined;
/** The child's JSON report, checked field by field in the tests. */
type DiskFullReport = ReturnType<typeof JSON.parse>;
function diskFullReport(): Promise<{ mount: string; report: DiskFullReport }> {
  diskFull ??= (async () => {
    const mount = freshFolder('tmpfs');
    mkdirSync(mount);
    const child = startChild('disk-full-child', [`${mount}/store`], {
      wrap: ['unshare', '-rm', 'sh', '-c', `mount -t tmpfs -o size=2m tmpfs ${mount} && exec "$@"`, 'sh'],
    });
    const { code } = await child.exited;
    expect(code, child.stderr()).toBe(0);
    return { mount, report: JSON.parse(child.lines.at(-1) as string) as DiskFullReport };
  })();
  return diskFull;
}

describe('write errors', () => {
  it.skipIf(!canMountTmpfs())(
    'rejects the append that hits a full disk with STORE_ERROR reason IO and leaves the actor state unchanged',
    async () => {
      const { mount, report } = await diskFullReport();
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

  it.skipIf(!canMountTmpfs())(
    'after a write failed on a full disk the store takes no write until reopened, says so through writeRefusal() and onWriteRefusal, and every acknowledged command survives the reopening',
    async () => {
      const { report } = await diskFullReport();
      // LevelDB may have logged part of the failed batch: its callers hear the outcome is unknown.
      expect(report.failure).toMatchObject({ code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: true });
      expect(report.failure.message).toMatch(/outcome is unknown/);
      // With room again, LevelDB would acknowledge the next command and lose it on reopening
      // (its log holds the torn record): the store refuses it instead.
      expect(report.ackedAfterFree).toBe(false);
      expect(report.afterFree).toMatchObject({ code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: false });
      expect(report.afterFree.message).toMatch(/refuses writes .*reopen/);
      expect(report.stored).toBeGreaterThanOrEqual(report.acked);
      expect(report.stored).toBeLessThanOrEqual(report.acked + 1);
      // The refusal is the store's state, told once to listeners, and gone once it is reopened.
      expect(report.refusal).toEqual(report.afterFree);
      expect(report.refusal.message).toMatch(/refuses writes .*No space left on device.*reopen it/);
      expect(report.heard).toEqual([report.refusal]);
      expect(report.reopenedRefusal).toBeNull();
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

  it.skipIf(failingSync === undefined)(
    'a failed fsync fails the append as outcome unknown, no later write is taken before reopening (writeRefusal() and onWriteRefusal say why), and the reopened store holds the events once, so a resend with the same commandId appends nothing',
    async () => {
      const folder = freshFolder();
      const flag = `${folder}-flag`;
      const child = startChild('failed-sync-child', [folder, flag], {
        wrap: ['env', `LD_PRELOAD=${failingSync}`, `AF_FAIL_SYNC=${flag}`],
      });
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      const report = JSON.parse(child.lines.at(-1) as string);
      expect(report.c1).toEqual({ ok: true });
      expect(report.c2).toMatchObject({ ok: false, code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: true });
      expect(report.c2.message).toMatch(/Input\/output error.*outcome is unknown.*same commandId/);
      expect(report.c3).toMatchObject({
        ok: false,
        code: 'STORE_ERROR',
        reason: 'IO',
        outcomeUnknown: false,
      });
      expect(report.c3.message).toMatch(/refuses writes since a write failed with an unknown outcome/);
      expect(report.version).toBe(2);
      // The store tells why it refuses writes: asked, once to its listeners, and after close too.
      expect(report.refusalBefore).toBeNull();
      expect(report.refusal).toEqual({ ...report.c3, ok: undefined });
      expect(report.heard).toEqual([report.refusal]);
      expect(report.refusalAfterClose).toBe(report.c3.message);
      // LevelDB itself takes no write after a failed sync either.
      expect(report.rawFailed.ok).toBe(false);
      expect(report.rawAfter.ok).toBe(false);

      // Reopened, the log replays the batch whose sync failed: c2, reported failed, is stored, at
      // the versions and positions that follow c1's; nothing was written over it.
      const store = await levelStore({ path: folder });
      expect(store.writeRefusal()).toBeUndefined();
      const events = [];
      for await (const e of store.readAll()) events.push(e);
      expect(
        events.map((e) => [e.streamId, e.version, e.position, (e.data as unknown as { tag: string }).tag]),
      ).toEqual([
        ['ledger/l1', 1, 1, 'c1'],
        ['ledger/l1', 2, 2, 'c1'],
        ['ledger/l1', 3, 3, 'c2'],
        ['ledger/l1', 4, 4, 'c2'],
      ]);
      const runtime = await createRuntime({ store, aggregates: [ledger], dedupeWindow: DEDUPE_WINDOW });
      const h = runtime.get(ledger, 'l1');
      const resent = await h.execute({ type: 'record', tag: 'c2', parts: 2 }, { commandId: 'c2' });
      expect(resent.deduplicated).toBe(true);
      await h.execute({ type: 'record', tag: 'c3', parts: 2 }, { commandId: 'c3' });
      expect(await store.streamVersion('ledger/l1')).toBe(6);
      await runtime.shutdown();
      await store.close();
    },
    30_000,
  );

  it.skipIf(failingSync === undefined)(
    'a checkpoint write whose fsync failed fails as outcome unknown and makes the store refuse every later write (append, snapshot, checkpoint), reported by writeRefusal() and onWriteRefusal, whose throwing listener disturbs nothing',
    async () => {
      const folder = freshFolder();
      const flag = `${folder}-flag`;
      const child = startChild('failed-sync-child', [folder, flag, 'checkpoint'], {
        wrap: ['env', `LD_PRELOAD=${failingSync}`, `AF_FAIL_SYNC=${flag}`],
      });
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      const report = JSON.parse(child.lines.at(-1) as string);
      expect(report.cp1).toEqual({ ok: true });
      expect(report.cp2).toMatchObject({
        ok: false,
        code: 'STORE_ERROR',
        reason: 'IO',
        outcomeUnknown: true,
      });
      expect(report.cp2.message).toMatch(
        /saving a checkpoint failed .*Input\/output error.*outcome is unknown/,
      );
      expect(report.refusal).toMatchObject({ code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: false });
      expect(report.refusal.message).toMatch(
        /refuses writes since a write failed with an unknown outcome \(.*Input\/output error.*\): reopen it/,
      );
      expect(report.heard).toEqual([report.refusal]);
      for (const later of [report.append, report.snapshot, report.cp3])
        expect(later).toEqual({ ok: false, ...report.refusal });
      expect(report.uncaught).toEqual(['Error: a listener bug']);
    },
    30_000,
  );
});

/**
 * `pipelinedAppends` and `AppendOptions.chain` on levelStore: several appends of one stream in
 * flight at once are checked in call order against the heads the earlier ones leave, and once one
 * of a chain fails, every later one of it fails, even one whose expectedVersion matches.
 */
import { type AppendChain, isVersionConflict } from '@actorfold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

const ev = (tag: string) => ({ data: { type: 'E', tag } });
const settled = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isVersionConflict(e) ? 'conflict' : String(e)),
  );

describe('levelStore: appends of one stream in flight together (pipelinedAppends, chain)', () => {
  let store: LevelStore;
  beforeAll(async () => {
    store = await levelStore({ path: freshFolder('chain') });
  });
  afterAll(async () => {
    await store.close();
  });

  it('declares pipelinedAppends, and stores appends issued before the earlier are durable, in call order', async () => {
    expect(store.pipelinedAppends).toBe(true);
    const chain: AppendChain = { failed: false };
    // Each expects the version the one before it leaves; none waits for the one before.
    const appends = [0, 2, 3, 4].map((expectedVersion, i) =>
      store.append('in-order/1', i === 0 || i === 3 ? [ev(`a${i}`), ev(`b${i}`)] : [ev(`a${i}`)], {
        expectedVersion,
        chain,
      }),
    );
    const results = await Promise.all(appends);
    expect(results.map((r) => r.map((e) => e.version))).toEqual([[1, 2], [3], [4], [5, 6]]);
    expect(chain.failed).toBe(false);
  });

  it('fails the later appends of a chain after a conflict, even one whose version another writer made match', async () => {
    await store.append('gap/1', [ev('other')], { expectedVersion: 0 });
    const chain: AppendChain = { failed: false };
    // Issued in one tick: the same group commit. The first expected version 0 (taken by another
    // writer); the second expects version 1, which is now the head, but was decided on the first.
    const first = settled(store.append('gap/1', [ev('mine-1')], { expectedVersion: 0, chain }));
    const second = settled(store.append('gap/1', [ev('mine-2')], { expectedVersion: 1, chain }));
    expect([await first, await second]).toEqual(['conflict', 'conflict']);
    expect(chain.failed).toBe(true);
    // Across group commits too: an append of the failed chain issued later still fails.
    expect(await settled(store.append('gap/1', [ev('mine-3')], { expectedVersion: 1, chain }))).toBe(
      'conflict',
    );
    expect(await store.streamVersion('gap/1')).toBe(1);
    // A new chain (the writer decided again) appends.
    await store.append('gap/1', [ev('again')], { expectedVersion: 1, chain: { failed: false } });
    expect(await store.streamVersion('gap/1')).toBe(2);
  });

  it('fails the later appends of a chain after one refused before it was queued', async () => {
    const chain: AppendChain = { failed: false };
    const bad = settled(
      store.append('refused/1', [{ data: { type: '' } }] as never, { expectedVersion: 0, chain }),
    );
    const later = settled(store.append('refused/1', [ev('x')], { expectedVersion: 0, chain }));
    expect(await bad).not.toBe('ok');
    expect(await later).toBe('conflict');
    expect(await store.streamVersion('refused/1')).toBe(0);
  });
});

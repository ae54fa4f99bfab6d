/**
 * On a real LevelDB folder, `h.watch()` follows appends made straight through the store object
 * (not through a handle) without any further request reaching the aggregate.
 */
import { createRuntime } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';

describe('watch on a LevelDB store', () => {
  it('delivers an append made through store.append to the watcher, resident actor or not', async () => {
    const store = await levelStore({ path: freshFolder() });
    const rt = await createRuntime({ store, aggregates: [ledger] });
    try {
      await rt.get(ledger, 'w').execute({ type: 'record', tag: 't1', parts: 1 });
      const seen: number[] = [];
      const watching = (async () => {
        for await (const u of rt.get(ledger, 'w').watch()) {
          seen.push(u.version);
          if (u.version >= 3) return;
        }
      })();
      await expect.poll(() => seen).toEqual([1]);
      const record = (tag: string) => ({ data: { type: 'Recorded', tag, part: 0, of: 1 } });
      await store.append('ledger/w', [record('t2')], { expectedVersion: 1 });
      await expect.poll(() => seen).toEqual([1, 2]);
      await rt.evict(ledger, 'w');
      await store.append('ledger/w', [record('t3')], { expectedVersion: 2 });
      await watching;
      expect(seen).toEqual([1, 2, 3]);
    } finally {
      await rt.shutdown();
    }
  });
});

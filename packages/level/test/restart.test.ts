import { createRuntime, type EventEnvelope, type Runtime } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';

async function open(path: string): Promise<Runtime> {
  return createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
}

describe('a runtime restarted on the same folder', () => {
  it('has the same state, continues positions, remembers commandIds and restores from snapshots', async () => {
    const path = freshFolder();
    const first = await open(path);
    const results: Record<string, { version: number; state: unknown }> = {};
    let lastPosition = 0;
    for (let i = 0; i < 30; i++) {
      const id = `l${i % 3}`;
      const r = await first.get(ledger, id).execute(
        { type: 'record', tag: `t${i}`, parts: 1 + (i % 2) },
        {
          commandId: `c${i}`,
        },
      );
      results[id] = { version: r.version, state: r.state };
      lastPosition = (r.events.at(-1) as EventEnvelope).position;
    }
    await first.shutdown();

    const second = await open(path);
    for (const [id, expected] of Object.entries(results)) {
      expect(await second.get(ledger, id).state()).toEqual(expected);
    }
    // Every stream is past 7 events, so each activation started from a snapshot (every: 7).
    expect(second.metrics().counters.snapshotHits).toBe(3);
    expect((await second.store.snapshots.list('ledger/l0')).length).toBeGreaterThan(0);

    // A commandId from before the restart appends nothing and returns the original events.
    const again = await second
      .get(ledger, 'l0')
      .execute({ type: 'record', tag: 't0', parts: 1 }, { commandId: 'c0' });
    expect(again.deduplicated).toBe(true);
    expect(again.events.map((e) => e.version)).toEqual([1]);
    expect((await second.get(ledger, 'l0').state()).version).toBe(results.l0?.version);

    // Positions continue after the last one written before the restart.
    const next = await second.get(ledger, 'l9').execute({ type: 'record', tag: 'new', parts: 2 });
    expect(next.events.map((e) => e.position)).toEqual([lastPosition + 1, lastPosition + 2]);
    await second.shutdown();
  });

  it('keeps checkpoints across a restart', async () => {
    const path = freshFolder();
    const store = await levelStore({ path });
    await store.checkpoints.set('balances', 42);
    await store.close();
    const reopened = await levelStore({ path });
    expect(await reopened.checkpoints.get('balances')).toBe(42);
    await reopened.close();
  });
});

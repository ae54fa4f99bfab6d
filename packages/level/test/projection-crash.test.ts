/**
 * Exactly-once projections on a real folder, against SIGKILL: a child process runs the `tally`
 * projection while it appends; we kill it at random moments, then check that the read model
 * saved with the checkpoint is exactly the fold of the log up to that checkpoint, and that
 * resuming reaches the same read model as a clean rebuild.
 */
import { createRuntime, defineProjection } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';
import { emptyTally, foldTally, type Tally, tally } from './support/tally.js';

const ROUNDS = process.env.ACTORFOLD_SOAK === undefined ? 4 : 25;

describe('an exactly-once projection killed with SIGKILL', () => {
  it(`keeps its read model equal to a clean fold up to its checkpoint, over ${ROUNDS} kills`, async () => {
    const path = freshFolder('projection');
    const checkpoints: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const child = startChild('projection-child', [path]);
      await child.waitFor('CHECKPOINTED');
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
      child.process.kill('SIGKILL');
      expect((await child.exited).signal, child.stderr()).toBe('SIGKILL');

      const store = await levelStore({ path });
      const saved = await store.checkpoints.getState?.('tally');
      expect(saved, 'the projection saved a checkpoint').toBeDefined();
      const { position, state } = saved as { position: number; state: Tally };
      let clean = emptyTally();
      for await (const e of store.readAll({ limit: position }))
        if (e.type === 'Recorded') clean = foldTally(clean, e);
      expect(state).toEqual(clean);
      checkpoints.push(position);
      await store.close();
    }
    // The checkpoint only moves forward across kills.
    expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));

    // Resumed, it reaches exactly what a rebuild from scratch reaches.
    const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
    const last = (await runtime.store.lastPosition?.()) as number;
    const resumed = runtime.project(tally);
    const rebuilt = runtime.project(defineProjection({ ...tallySpec(), name: 'tally-rebuild' }));
    await Promise.all([resumed.waitFor(last), rebuilt.waitFor(last)]);
    expect(resumed.state()).toEqual(rebuilt.state());
    expect(resumed.state().positionSum).toBe((last * (last + 1)) / 2);
    await runtime.shutdown();
  }, 60_000);
});

function tallySpec() {
  return { init: emptyTally, handlers: { Recorded: foldTally } };
}

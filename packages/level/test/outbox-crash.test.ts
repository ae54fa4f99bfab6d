/**
 * At-least-once projections on a real folder, against SIGKILL: a child process runs the `outbox`
 * projection, whose handler forwards each position to a journal file, while it appends; we kill
 * it at random moments (between a forward and the checkpoint after it, among others), restart
 * it, and finally let it catch up. The promise of 'at-least-once': every event is handled, in
 * position order, and after a crash only the events since the last checkpoint come again. No
 * event is ever skipped.
 */
import { join } from 'node:path';
import { createRuntime } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';
import { ledger } from './support/ledger.js';
import { journalPositions, outbox } from './support/outbox.js';

const ROUNDS = process.env.ACTORFOLD_SOAK === undefined ? 4 : 25;

describe('an at-least-once projection killed with SIGKILL', () => {
  it(`hands every event to its handler, in order, skipping none, over ${ROUNDS} kills`, async () => {
    const path = freshFolder('outbox');
    const journal = join(path, '..', `${path.split('/').at(-1)}.journal`);
    const resumedAt: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const child = startChild('outbox-child', [path, journal]);
      await child.waitFor('CHECKPOINTED');
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
      child.process.kill('SIGKILL');
      expect((await child.exited).signal, child.stderr()).toBe('SIGKILL');

      const store = await levelStore({ path });
      const checkpoint = (await store.checkpoints.get('outbox')) as number;
      const forwarded = journalPositions(journal);
      // The checkpoint never passes an event that was not forwarded.
      expect(Math.max(0, ...forwarded)).toBeGreaterThanOrEqual(checkpoint);
      resumedAt.push(checkpoint);
      await store.close();
    }

    // Resumed once more, it catches up with the whole log.
    const runtime = await createRuntime({ store: levelStore({ path }), aggregates: [ledger] });
    const last = (await runtime.store.lastPosition?.()) as number;
    await runtime.project(outbox(journal)).waitFor(last);
    await runtime.shutdown();

    const forwarded = journalPositions(journal);
    expect(forwarded[0]).toBe(1);
    // In order, and never ahead of the next event: a step back is a redelivery after a kill
    // (allowed, at-least-once), a step forward by more than one would be a skipped event.
    const jumps = forwarded.flatMap((p, i) =>
      i > 0 && p > (forwarded[i - 1] as number) + 1 ? [[forwarded[i - 1], p]] : [],
    );
    expect(jumps).toEqual([]);
    expect(new Set(forwarded).size).toBe(last);
    expect(Math.max(...forwarded)).toBe(last);
    // Redelivered only from a saved checkpoint on: each step back resumes right after one.
    const backs = forwarded.flatMap((p, i) => (i > 0 && p <= (forwarded[i - 1] as number) ? [p - 1] : []));
    for (const from of backs) expect(resumedAt).toContain(from);
  }, 60_000);
});

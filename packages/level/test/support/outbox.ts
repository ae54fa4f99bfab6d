/**
 * The at-least-once projection of the outbox crash test: its handler forwards each event's
 * position to a journal file (its "other system") before the projection's checkpoint may move
 * past it, so the journal shows any event skipped, and any handled again, across SIGKILLs.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { defineProjection } from '@actorfold/core';

export function outbox(journal: string) {
  return defineProjection<null>({
    name: 'outbox',
    init: () => null,
    mode: 'at-least-once',
    handlers: {
      async Recorded(_s, e) {
        // A round trip to the other system, then the forward (one write(2), whole even under
        // SIGKILL): a kill may land before, inside or after it, and before the checkpoint.
        if (e.position % 3 === 0) await new Promise((r) => setImmediate(r));
        appendFileSync(journal, `${e.position}\n`);
        return undefined;
      },
    },
    // Small and odd, so kills land at every distance from a checkpoint.
    commitEvery: 7,
  });
}

/** The positions the journal holds, in the order they were forwarded. */
export function journalPositions(journal: string): number[] {
  if (!existsSync(journal)) return [];
  return readFileSync(journal, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
}

/** The read model of the projection crash test: a fold that shows any event counted twice or missed. */
import { defineProjection, type EventEnvelope } from '@actorfold/core';

export interface Tally {
  events: number;
  byStream: Record<string, number>;
  /** Positions folded, as a checksum: each position counted once gives n(n+1)/2 over a gap-free log. */
  positionSum: number;
}

export const emptyTally = (): Tally => ({ events: 0, byStream: {}, positionSum: 0 });

export function foldTally(t: Tally, e: EventEnvelope): Tally {
  t.events++;
  t.byStream[e.streamId] = (t.byStream[e.streamId] ?? 0) + 1;
  t.positionSum += e.position;
  return t;
}

export const tally = defineProjection<Tally>({
  name: 'tally',
  init: emptyTally,
  handlers: { Recorded: foldTally },
  // Small, so the SIGKILLs land between many commits.
  commitEvery: 5,
});

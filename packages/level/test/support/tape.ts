/**
 * A tape of marks, written by a first definition (event schema 1) and read by a second (schema 2)
 * whose upcasters are deliberately not idempotent: each appends `+` to a mark, so a mark upcast
 * twice shows `++`. Every upcaster call is also counted per stored event (`stream@version`).
 * - Marked@1 → Marked with `+` appended;
 * - Doubled@1 → two Marked (`+a`, `+b`), folded in order under the stored version;
 * - Erased@1 → nothing.
 */
import { type DomainEvent, defineAggregate, type EventEnvelope, upcaster } from '@actorfold/core';

export type TapeV1Event =
  | { type: 'Marked'; mark: string }
  | { type: 'Doubled'; mark: string }
  | { type: 'Erased' };

export const tapeV1 = defineAggregate<string[], { type: 'write'; event: TapeV1Event }, TapeV1Event>({
  type: 'tape',
  initialState: () => [],
  decide: (_s, c) => [c.event],
  evolve: (s, e) => (e.type === 'Marked' ? [...s, e.mark] : s),
});

type Marked = { type: 'Marked'; mark: string };

/** Upcaster calls per stored event, `stream@version` → count. */
export const upcasterCalls = new Map<string, number>();

function count(stored: EventEnvelope): void {
  const key = `${stored.streamId}@${stored.version}`;
  upcasterCalls.set(key, (upcasterCalls.get(key) ?? 0) + 1);
}

export const tapeV2 = defineAggregate<string[], { type: 'mark'; mark: string }, Marked>({
  type: 'tape',
  eventSchemaVersion: 2,
  upcasters: [
    upcaster<Marked, Marked>('Marked', 1, (e, stored) => {
      count(stored);
      return { type: 'Marked', mark: `${e.mark}+` };
    }),
    upcaster<{ type: 'Doubled'; mark: string }, Marked>('Doubled', 1, (e, stored) => {
      count(stored);
      return [
        { type: 'Marked', mark: `${e.mark}+a` },
        { type: 'Marked', mark: `${e.mark}+b` },
      ];
    }),
    upcaster<DomainEvent>('Erased', 1, (_e, stored) => {
      count(stored);
      return [];
    }),
  ],
  initialState: () => [],
  decide: (_s, c) => [{ type: 'Marked', mark: c.mark }],
  evolve: (s, e) => [...s, e.mark],
});

/** The marks the second definition folds from `events` stored at schema 1. */
export function expectedMarks(events: readonly TapeV1Event[]): string[] {
  return events.flatMap((e) =>
    e.type === 'Marked' ? [`${e.mark}+`] : e.type === 'Doubled' ? [`${e.mark}+a`, `${e.mark}+b`] : [],
  );
}

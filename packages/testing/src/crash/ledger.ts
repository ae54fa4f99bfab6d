/**
 * The aggregate of the crash tests: each command records a tag as `parts` events, so a torn
 * (partly stored) command, a duplicate or a lost acknowledged command shows in the stream.
 */
import { defineAggregate } from '@actorfold/core';

export type LedgerCommand = { type: 'record'; tag: string; parts: number };
export type LedgerEvent = { type: 'Recorded'; tag: string; part: number; of: number };
export interface LedgerState {
  events: number;
  commands: number;
}

export const ledger = defineAggregate<LedgerState, LedgerCommand, LedgerEvent>({
  type: 'ledger',
  initialState: () => ({ events: 0, commands: 0 }),
  decide(_state, cmd) {
    return Array.from({ length: cmd.parts }, (_, part) => ({
      type: 'Recorded',
      tag: cmd.tag,
      part,
      of: cmd.parts,
    }));
  },
  evolve(state, e) {
    return { events: state.events + 1, commands: state.commands + (e.part === e.of - 1 ? 1 : 0) };
  },
  // Snapshots and evictions happen while the process is killed, so recovery from both is exercised.
  snapshots: { every: 7, schemaVersion: 1, onEvict: true },
});

/** A generous window: the tests re-send every acknowledged commandId, however old. */
export const DEDUPE_WINDOW = 1_000_000;

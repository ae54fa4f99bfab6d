/**
 * The verdict of a crash test on the `ledger` aggregate (@actorfold/testing/crash): what every
 * store must hold after processes were killed mid-work.
 */
import type { EventEnvelope, EventStore } from '@actorfold/core';
import type { LedgerEvent } from './crash/ledger.js';
import { vitest } from './vitest-api.js';

export interface LedgerExpectations {
  /** Every ledger stream the test wrote to, e.g. `ledger/l0`. */
  streams: readonly string[];
  /** The commands whose `execute` resolved: each must be stored, in its stream. */
  acknowledged: Iterable<{ streamId: string; tag: string }>;
}

/**
 * Asserts that every stream has contiguous versions from 1; that every command is stored whole
 * (one run of its `parts` events, each carrying its commandId) and at most once across all
 * streams; that every acknowledged command is stored in its stream; and that the global log holds
 * exactly the streams' events at positions 1..n. Returns n.
 */
export async function verifyLedger(store: EventStore, expected: LedgerExpectations): Promise<number> {
  const { expect } = vitest('verifyLedger');
  let total = 0;
  const seen = new Map<string, string>();
  for (const streamId of expected.streams) {
    const events: EventEnvelope[] = [];
    for await (const e of store.readStream(streamId)) events.push(e);
    total += events.length;
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    for (let i = 0; i < events.length; ) {
      const first = events[i]?.data as LedgerEvent;
      expect(seen.has(first.tag), `${first.tag} stored twice`).toBe(false);
      seen.set(first.tag, streamId);
      for (let part = 0; part < first.of; part++) {
        const e = events[i + part];
        expect(e?.data, `${streamId}@${i + part + 1}: command ${first.tag} torn`).toEqual({
          type: 'Recorded',
          tag: first.tag,
          part,
          of: first.of,
        });
        expect(e?.metadata.commandId).toBe(first.tag);
      }
      i += first.of;
    }
  }
  for (const a of expected.acknowledged) {
    expect(seen.get(a.tag), `acknowledged ${a.tag} lost`).toBe(a.streamId);
  }
  let position = 0;
  for await (const e of store.readAll()) {
    expect(e.position, 'the global log has a gap or a rewind').toBe(position + 1);
    position = e.position;
  }
  expect(position, 'the global log and the streams disagree').toBe(total);
  return total;
}

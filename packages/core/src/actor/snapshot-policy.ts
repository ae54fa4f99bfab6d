import type { SnapshotPolicy } from '../aggregate/aggregate.js';
import type { Snapshot } from '../store/store.js';
import { DedupeWindow } from './dedupe.js';

/**
 * The snapshot rules, apart from the actor that applies them: when one is due, how one is
 * built, and whether a stored one can be trusted (ARCHITECTURE invariant 7: never the source
 * of truth, so anything doubtful is ignored and the stream replayed in full).
 */

/** Due after `every` events since the last snapshot; on eviction, after any (unless `onEvict: false`). */
export function snapshotDue(
  policy: SnapshotPolicy<unknown>,
  version: number,
  snapshotVersion: number,
  evicting: boolean,
): boolean {
  const behind = version - snapshotVersion;
  return evicting ? behind > 0 && policy.onEvict !== false : behind >= policy.every;
}

/** Builds the record to store. Throws when the policy's `encode` throws. */
export function buildSnapshot(
  policy: SnapshotPolicy<unknown>,
  streamId: string,
  version: number,
  state: unknown,
  dedupe: DedupeWindow | null,
  now: number,
): Snapshot {
  const snapshot: Snapshot = {
    streamId,
    version,
    schemaVersion: policy.schemaVersion,
    state: policy.encode ? policy.encode(state) : state,
    timestamp: new Date(now).toISOString(),
  };
  if (dedupe !== null) snapshot.runtime = { dedupe: dedupe.toJSON() };
  return snapshot;
}

/** A stored snapshot made usable again, or the reason it is not. */
export type Restored =
  | { ok: true; state: unknown; version: number; dedupe: DedupeWindow | null }
  | { ok: false; problem: string };

/** Checks and decodes a stored snapshot against the policy and the stream's head. */
export function restoreSnapshot(
  snapshot: Snapshot,
  policy: SnapshotPolicy<unknown>,
  head: number,
  dedupeCapacity: number,
): Restored {
  if (snapshot.schemaVersion !== policy.schemaVersion) {
    return {
      ok: false,
      problem: `schema version ${snapshot.schemaVersion}, expected ${policy.schemaVersion}`,
    };
  }
  if (!Number.isInteger(snapshot.version) || snapshot.version < 1 || snapshot.version > head) {
    return { ok: false, problem: `version ${snapshot.version} is outside the stream (head ${head})` };
  }
  let state: unknown;
  try {
    state = policy.decode ? policy.decode(snapshot.state) : snapshot.state;
  } catch (error) {
    return { ok: false, problem: `decode failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const saved = snapshot.runtime?.dedupe;
  if (saved === undefined) return { ok: true, state, version: snapshot.version, dedupe: null };
  const dedupe = DedupeWindow.fromJSON(saved, dedupeCapacity);
  if (dedupe === undefined) return { ok: false, problem: 'its dedupe window is malformed' };
  return { ok: true, state, version: snapshot.version, dedupe };
}

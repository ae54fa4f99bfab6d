import type { SnapshotPolicy } from '../aggregate/aggregate.js';
import type { Codec } from '../codec/codec.js';
import { jsonCodec } from '../codec/json-codec.js';
import { codecOf } from '../codec/stored-data.js';
import { describe, InvalidArgument } from '../errors.js';
import type { Snapshot } from '../store/store.js';
import { DedupeWindow } from './dedupe.js';
import { stateDifference } from './state-difference.js';

/**
 * The snapshot rules, apart from the actor that applies them: when one is due, how one is
 * built, and whether a stored one can be trusted (ARCHITECTURE invariant 7: never the source
 * of truth, so anything doubtful is ignored and the stream replayed in full).
 */

/** Due after `every` events since the last snapshot (never for `every: 0`); on eviction, after any (unless `onEvict: false`). */
export function snapshotDue(
  policy: SnapshotPolicy<unknown>,
  version: number,
  snapshotVersion: number,
  evicting: boolean,
): boolean {
  const behind = version - snapshotVersion;
  return evicting ? behind > 0 && policy.onEvict !== false : policy.every > 0 && behind >= policy.every;
}

/** A state the aggregate's codec cannot keep exactly: that snapshot is refused (never saved lossy). */
export class SnapshotRefused {
  constructor(readonly error: unknown) {}
}

/**
 * Builds the record to store: state → the policy's `encode` → the codec (recorded when not
 * 'json'). Returns SnapshotRefused when the codec refuses the state; throws when `encode` throws.
 */
export function buildSnapshot(
  policy: SnapshotPolicy<unknown>,
  codec: Codec,
  streamId: string,
  version: number,
  state: unknown,
  dedupe: DedupeWindow | null,
  now: number,
): Snapshot | SnapshotRefused {
  const encoded = policy.encode ? policy.encode(state) : state;
  let data: unknown;
  try {
    data = codec.encode(encoded, 'state');
  } catch (error) {
    return new SnapshotRefused(error);
  }
  const difference = restoredDifference(policy, codec, data, state);
  if (difference !== undefined) {
    return new SnapshotRefused(
      new InvalidArgument(
        `${streamId}: a snapshot at version ${version} would not give the state back: ${difference} ` +
          '(snapshots.encode and decode, and the codec, must give back exactly the state they were given)',
      ),
    );
  }
  const snapshot: Snapshot = {
    streamId,
    version,
    schemaVersion: policy.schemaVersion,
    state: data,
    timestamp: new Date(now).toISOString(),
  };
  if (dedupe !== null || codec !== jsonCodec) {
    snapshot.runtime = {};
    if (dedupe !== null) snapshot.runtime.dedupe = dedupe.toJSON();
    if (codec !== jsonCodec) snapshot.runtime.codec = codec.name;
  }
  return snapshot;
}

/**
 * Restores `data` as a later activation would (through JSON text as a store keeps it, the
 * codec's decode, then the policy's) and says where the result differs from `state`, or why it
 * could not be restored; undefined when it gives `state` back. Snapshots are saved now and then,
 * not per command, so the second trip is affordable; without it a lossy `encode`/`decode` pair
 * would silently become the source of truth after the next restart (invariant 7).
 */
function restoredDifference(
  policy: SnapshotPolicy<unknown>,
  codec: Codec,
  data: unknown,
  state: unknown,
): string | undefined {
  let restored: unknown;
  try {
    const decoded = codec.decode(JSON.parse(JSON.stringify(data) as string));
    restored = policy.decode ? policy.decode(decoded) : decoded;
  } catch (error) {
    return `restoring it threw (${describe(error)})`;
  }
  try {
    return stateDifference(state, restored, codec === jsonCodec);
  } catch (error) {
    // Too deep to compare, or a getter that throws: not known to come back, so not saved.
    return `it could not be compared with the state (${describe(error)})`;
  }
}

/** A stored snapshot made usable again, or the reason it is not. */
export type Restored =
  | { ok: true; state: unknown; version: number; dedupe: DedupeWindow | null }
  | { ok: false; problem: string };

/** Checks and decodes a stored snapshot against the policy and the stream's head. */
export function restoreSnapshot(
  snapshot: Snapshot,
  policy: SnapshotPolicy<unknown>,
  own: Codec,
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
  const codec = codecOf(snapshot.runtime?.codec, own);
  if (codec === undefined)
    return { ok: false, problem: `unknown codec ${JSON.stringify(snapshot.runtime?.codec)}` };
  let state: unknown;
  try {
    const data = codec.decode(snapshot.state);
    state = policy.decode ? policy.decode(data) : data;
  } catch (error) {
    let why: string;
    try {
      why = error instanceof Error ? error.message : String(error);
    } catch {
      why = 'an unprintable value was thrown'; // a Proxy whose traps throw: still only an ignored snapshot
    }
    return { ok: false, problem: `decode failed: ${why}` };
  }
  const saved = snapshot.runtime?.dedupe;
  if (saved === undefined) return { ok: true, state, version: snapshot.version, dedupe: null };
  const dedupe = DedupeWindow.fromJSON(saved, dedupeCapacity);
  if (dedupe === undefined) return { ok: false, problem: 'its dedupe window is malformed' };
  return { ok: true, state, version: snapshot.version, dedupe };
}

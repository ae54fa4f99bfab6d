/**
 * Saving a snapshot of an actor's state: built by the policy's rules (snapshot-policy.ts),
 * written to the store, counted. A snapshot is only an optimisation (invariant 7): a refusal or
 * a failed save is warned about and counted, never thrown.
 */
import type { SnapshotPolicy } from '../aggregate/aggregate.js';
import type { ActorHost } from './actor-host.js';
import type { DedupeWindow } from './dedupe.js';
import type { RepliedActor } from './replies.js';
import { buildSnapshot, SnapshotRefused } from './snapshot-policy.js';

/**
 * Saves a snapshot of `state` at `version`: true once saved; otherwise (warned and counted)
 * false, or the refusal when the codec or the restore check refused it.
 */
export async function saveSnapshot(
  host: ActorHost,
  actor: RepliedActor,
  policy: SnapshotPolicy<unknown>,
  version: number,
  state: unknown,
  dedupe: DedupeWindow | null,
): Promise<true | false | SnapshotRefused> {
  const { counters } = host.metrics;
  const def = actor.def;
  try {
    const snapshot = buildSnapshot(
      policy,
      def.codec,
      actor.streamId,
      version,
      state,
      dedupe,
      host.clock.now(),
    );
    if (snapshot instanceof SnapshotRefused) {
      // Never saved lossy; said once per aggregate type, since every such state will be refused.
      counters.snapshotsRefused++;
      if (host.firstTime(`snapshot refused: ${def.type}`)) {
        actor
          .logger()
          .warn(
            { err: snapshot.error, version },
            `snapshot refused: the ${def.codec.name} codec cannot keep this state, or restoring it would not give the state back (replay stays correct, only slower; choose a codec, or snapshots.encode and decode, that keep it exactly)`,
          );
      }
      return snapshot;
    }
    await host.store.snapshots.save(snapshot, { keep: policy.keep ?? 2 });
    counters.snapshotSaves++;
    return true;
  } catch (error) {
    counters.snapshotSaveFailures++;
    try {
      actor.logger().warn({ err: error, version }, 'snapshot save failed');
    } catch {
      // snapshots.encode threw something the logger cannot serialise (a Proxy whose traps throw)
      actor.logger().warn({ version }, 'snapshot save failed (an unprintable value was thrown)');
    }
    return false;
  }
}

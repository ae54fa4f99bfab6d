import type { Logger } from 'pino';
import type { AnyAggregate } from '../aggregate/aggregate.js';
import { readEvent } from '../aggregate/read-events.js';
import { CorruptData, isActorfoldError } from '../errors.js';
import type { DomainEvent, EventStore, Snapshot } from '../store/store.js';
import type { ActorHost } from './actor-host.js';
import { type DedupeWindow, remember } from './dedupe.js';
import { restoreSnapshot } from './snapshot-policy.js';

/**
 * Recovery: how an actor rebuilds its state from the store (newest usable snapshot, then the
 * stream's tail) and how it catches up with events appended since it last looked.
 */

/** An aggregate's state folded up to `version`, with the commandIds met on the way. */
export interface Folded {
  readonly state: unknown;
  readonly version: number;
  readonly dedupe: DedupeWindow | null;
}

/** What recovery gives an actor: its folded state and the version its newest snapshot holds. */
export interface Recovered extends Folded {
  readonly snapshotVersion: number;
}

/**
 * Folds every stored event past `version` (up to `knownHead` when the store told it without
 * I/O), each read through the definition's codec and upcasters. Undefined when the stream has
 * not moved. Throws CorruptData on a gap or a rewind, UpcastFailed or UnknownEventSchema (and
 * whatever evolve throws) on an event the definition cannot read.
 * The dedupe window is updated in place (and created if an event carries a commandId).
 */
export async function catchUp(
  store: EventStore,
  def: AnyAggregate,
  streamId: string,
  from: Folded,
  dedupeCapacity: number,
  knownHead: number | undefined,
): Promise<Folded | undefined> {
  const head = knownHead ?? (await store.streamVersion(streamId));
  if (head === from.version) return undefined;
  if (head < from.version) {
    throw new CorruptData(
      streamId,
      head,
      `the stream ends at version ${head}, behind version ${from.version} already applied`,
    );
  }
  let { state, version, dedupe } = from;
  for await (const env of store.readStream(streamId, { fromVersion: version + 1 })) {
    if (env.version !== version + 1) {
      throw new CorruptData(streamId, version + 1, `expected version ${version + 1}, read ${env.version}`);
    }
    // Decoded, then upcast: one stored event may fold as several or as none, under its own version.
    const read = readEvent(def, env);
    if (!Array.isArray(read)) state = def.evolve(state, read as DomainEvent);
    else for (const e of read as readonly DomainEvent[]) state = def.evolve(state, e);
    version = env.version;
    const commandId = env.metadata.commandId;
    if (typeof commandId === 'string') dedupe = remember(dedupe, dedupeCapacity, commandId, version);
  }
  if (version < head) throw new CorruptData(streamId, version + 1, `missing: the stream's head is ${head}`);
  return { state, version, dedupe };
}

/** Loads the newest usable snapshot, then replays the tail of the stream. */
export async function recover(
  host: ActorHost,
  def: AnyAggregate,
  streamId: string,
  log: () => Logger,
): Promise<Recovered> {
  const { store, options } = host;
  let folded: Folded = { state: def.initialState(), version: 0, dedupe: null };
  let snapshotVersion = 0;
  const policy = def.snapshots;
  if (policy !== undefined) {
    const snapshot = await loadSnapshot(host, streamId, log);
    if (snapshot !== undefined) {
      const { counters } = host.metrics;
      const head = await store.streamVersion(streamId);
      const restored = restoreSnapshot(snapshot, policy, def.codec, head, options.dedupeWindow);
      if (restored.ok) {
        counters.snapshotHits++;
        folded = restored;
        snapshotVersion = restored.version;
      } else {
        counters.snapshotsIgnored++;
        const msg = `snapshot ignored, replaying in full: ${restored.problem}`;
        log().warn({ snapshotVersion: snapshot.version }, msg);
      }
    }
  }
  const caughtUp = await catchUp(store, def, streamId, folded, options.dedupeWindow, undefined);
  const { state, version, dedupe } = caughtUp ?? folded;
  return { state, version, dedupe, snapshotVersion };
}

/** The newest snapshot; a stored one that cannot be read counts as none (invariant 7). */
async function loadSnapshot(
  host: ActorHost,
  streamId: string,
  log: () => Logger,
): Promise<Snapshot | undefined> {
  try {
    return await host.store.snapshots.load(streamId);
  } catch (error) {
    if (!(isActorfoldError(error) && error.code === 'CORRUPT_DATA')) throw error;
    host.metrics.counters.snapshotsIgnored++;
    log().warn({ err: error }, 'snapshot unreadable, replaying in full');
    return undefined;
  }
}

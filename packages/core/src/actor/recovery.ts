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
 *
 * A store that keeps heads in memory (`knownStreamVersion`: memoryStore, levelStore, a leased
 * PostgreSQL stream) is asked for the head first, so an unmoved stream costs no read and a cold
 * head gets cached by `streamVersion`. A store that cannot know heads (PostgreSQL in optimistic
 * mode, where other nodes write) is read from the actor's own newest event on, in one round
 * trip instead of `streamVersion` and then `readStream`: that event coming back first proves
 * the stream did not rewind, and whatever follows it is the new tail.
 */
export async function catchUp(
  store: EventStore,
  def: AnyAggregate,
  streamId: string,
  from: Folded,
  dedupeCapacity: number,
  knownHead: number | undefined,
): Promise<Folded | undefined> {
  if (knownHead === undefined && store.knownStreamVersion === undefined)
    return catchUpFromTail(store, def, streamId, from, dedupeCapacity);
  const head = knownHead ?? (await store.streamVersion(streamId));
  if (head === from.version) return undefined;
  if (head < from.version) {
    throw new CorruptData(
      streamId,
      head,
      `the stream ends at version ${head}, behind version ${from.version} already applied`,
    );
  }
  const folded = await foldTail(store, def, streamId, from, dedupeCapacity, false);
  if (folded.version < head)
    throw new CorruptData(streamId, folded.version + 1, `missing: the stream's head is ${head}`);
  return folded;
}

/** catchUp in one read: the actor's newest event (a check that it is still there) and what follows. */
async function catchUpFromTail(
  store: EventStore,
  def: AnyAggregate,
  streamId: string,
  from: Folded,
  dedupeCapacity: number,
): Promise<Folded | undefined> {
  const folded = await foldTail(store, def, streamId, from, dedupeCapacity, from.version > 0);
  return folded.version === from.version ? undefined : folded;
}

/** The stream no longer holds the event at `applied`, which the actor already folded. */
function rewound(streamId: string, applied: number, found: string): CorruptData {
  return new CorruptData(streamId, applied, `version ${applied}, already applied, is gone: ${found}`);
}

/**
 * Folds the stream's events after `from.version` into `from`. With `overlap`, the read starts at
 * `from.version` itself: that event, already applied, must come back first (otherwise the stream
 * was rewound) and is skipped.
 */
async function foldTail(
  store: EventStore,
  def: AnyAggregate,
  streamId: string,
  from: Folded,
  dedupeCapacity: number,
  overlap: boolean,
): Promise<Folded> {
  let { state, version, dedupe } = from;
  let checked = !overlap;
  const fromVersion = overlap ? version : version + 1;
  for await (const env of store.readStream(streamId, { fromVersion })) {
    if (!checked) {
      if (env.version !== version)
        throw rewound(streamId, version, `the read began at version ${env.version}`);
      checked = true;
      continue;
    }
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
  if (!checked) throw rewound(streamId, version, 'the stream ends before it');
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
  // Read once for the snapshot check, then reused: the catch-up below needs no second read of it.
  let head: number | undefined;
  const policy = def.snapshots;
  if (policy !== undefined) {
    const snapshot = await loadSnapshot(host, streamId, log);
    if (snapshot !== undefined) {
      const { counters } = host.metrics;
      head = await store.streamVersion(streamId);
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
  const caughtUp = await catchUp(store, def, streamId, folded, options.dedupeWindow, head);
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

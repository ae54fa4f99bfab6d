/**
 * Group commit: appends that arrive while a write is in flight wait in a queue and all go into
 * the next LevelDB batch, so one fsync acknowledges many commands and durable throughput grows
 * with concurrency instead of being capped by the disk's sync rate.
 *
 * Version checks stay exact. Each queued append is checked when its batch is built, in arrival
 * order, against the committed head plus the appends already placed in that batch: a batch never
 * holds two appends that conflict, a conflicting append fails alone with VersionConflict, and a
 * batch that fails to write fails its own appends (outcome unknown), changes no head, and stops
 * the store's writes until it is reopened.
 *
 * Each event record is put once, under its stream key; the batch adds one log index entry
 * (`l<first><last>`, log-index.ts) listing its appends in position order, so the global log
 * costs one key per batch instead of one per event.
 *
 * Timer removes and reschedules (timer-ops.ts) join the same batches, checked in arrival order
 * among the appends.
 */
import {
  type AppendChain,
  type EncodedTimerChange,
  type EventEnvelope,
  StoreError,
  VersionConflict,
} from '@actorfold/core';
import type { ClassicLevel } from 'classic-level';
import { logIndexKey, streamKey } from './keys.js';
import { TimerBatch } from './level-timers.js';
import { LogIndexWriter } from './log-index.js';
import { type EncodedEvent, encodeRecord, place } from './record.js';
import { describe, toStoreError } from './store-errors.js';
import { type Head, looseHead, type StreamHeads } from './stream-heads.js';
import { failTimerOps, type PendingTimerOp, settleTimerOps, TimerOpRun } from './timer-ops.js';
import type { WriteRefusal } from './write-refusal.js';

/**
 * One append waiting for its batch. Its events are already validated and encoded. A class with
 * every field always present (timers and chain undefined when absent): one object shape for every
 * append, built without spreading option objects.
 */
export class PendingAppend {
  readonly streamId: string;
  readonly expected: number;
  readonly events: readonly EncodedEvent[];
  /**
   * What the append resolves with (record.ts `envelopesOf`): made from the encoded events before
   * it was queued; versions and positions are filled in when a batch places it.
   */
  readonly envelopes: EventEnvelope[];
  /** Checked timer changes, written in the same batch as the events; undefined when none. */
  readonly timers: readonly EncodedTimerChange[] | undefined;
  /** The caller's pipeline (AppendOptions.chain): once one of its appends fails, the later ones do. */
  readonly chain: AppendChain | undefined;
  readonly resolve: (envelopes: EventEnvelope[]) => void;
  readonly reject: (error: unknown) => void;

  constructor(
    streamId: string,
    expected: number,
    events: readonly EncodedEvent[],
    envelopes: EventEnvelope[],
    timers: readonly EncodedTimerChange[] | undefined,
    chain: AppendChain | undefined,
    resolve: (envelopes: EventEnvelope[]) => void,
    reject: (error: unknown) => void,
  ) {
    this.streamId = streamId;
    this.expected = expected;
    this.events = events;
    this.envelopes = envelopes;
    this.timers = timers;
    this.chain = chain;
    this.resolve = resolve;
    this.reject = reject;
  }
}

export interface GroupCommitOptions {
  readonly db: ClassicLevel<string, string>;
  readonly path: string;
  readonly heads: StreamHeads;
  /** Wait for the OS to put the batch on disk before acknowledging ('fsync' durability). */
  readonly sync: boolean;
  /** The position the next event gets. */
  readonly nextPosition: number;
  /** Reads a stream's committed head from disk. */
  readHead(streamId: string): Promise<number>;
  /** The store's write refusal, shared with its other writers (snapshots, checkpoints). */
  readonly refusal: WriteRefusal;
}

export class GroupCommit {
  #queue: PendingAppend[] = [];
  #running = false;
  #nextPosition: number;
  /** Incremented after each batch commits; lets a head read that raced a commit skip caching. */
  #commits = 0;
  /** Batches built so far: numbers the heads a batch leaves (see `Head.batch`). */
  #builds = 0;
  #drained: Array<() => void> = [];
  /** Timer removes and reschedules waiting for the next batch. */
  #timerOps: PendingTimerOp[] = [];
  /** Appends queued with timer changes since the last batch was taken: only then are timers loaded. */
  #queuedTimers = false;
  /** The pending timer count after the last committed batch. */
  timerCount = 0;
  readonly #o: GroupCommitOptions;

  constructor(o: GroupCommitOptions) {
    this.#o = o;
    this.#nextPosition = o.nextPosition;
  }

  /** The position of the newest committed event (0 when none). */
  get lastPosition(): number {
    return this.#nextPosition - 1;
  }

  /** Called with the newest position after each committed batch; must not throw. */
  readonly listeners = new Set<(lastPosition: number) => void>();

  /** Committed batches so far. */
  get commits(): number {
    return this.#commits;
  }

  /** Appends and events committed so far (empty appends count as appends, not as writes). */
  readonly written = { appends: 0, events: 0 };

  /** Queues an append; it is written with the next batch. */
  enqueue(append: PendingAppend): void {
    this.#queue.push(append);
    if (append.timers !== undefined) this.#queuedTimers = true;
    this.#start();
  }

  /** Queues a timer remove or reschedule; it is checked and written with the next batch. */
  enqueueTimerOp(op: PendingTimerOp): void {
    op.after = this.#queue.length;
    this.#timerOps.push(op);
    this.#start();
  }

  #start(): void {
    if (!this.#running) {
      this.#running = true;
      // A microtask, not setImmediate: every append issued in this synchronous run still joins the
      // first batch, and the write starts without waiting for the event loop's next turn.
      queueMicrotask(() => void this.#run());
    }
  }

  /** Resolves once every queued append has been written or failed. */
  drain(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0 || this.#timerOps.length > 0) {
        const appends = this.#queue;
        const withTimers = this.#queuedTimers;
        const ops = this.#timerOps;
        this.#queue = [];
        this.#queuedTimers = false;
        this.#timerOps = [];
        await this.#commit(appends, withTimers, ops);
      }
    } finally {
      this.#running = false;
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  async #commit(appends: PendingAppend[], withTimers: boolean, timerOps: PendingTimerOp[]): Promise<void> {
    const o = this.#o;
    // Once any write of the store failed (this one's or a snapshot's, a checkpoint's), none is taken.
    const broken = o.refusal.error;
    if (broken !== undefined) {
      for (const a of appends) fail(a, broken);
      failTimerOps(timerOps, broken, o.path);
      return;
    }
    const heads = o.heads;
    let timers: TimerBatch | undefined;
    let entries: Head[];
    try {
      // Only a batch with timer changes reads the timers they touch: other appends pay nothing.
      if (withTimers || timerOps.length > 0)
        timers = await TimerBatch.load(o.db, this.timerCount, appends, timerOps);
      const found = this.#entries(appends);
      entries = Array.isArray(found) ? found : await found;
    } catch (e) {
      for (const a of appends) fail(a, toStoreError(e, o.path, 'reading stream heads and timers', false));
      failTimerOps(timerOps, e, o.path);
      return;
    }

    // The heads this batch leaves are kept on the entries, marked with the batch's number: a
    // later append of the same stream in the batch is checked against them, no map per batch.
    const stamp = ++this.#builds;
    const batch = o.db.batch();
    const placed: PendingAppend[] = [];
    const placedHeads: Head[] = [];
    const index = new LogIndexWriter();
    let position = this.#nextPosition;
    const ops = new TimerOpRun(timers, batch, timerOps);
    for (let i = 0; i < appends.length; i++) {
      ops.before(i);
      const a = appends[i] as PendingAppend;
      const h = entries[i] as Head;
      const streamId = a.streamId;
      const head = h.batch === stamp ? h.batchHead : h.version;
      // An earlier append of its chain failed: this one was decided on that one's state.
      if (a.expected !== head || a.chain?.failed === true) {
        fail(a, new VersionConflict(streamId, a.expected, head));
        continue;
      }
      const events = a.events;
      const count = events.length;
      if (count === 0) {
        a.resolve([]);
        continue;
      }
      const idJson = JSON.stringify(streamId);
      // Handed out only once the batch is written: a failed write rejects the append instead.
      place(a.envelopes, head + 1, position);
      placed.push(a);
      placedHeads.push(h);
      index.add(idJson, head + 1, count);
      for (let j = 0; j < count; j++) {
        const version = head + j + 1;
        batch.put(
          streamKey(streamId, version),
          encodeRecord(idJson, version, position, events[j] as EncodedEvent),
        );
        position++;
      }
      if (a.timers !== undefined) timers?.apply(batch, streamId, a.timers);
      h.batch = stamp;
      h.batchHead = head + count;
    }
    ops.rest();
    if (placed.length === 0 && !ops.changed) {
      await batch.close();
      settleTimerOps(timerOps, ops.outcomes);
      return;
    }
    if (placed.length > 0) batch.put(logIndexKey(this.#nextPosition, position - 1), index.value());
    timers?.finish(batch);

    // A snapshot or checkpoint write may have failed while this batch was built (it awaited reads).
    const refused = o.refusal.error;
    if (refused !== undefined) {
      await batch.close().catch(() => undefined);
      for (const a of placed) fail(a, refused);
      failTimerOps(timerOps, refused, o.path);
      return;
    }
    try {
      await batch.write({ sync: o.sync });
    } catch (e) {
      // A failed write may still be stored: a failed fsync leaves the batch in LevelDB's log, which
      // the next open replays (LevelDB then refuses every later write itself), and a failed log
      // append (a full disk) leaves a torn record after which LevelDB acknowledges writes that the
      // next open loses. So the callers hear that the outcome is unknown, and this store writes
      // nothing more until it is reopened: no later batch reuses this one's positions or versions
      // (no head moved: the batch's heads stay marked with its number, which no batch reuses), and
      // none is acknowledged over a broken log.
      await batch.close().catch(() => undefined);
      const why = describe(e);
      const error = new StoreError(
        'IO',
        `a write failed in the LevelDB store at ${o.path}: ${why}. Its outcome is unknown: its events ` +
          'and timer changes may or may not be stored (they show once the store is reopened); ' +
          'resending the command with the same commandId after reopening is safe',
        { cause: e, outcomeUnknown: true },
      );
      for (const a of placed) fail(a, error);
      failTimerOps(timerOps, error, o.path);
      // After failing this batch's appends: their callers get the unknown outcome, not the refusal.
      o.refusal.refuse(e);
      return;
    }
    this.written.appends += placed.length;
    this.written.events += position - this.#nextPosition;
    this.#nextPosition = position;
    this.#commits++;
    if (timers !== undefined) this.timerCount = timers.count;
    for (let i = 0; i < placed.length; i++) {
      const h = placedHeads[i] as Head;
      heads.commit((placed[i] as PendingAppend).streamId, h, h.batchHead);
    }
    for (const a of placed) a.resolve(a.envelopes);
    settleTimerOps(timerOps, ops.outcomes);
    if (placed.length > 0) for (const listener of this.listeners) listener(position - 1);
  }

  /**
   * The head entry of each append's stream, in order: the cache's own entry, or for a stream not
   * cached one read from disk (in parallel, once per stream). No write is in flight meanwhile, so
   * they are exact; an entry the cache drops while the batch is built or written stays valid
   * (`StreamHeads.commit` puts it back). Synchronous when every head is cached.
   */
  #entries(appends: readonly PendingAppend[]): Head[] | Promise<Head[]> {
    const o = this.#o;
    const entries: Head[] = new Array(appends.length);
    let loose: Map<string, Head> | undefined;
    for (let i = 0; i < appends.length; i++) {
      const streamId = (appends[i] as PendingAppend).streamId;
      let h = o.heads.entry(streamId);
      if (h === undefined) {
        loose ??= new Map();
        h = loose.get(streamId);
        if (h === undefined) {
          h = looseHead(0);
          loose.set(streamId, h);
        }
      }
      entries[i] = h;
    }
    if (loose === undefined) return entries;
    const reads = [...loose].map(async ([streamId, h]) => {
      h.version = await o.readHead(streamId);
      o.heads.set(streamId, h.version);
    });
    return Promise.all(reads).then(() => entries);
  }
}

/** Fails an append, and with it the later appends of its chain. */
function fail(append: PendingAppend, error: unknown): void {
  if (append.chain !== undefined) append.chain.failed = true;
  append.reject(error);
}

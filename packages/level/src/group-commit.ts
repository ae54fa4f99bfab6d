/**
 * Group commit: appends that arrive while a write is in flight wait in a queue and all go into
 * the next LevelDB batch, so one fsync acknowledges many commands and durable throughput grows
 * with concurrency instead of being capped by the disk's sync rate.
 *
 * Version checks stay exact. Each queued append is checked when its batch is built, in arrival
 * order, against the committed head plus the appends already placed in that batch: a batch never
 * holds two appends that conflict, a conflicting append fails alone with VersionConflict, and a
 * batch that fails to write fails its own appends and changes no head.
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
  parseStreamId,
  VersionConflict,
} from '@actorfold/core';
import type { ClassicLevel } from 'classic-level';
import { logIndexKey, streamKey } from './keys.js';
import { TimerBatch } from './level-timers.js';
import { LogIndexWriter } from './log-index.js';
import { type EncodedEvent, encodeRecord, envelopeOf } from './record.js';
import { toStoreError } from './store-errors.js';
import type { StreamHeads } from './stream-heads.js';
import { failTimerOps, type PendingTimerOp, settleTimerOps, TimerOpRun } from './timer-ops.js';

/** One append waiting for its batch. Its events are already validated and encoded. */
export interface PendingAppend {
  readonly streamId: string;
  readonly expected: number;
  readonly events: readonly EncodedEvent[];
  /** Checked timer changes, written in the same batch as the events; absent when none. */
  readonly timers?: readonly EncodedTimerChange[];
  /** The caller's pipeline (AppendOptions.chain): once one of its appends fails, the later ones do. */
  readonly chain?: AppendChain;
  resolve(envelopes: EventEnvelope[]): void;
  reject(error: unknown): void;
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
}

/** One accepted append inside the batch being built. */
interface Placed {
  readonly append: PendingAppend;
  readonly version: number;
  readonly position: number;
}

export class GroupCommit {
  #queue: PendingAppend[] = [];
  #running = false;
  #nextPosition: number;
  /** Incremented after each batch commits; lets a head read that raced a commit skip caching. */
  #commits = 0;
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
    const loaded = new Map<string, number>();
    let timers: TimerBatch | undefined;
    try {
      await this.#loadHeads(appends, loaded);
      // Only a batch with timer changes reads the timers they touch: other appends pay nothing.
      if (withTimers || timerOps.length > 0)
        timers = await TimerBatch.load(o.db, this.timerCount, appends, timerOps);
    } catch (e) {
      for (const a of appends) fail(a, toStoreError(e, o.path, 'reading stream heads and timers', false));
      failTimerOps(timerOps, e, o.path);
      return;
    }

    const batch = o.db.batch();
    const batchHeads = new Map<string, number>();
    const placed: Placed[] = [];
    const index = new LogIndexWriter();
    let position = this.#nextPosition;
    const ops = new TimerOpRun(timers, batch, timerOps);
    let queued = 0;
    for (const a of appends) {
      ops.before(queued++);
      const streamId = a.streamId;
      const head = (batchHeads.get(streamId) ?? loaded.get(streamId)) as number;
      // An earlier append of its chain failed: this one was decided on that one's state.
      if (a.expected !== head || a.chain?.failed === true) {
        fail(a, new VersionConflict(streamId, a.expected, head));
        continue;
      }
      if (a.events.length === 0) {
        a.resolve([]);
        continue;
      }
      const idJson = JSON.stringify(streamId);
      placed.push({ append: a, version: head + 1, position });
      index.add(idJson, head + 1, a.events.length);
      for (let i = 0; i < a.events.length; i++) {
        const version = head + i + 1;
        batch.put(
          streamKey(streamId, version),
          encodeRecord(idJson, version, position, a.events[i] as EncodedEvent),
        );
        position++;
      }
      if (a.timers !== undefined) timers?.apply(batch, streamId, a.timers);
      batchHeads.set(streamId, head + a.events.length);
    }
    ops.rest();
    if (placed.length === 0 && !ops.changed) {
      await batch.close();
      settleTimerOps(timerOps, ops.outcomes);
      return;
    }
    if (placed.length > 0) batch.put(logIndexKey(this.#nextPosition, position - 1), index.value());
    timers?.finish(batch);

    try {
      await batch.write({ sync: o.sync });
    } catch (e) {
      // Nothing of the batch is stored (LevelDB batches are atomic): positions are reused.
      await batch.close().catch(() => undefined);
      const error = toStoreError(e, o.path, 'append', false);
      for (const p of placed) fail(p.append, error);
      failTimerOps(timerOps, e, o.path);
      return;
    }
    this.written.appends += placed.length;
    this.written.events += position - this.#nextPosition;
    this.#nextPosition = position;
    this.#commits++;
    if (timers !== undefined) this.timerCount = timers.count;
    for (const [streamId, version] of batchHeads) o.heads.set(streamId, version);
    for (const p of placed) p.append.resolve(envelopes(p));
    settleTimerOps(timerOps, ops.outcomes);
    if (placed.length > 0) for (const listener of this.listeners) listener(position - 1);
  }

  /**
   * Puts the head of every stream of the batch in `loaded`: from the cache, or read for streams not
   * in it; no write is in flight meanwhile, so they are exact. Cached heads are copied first: the
   * reads fill the cache, which may drop them before the batch is built.
   */
  async #loadHeads(appends: PendingAppend[], loaded: Map<string, number>): Promise<void> {
    const o = this.#o;
    let reads: Array<Promise<void>> | undefined;
    for (const a of appends) {
      const streamId = a.streamId;
      if (loaded.has(streamId)) continue;
      const cached = o.heads.get(streamId);
      if (cached !== undefined) {
        loaded.set(streamId, cached);
        continue;
      }
      loaded.set(streamId, 0);
      reads ??= [];
      reads.push(
        o.readHead(streamId).then((v) => {
          loaded.set(streamId, v);
          o.heads.set(streamId, v);
        }),
      );
    }
    if (reads !== undefined) await Promise.all(reads);
  }
}

/** Fails an append, and with it the later appends of its chain. */
function fail(append: PendingAppend, error: unknown): void {
  if (append.chain !== undefined) append.chain.failed = true;
  append.reject(error);
}

/** The envelopes of a written append, parsed from the encoded parts: callers get exactly what a read returns. */
function envelopes(p: Placed): EventEnvelope[] {
  const { streamId, events } = p.append;
  const { aggregateType, aggregateId } = parseStreamId(streamId);
  return events.map((e, i) =>
    envelopeOf(streamId, aggregateType, aggregateId, p.version + i, p.position + i, e),
  );
}

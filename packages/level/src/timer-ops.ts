/**
 * Timer operations made outside an append (TimerStore `remove` and `reschedule`: a durable
 * effect's lease and the record of each attempt's outcome) join the group commit like appends:
 * queued while a batch is written, then checked and written in the next batch, so concurrent
 * effects share one fsync instead of each waiting for the writer to be idle and paying its own.
 *
 * Checks stay exact: appends and operations are checked in arrival order, each against the
 * stored record as the earlier appends and operations of the same batch leave it (version, and
 * `ifDueAt` for a reschedule), so the outcome is the one of running the calls one by one in the
 * order they were made, however they fall into batches. Each resolves only once its batch is written
 * (false when the record is gone, replaced, or its due time moved); a batch that fails to write
 * rejects every operation in it with a StoreError.
 */
import type { TimerRecord } from '@actorfold/core';
import { timerKey } from './keys.js';
import { type Batch, type TimerBatch, timerValue } from './level-timers.js';
import { toStoreError } from './store-errors.js';

interface PendingOpBase {
  readonly streamId: string;
  readonly name: string;
  /** The version the record must have. */
  readonly version: number;
  /** How many appends were queued before it in its batch (set when queued): it is checked after them. */
  after: number;
  resolve(done: boolean): void;
  reject(error: unknown): void;
}

/** A `remove` waiting for its batch. */
export interface PendingRemove extends PendingOpBase {
  readonly op: 'remove';
}

/** A `reschedule` waiting for its batch; its command is already checked and encoded. */
export interface PendingReschedule extends PendingOpBase {
  readonly op: 'reschedule';
  readonly dueAt: number;
  /** The new command as JSON. */
  readonly command: string;
  /** Only if the record is still due at this time (undefined: whatever its due time). */
  readonly ifDueAt: number | undefined;
}

export type PendingTimerOp = PendingRemove | PendingReschedule;

/** What each operation of a batch came to: done, not applicable (false), or its own error. */
export type TimerOpOutcome = boolean | { readonly error: unknown };

/**
 * Applies a batch's operations onto the batch being built, interleaved with its appends in
 * arrival order: the builder calls `before(i)` ahead of the i-th queued append and `rest()` after
 * the last. A damaged record fails its own operation (CorruptData) and leaves the others alone.
 */
export class TimerOpRun {
  readonly outcomes: TimerOpOutcome[] = [];
  /** Whether an operation changed the batch (it must be written). */
  changed = false;
  readonly #timers: TimerBatch | undefined;
  readonly #batch: Batch;
  readonly #ops: readonly PendingTimerOp[];

  constructor(timers: TimerBatch | undefined, batch: Batch, ops: readonly PendingTimerOp[]) {
    this.#timers = timers;
    this.#batch = batch;
    this.#ops = ops;
  }

  /** Applies the operations queued before the append at `index` of the batch's queue. */
  before(index: number): void {
    const ops = this.#ops;
    while (
      this.outcomes.length < ops.length &&
      (ops[this.outcomes.length] as PendingTimerOp).after <= index
    ) {
      this.#apply(ops[this.outcomes.length] as PendingTimerOp);
    }
  }

  /** Applies the operations queued after the batch's last append. */
  rest(): void {
    this.before(Number.POSITIVE_INFINITY);
  }

  #apply(op: PendingTimerOp): void {
    const out = this.outcomes;
    // Loaded whenever the batch has operations.
    const timers = this.#timers as TimerBatch;
    let t: TimerRecord | undefined;
    try {
      t = timers.current(timerKey(op.streamId, op.name));
    } catch (error) {
      out.push({ error });
      return;
    }
    if (t === undefined || t.version !== op.version) {
      out.push(false);
      return;
    }
    if (op.op === 'remove') {
      timers.remove(this.#batch, t);
      this.changed = true;
      out.push(true);
      return;
    }
    if (op.ifDueAt !== undefined && t.dueAt !== op.ifDueAt) {
      out.push(false);
      return;
    }
    const value = timerValue({
      streamId: op.streamId,
      name: op.name,
      dueAt: op.dueAt,
      version: op.version,
      missed: t.missed,
      command: op.command,
      metadata: t.metadata === undefined ? undefined : JSON.stringify(t.metadata),
    });
    timers.rewrite(this.#batch, t, op.dueAt, value);
    this.changed = true;
    out.push(true);
  }
}

/** Settles the operations of a batch that was written (or had nothing to write). */
export function settleTimerOps(ops: readonly PendingTimerOp[], outcomes: readonly TimerOpOutcome[]): void {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as PendingTimerOp;
    const outcome = outcomes[i] as TimerOpOutcome;
    if (typeof outcome === 'boolean') op.resolve(outcome);
    else op.reject(outcome.error);
  }
}

/** Fails the operations of a batch that could not be read or written: nothing of it is stored. */
export function failTimerOps(ops: readonly PendingTimerOp[], e: unknown, path: string): void {
  for (const op of ops) {
    op.reject(toStoreError(e, path, op.op === 'remove' ? 'removing a timer' : 'rescheduling a timer', false));
  }
}

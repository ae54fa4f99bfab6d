import type { Command } from '../aggregate/aggregate.js';
import type { EventMetadata } from '../store/store.js';

/**
 * Durable timers: the contract shared by decide, the runtime's timer service and every store.
 * A timer is scheduled or cancelled by a decision and written in the same store append as the
 * events that decision produced (no timer without its event, no event without its timer).
 */

/** What a timer found overdue when the runtime starts does: fire late, or be dropped and recorded as missed. */
export type MissedTimerPolicy = 'fire' | 'drop';

/** A pending durable timer of one aggregate, as stores keep it. */
export interface TimerRecord {
  /** The aggregate's stream. */
  readonly streamId: string;
  /** Unique among the stream's pending timers: scheduling a pending name again replaces it. */
  readonly name: string;
  /** When it is due: epoch milliseconds by the runtime's clock. */
  readonly dueAt: number;
  /** The command delivered to the aggregate when the timer fires (plain JSON). */
  readonly command: Command;
  /**
   * The stream version of the last event of the decision that scheduled it. With `name` it
   * identifies this timer among every timer the stream ever had; the firing command's
   * commandId derives from both, so a firing repeated in a crash window takes effect once.
   */
  readonly version: number;
  /** Default 'fire'. */
  readonly missed: MissedTimerPolicy;
  /** Carried into the firing command's metadata (correlation, causation, trace context). */
  readonly metadata?: EventMetadata;
}

/** One change to a stream's timers, applied in order and atomically with the append's events. */
export type TimerChange =
  | { readonly op: 'schedule'; readonly timer: TimerRecord }
  | { readonly op: 'cancel'; readonly name: string };

/** Filters for `TimerStore.list`. */
export interface TimerQuery {
  /** Only this stream's timers. */
  streamId?: string;
  /** Only timers due at or before this epoch ms. */
  dueBefore?: number;
  /** Most timers to return. */
  limit?: number;
}

/**
 * The timer part of an event store: pending timers indexed by due time. Timers are written
 * only through `append` (`AppendOptions.timers`) and removed by it or by `remove`.
 */
export interface TimerStore {
  /** Pending timers due at or before `until` (epoch ms), earliest first (ties by streamId, then name), at most `limit`. */
  due(until: number, limit: number): Promise<TimerRecord[]>;
  /** Pending timers matching the query, earliest due first. */
  list(query?: TimerQuery): AsyncIterable<TimerRecord>;
  /** The stream's pending timer of that name, or undefined. */
  get(streamId: string, name: string): Promise<TimerRecord | undefined>;
  /**
   * Removes the pending timer `name` of the stream if it still has `version` (a firing that
   * decided nothing, a dropped missed timer, an operator's cancel). False when it was not there.
   */
  remove(streamId: string, name: string, version: number): Promise<boolean>;
  /** How many timers are pending. */
  count(): Promise<number>;
  /**
   * Shared stores (several runtimes on one database): claims up to `limit` timers due at or
   * before `until` for `owner` during `leaseMs`, so that each due timer fires on one node; a
   * claim that expired (its node died mid-fire) can be taken by another node. Timers `owner`
   * already holds are returned again with their lease renewed. Earliest first, like `due`.
   * `now` (default `until`) is the claimer's clock: leases are judged by it and run from it, so
   * a claim that looks ahead (`until` > `now`) never takes a timer whose lease still runs.
   * Optional: a store with one runtime uses `due`.
   */
  claim?(until: number, limit: number, owner: string, leaseMs: number, now?: number): Promise<TimerRecord[]>;
  /**
   * Replaces the pending timer `name` of the stream, if it still has `version`, by the same timer
   * due at `dueAt` with `command`, releasing any claim on it (any node may take it when due).
   * False when it was not there (fired, cancelled or rescheduled under another version). With
   * `ifDueAt`, also false (and nothing changed) unless the timer is still due at `ifDueAt`: a
   * compare-and-set on the due time, so that two nodes that both read the timer cannot both
   * take it. Durable effects lease, and record attempts and results, with it; a store without it
   * runs no effects.
   */
  reschedule?(
    streamId: string,
    name: string,
    version: number,
    dueAt: number,
    command: Command,
    ifDueAt?: number,
  ): Promise<boolean>;
}

/** The timer a command was fired by (`ctx.firedTimer`). */
export interface FiredTimer {
  readonly name: string;
  /** The version of the decision that scheduled it. */
  readonly version: number;
  /** When it was due (epoch ms); the firing's `ctx.now` is at or after it. */
  readonly dueAt: number;
}

/** When a timer is due: at a moment, or after a delay from the decision's `now` (ms, or an ISO-8601 duration such as 'PT15M'). */
export type TimerWhen = { readonly at: Date | number } | { readonly after: number | string };

/** Options of `DecideTimers.schedule`. */
export interface ScheduleOptions {
  /** What a timer found overdue at start does. Default 'fire'. */
  missed?: MissedTimerPolicy;
}

/**
 * What decide uses to schedule and cancel the aggregate's durable timers (`ctx.timers`). The
 * requests are recorded with the decision and written atomically with its events; a decision
 * that changes timers must also decide at least one event that records why.
 */
export interface DecideTimers {
  /** Schedules timer `name` (replacing a pending one of that name) to deliver `command` when due. */
  schedule<C extends Command>(name: string, when: TimerWhen, command: C, opts?: ScheduleOptions): void;
  /** Cancels the pending timer `name`; nothing when there is none. */
  cancel(name: string): void;
}

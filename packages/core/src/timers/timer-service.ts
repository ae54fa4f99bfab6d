import type { Logger } from 'pino';
import type { FireResult } from '../actor/request.js';
import type { Clock, TimerHandle } from '../clock.js';
import { isActorfoldError } from '../errors.js';
import { Metrics } from '../observability/metrics.js';
import { MAX_TIMER_MS } from '../runtime/runtime-options.js';
import { backoffDelay, type RetryBackoff } from '../subscriptions/store-retry.js';
import type { TimerChange, TimerRecord, TimerStore } from './timer.js';
import { compareTimers } from './timer-order.js';

/** Settings of a runtime's timer service (`RuntimeOptions.timers`). */
export interface TimerServiceOptions {
  /** Most pending timers held in memory (loaded ahead, plus those firing). Default 1000. */
  readonly windowSize: number;
  /** Most firings in flight at once. Default 64. */
  readonly concurrency: number;
  /** Shared stores (`timers.claim`): how often to claim what comes due. Default 1000 ms. */
  readonly pollMs: number;
  /** Shared stores: how long a claim keeps other nodes off a timer. Default 30 000 ms. */
  readonly leaseMs: number;
  /** Shared stores: the claim owner, unique per runtime. */
  readonly owner: string;
  /** Delays between attempts of a firing that failed transiently (mailbox full, store outage). */
  readonly retry: RetryBackoff;
}

/**
 * What a firing came to: the actor's reply, or (for the record of a durable effect waiting to
 * run) its hand-over to the effect runner, which runs it outside the service's firing slots.
 */
export type FiringOutcome = FireResult | { readonly outcome: 'effect-started'; readonly version: number };

/** A pending timer the service holds: in the window until it is handed to its actor. */
interface Entry {
  readonly timer: TimerRecord;
  readonly key: string;
  /** When to fire: its due time, or later after failed attempts. Never before `timer.dueAt`. */
  at: number;
  attempts: number;
}

/**
 * Fires a runtime's durable timers. Pending timers live in the store; the service holds only a
 * bounded window of the next due ones (`windowSize`, firings in flight included), loaded from
 * `timers.due` (or claimed with `timers.claim` on a shared store), and arms ONE clock timer for
 * the earliest of them. When it goes off, every timer whose time has come (by the runtime's
 * clock, never before `dueAt`) is handed to `fire`, which delivers it to its aggregate's actor.
 *
 * The window is complete below `#horizon`: every pending timer due before it is in the window or
 * firing. Appends of this runtime that schedule a timer before the horizon insert it (`written`);
 * later ones are found by the next load, made when the window runs dry.
 */
export class TimerService {
  readonly #store: TimerStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #options: TimerServiceOptions;
  readonly #fire: (timer: TimerRecord) => Promise<FiringOutcome>;
  /** Timers not yet handed to an actor, earliest `at` first. */
  readonly #window: Entry[] = [];
  /** The window's entries by stream and name. */
  readonly #byKey = new Map<string, Entry>();
  /** Firings in flight, by stream, name and version. */
  readonly #firing = new Map<string, Entry>();
  #horizon = Number.NEGATIVE_INFINITY;
  #startedAt = 0;
  #armed: TimerHandle | undefined = undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  #loading = false;
  /** Timer changes this runtime appended while a load was reading: replayed onto what it read. */
  #writtenWhileLoading: Array<readonly [string, readonly TimerChange[]]> = [];
  /** A load is wanted (the window ran dry, or a poll is due) once the current one ends. */
  #reload = false;
  #loadFailures = 0;
  #lastPoll = Number.NEGATIVE_INFINITY;
  #stopped = false;
  #pending = 0;
  #countedAt = Number.NEGATIVE_INFINITY;
  #counting = false;

  constructor(
    store: TimerStore,
    clock: Clock,
    logger: Logger,
    metrics: Metrics,
    options: TimerServiceOptions,
    fire: (timer: TimerRecord) => Promise<FiringOutcome>,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#options = options;
    this.#fire = fire;
  }

  /** Starts firing: timers due before now are overdue at start (their `missed` policy applies). */
  start(): void {
    this.#startedAt = this.#clock.now();
    this.#countPending();
    void this.#load();
  }

  /** Stops arming and firing; firings in flight finish in their actors. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  /** Timers held in memory right now (window + firing): never more than `windowSize`. */
  get held(): number {
    return this.#window.length + this.#firing.size;
  }

  /** The pending timers the store counted last (refreshed at most once a second, when asked). */
  pendingCount(): number {
    if (!this.#stopped && this.#clock.now() - this.#countedAt >= 1000) this.#countPending();
    return this.#pending;
  }

  /** Whether the store shares timers with other runtimes (it can claim them). */
  get #claiming(): boolean {
    return this.#store.claim !== undefined;
  }

  /**
   * An append of this runtime changed a stream's timers: a cancelled one leaves the window; a
   * scheduled one due before the horizon enters it. Firings in flight are left alone (their actor
   * checks the timer is still pending before deciding).
   */
  written(streamId: string, changes: readonly TimerChange[]): void {
    if (this.#stopped) return;
    if (this.#loading) this.#writtenWhileLoading.push([streamId, changes]);
    this.#apply(streamId, changes);
    this.#arm();
  }

  #apply(streamId: string, changes: readonly TimerChange[]): void {
    for (const change of changes) {
      const name = change.op === 'cancel' ? change.name : change.timer.name;
      const old = this.#byKey.get(keyOf(streamId, name));
      if (old !== undefined) this.#unlist(old);
      if (change.op === 'schedule' && !this.#claiming && change.timer.dueAt < this.#horizon) {
        this.#list({ timer: change.timer, key: keyOf(streamId, name), at: change.timer.dueAt, attempts: 0 });
        this.#trim();
      }
    }
  }

  /** Loads the next due timers into the window (claims them on a shared store). */
  async #load(): Promise<void> {
    if (this.#loading || this.#stopped) {
      this.#reload = true;
      return;
    }
    this.#loading = true;
    this.#reload = false;
    this.#writtenWhileLoading = [];
    const limit = Math.max(0, this.#options.windowSize - this.#firing.size);
    const now = this.#clock.now();
    let records: TimerRecord[];
    try {
      const o = this.#options;
      records = this.#claiming
        ? await (this.#store.claim as NonNullable<TimerStore['claim']>)(
            now + o.pollMs,
            limit,
            o.owner,
            o.leaseMs,
            now,
          )
        : await this.#store.due(Number.MAX_SAFE_INTEGER, limit);
    } catch (error) {
      this.#loading = false;
      this.#loadFailed(error);
      return;
    }
    this.#loading = false;
    this.#loadFailures = 0;
    this.#lastPoll = now;
    if (this.#stopped) return;
    this.#refill(records, limit);
    // The read may predate appends made meanwhile: what they scheduled or cancelled wins.
    for (const [streamId, changes] of this.#writtenWhileLoading) this.#apply(streamId, changes);
    this.#writtenWhileLoading = [];
    await this.#dropMissed(records);
    if (this.#reload) void this.#load();
    else this.#arm();
  }

  /** Replaces the window with what was loaded, keeping the attempts of timers it held already. */
  #refill(records: readonly TimerRecord[], limit: number): void {
    const before = new Map(this.#byKey);
    this.#window.length = 0;
    this.#byKey.clear();
    for (const timer of records) {
      const key = keyOf(timer.streamId, timer.name);
      if (this.#firing.has(`${key}@${timer.version}`) || this.#isMissedDrop(timer)) continue;
      const had = before.get(key);
      const entry: Entry =
        had !== undefined && had.timer.version === timer.version
          ? had
          : { timer, key, at: timer.dueAt, attempts: 0 };
      this.#byKey.set(key, entry);
      this.#window.push(entry);
    }
    this.#window.sort(compareEntries);
    const last = records[records.length - 1];
    // Fewer than asked for: every pending timer is held. Otherwise those due before the last one are.
    if (this.#claiming) this.#horizon = Number.NEGATIVE_INFINITY;
    else this.#horizon = records.length < limit || last === undefined ? Number.POSITIVE_INFINITY : last.dueAt;
  }

  /**
   * Overdue at start with missed 'drop'. On a shared store a live node fires a timer up to
   * `pollMs` after its due time (the next poll claims it), so only one overdue by more than that
   * when this runtime started came due with no runtime to fire it: a node joining must not drop
   * what the others were about to fire. Twice `pollMs`: a poll runs late by its own duration.
   */
  #isMissedDrop(timer: TimerRecord): boolean {
    const slack = this.#claiming ? 2 * this.#options.pollMs : 0;
    return timer.missed === 'drop' && timer.dueAt < this.#startedAt - slack;
  }

  /** Timers that came due while no runtime ran and asked not to fire late: removed and counted as missed. */
  async #dropMissed(records: readonly TimerRecord[]): Promise<void> {
    for (const timer of records) {
      if (!this.#isMissedDrop(timer) || this.#stopped) continue;
      let removed = false;
      try {
        removed = await this.#store.remove(timer.streamId, timer.name, timer.version);
      } catch (error) {
        this.#logger.warn(
          { err: error, streamId: timer.streamId, timer: timer.name },
          'could not drop a missed timer',
        );
        continue;
      }
      if (!removed) continue; // fired, cancelled or rescheduled meanwhile
      this.#metrics.counters.timersMissed++;
      this.#logger.warn(
        {
          streamId: timer.streamId,
          timer: timer.name,
          timerVersion: timer.version,
          dueAt: isoOrNumber(timer.dueAt),
          overdueMs: this.#startedAt - timer.dueAt,
        },
        "timer missed: it came due while the runtime was down and its policy is missed: 'drop'; removed without firing",
      );
    }
  }

  #loadFailed(error: unknown): void {
    this.#loadFailures++;
    const delay = backoffDelay(this.#options.retry, this.#loadFailures);
    this.#logger.warn({ err: error, retryInMs: delay }, 'timers: loading the due timers failed; retrying');
    this.#reload = true;
    this.#armFor(this.#clock.now() + delay);
  }

  /** Arms the one clock timer for the earliest thing to do: fire the window's head, load, or poll. */
  #arm(): void {
    if (this.#stopped || this.#loading) return;
    const head = this.#window[0];
    const now = this.#clock.now();
    let at = Number.POSITIVE_INFINITY;
    if (head !== undefined && this.#firing.size < this.#options.concurrency) at = head.at;
    // Ran dry with more pending in the store: load, once the firings in flight have left it.
    const dry = this.#window.length === 0 && this.#horizon !== Number.POSITIVE_INFINITY && !this.#claiming;
    if ((dry && this.#firing.size === 0) || this.#reload) at = now;
    if (this.#claiming) at = Math.min(at, this.#lastPoll + this.#options.pollMs);
    this.#armFor(at);
  }

  #armFor(at: number): void {
    if (at === this.#armedAt && this.#armed !== undefined) return;
    this.#disarm();
    if (at === Number.POSITIVE_INFINITY || this.#stopped) return;
    this.#armedAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.#clock.now()));
    this.#armed = this.#clock.setTimeout(() => this.#tick(), delay);
  }

  #disarm(): void {
    if (this.#armed !== undefined) this.#clock.clearTimeout(this.#armed);
    this.#armed = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  /** The clock timer went off: fire what is due, load when dry or when a poll is due, re-arm. */
  #tick(): void {
    this.#armed = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    if (this.#stopped) return;
    const now = this.#clock.now();
    const { concurrency, pollMs } = this.#options;
    for (;;) {
      const head = this.#window[0];
      // `at` is never before dueAt: a timer fires only once the clock has reached its due time.
      if (head === undefined || head.at > now || this.#firing.size >= concurrency) break;
      this.#unlist(head);
      this.#firing.set(`${head.key}@${head.timer.version}`, head);
      void this.#deliver(head);
    }
    const dry = this.#window.length === 0 && this.#horizon !== Number.POSITIVE_INFINITY && !this.#claiming;
    const pollDue = this.#claiming && now >= this.#lastPoll + pollMs;
    if (this.#reload || pollDue || (dry && this.#firing.size === 0)) void this.#load();
    else this.#arm();
  }

  /** Hands one due timer to its actor and books the outcome; a transient failure retries it later. */
  async #deliver(entry: Entry): Promise<void> {
    const { timer } = entry;
    let result: FiringOutcome | undefined;
    let failure: unknown;
    try {
      result = await this.#fire(timer);
    } catch (error) {
      failure = error;
    }
    this.#firing.delete(`${entry.key}@${timer.version}`);
    if (this.#stopped) return;
    const { counters } = this.#metrics;
    if (result !== undefined) {
      if (result.outcome === 'fired' || result.outcome === 'nothing') {
        counters.timersFired++;
        Metrics.record(this.#metrics.timerLag, Math.max(0, this.#clock.now() - timer.dueAt));
      } else if (result.outcome === 'refused') counters.timersFailed++;
    } else if (isActorfoldError(failure) && failure.code === 'RUNTIME_CLOSED') {
      return;
    } else {
      entry.attempts++;
      const delay = backoffDelay(this.#options.retry, entry.attempts);
      const log = entry.attempts >= 5 ? 'error' : 'warn';
      this.#logger[log](
        {
          err: failure,
          streamId: timer.streamId,
          timer: timer.name,
          attempt: entry.attempts,
          retryInMs: delay,
        },
        'timer firing failed; the timer stays pending and is fired again',
      );
      // Back in the window unless an append of this runtime changed that timer meanwhile.
      if (!this.#byKey.has(entry.key)) {
        entry.at = Math.max(timer.dueAt, this.#clock.now() + delay);
        this.#list(entry);
        this.#trim();
      }
    }
    this.#arm();
  }

  #list(entry: Entry): void {
    this.#byKey.set(entry.key, entry);
    const w = this.#window;
    let lo = 0;
    let hi = w.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(w[mid] as Entry, entry) <= 0) lo = mid + 1;
      else hi = mid;
    }
    w.splice(lo, 0, entry);
  }

  #unlist(entry: Entry): void {
    if (this.#byKey.get(entry.key) === entry) this.#byKey.delete(entry.key);
    const i = this.#window.indexOf(entry);
    if (i >= 0) this.#window.splice(i, 1);
  }

  /** Keeps the window within its size: the latest entries go, and the horizon moves before them. */
  #trim(): void {
    while (this.held > this.#options.windowSize) {
      const last = this.#window.pop();
      if (last === undefined) return;
      this.#byKey.delete(last.key);
      this.#horizon = Math.min(this.#horizon, last.timer.dueAt);
    }
  }

  #countPending(): void {
    if (this.#counting) return;
    this.#counting = true;
    this.#countedAt = this.#clock.now();
    this.#store.count().then(
      (n) => {
        this.#pending = n;
        this.#counting = false;
      },
      () => {
        this.#counting = false; // the gauge keeps its last value through a store outage
      },
    );
  }
}

/**
 * A due time as an ISO timestamp for the log, or the number itself when no Date can hold it:
 * stores keep any safe integer, and a warning must never throw (it would reject the load).
 */
function isoOrNumber(ms: number): string | number {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? ms : date.toISOString();
}

function keyOf(streamId: string, name: string): string {
  return `${streamId}\u0000${name}`;
}

function compareEntries(a: Entry, b: Entry): number {
  return a.at - b.at || compareTimers(a.timer, b.timer);
}

import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import { plainJsonProblem } from '../codec/plain-json.js';
import { EffectCancelled, EffectTimeout, isActorfoldError, RuntimeClosed } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { backoffDelay, type RetryBackoff } from '../subscriptions/store-retry.js';
import type { TimerChange, TimerRecord, TimerStore } from '../timers/timer.js';
import type { FiringOutcome } from '../timers/timer-service.js';
import {
  type EffectContext,
  type EffectDefinition,
  type EffectError,
  isEffectTimerName,
  type RunEffect,
} from './effect.js';
import { type EffectCatalog, effectBackoffDelay } from './effect-catalog.js';
import { EffectLocks } from './effect-locks.js';
import {
  effectError,
  effectIdempotencyKey,
  effectIdOf,
  isRunEffect,
  type StoredEffectResult,
  storableText,
  storedResult,
} from './effect-record.js';

/**
 * How long past an attempt's timeout its lease lasts: the time the runner has to record the
 * attempt's outcome before the record comes due again (and runs again, here or on another node).
 */
export const EFFECT_LEASE_GRACE_MS = 10_000;

/** An effect whose implementation this runtime does not have is looked at again after this long. */
export const UNREGISTERED_EFFECT_RETRY_MS = 60_000;

/** What the runner needs from its runtime. */
export interface EffectRunnerOptions {
  /** The timer store; its `reschedule` records every attempt's outcome. */
  readonly store: TimerStore & { reschedule: NonNullable<TimerStore['reschedule']> };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly catalog: EffectCatalog;
  /** The back-off of a store call that failed (recording an outcome is tried until it is done). */
  readonly storeRetry: RetryBackoff;
  /** Told of every record the runner rescheduled (the timer service lists it at its new due time). */
  readonly written: (streamId: string, changes: readonly TimerChange[]) => void;
  /** For back-off jitter; default Math.random. */
  readonly random?: () => number;
  /** Says true the first time it is asked about a key (for errors logged once). */
  readonly firstTime?: (key: string) => boolean;
}

/** What an attempt's outcome is recorded as: the next attempt (a RunEffect), or the result. */
interface Outcome {
  readonly kind: 'retry' | 'done' | 'failed';
  readonly dueAt: number;
  readonly command: RunEffect | StoredEffectResult;
}

/** One effect this runner holds: queued for its attempt, running it, or recording its outcome. */
interface Run {
  readonly key: string;
  readonly record: TimerRecord;
  readonly command: RunEffect;
  readonly def: EffectDefinition;
  /** Until when the stored record is not due (the runner's lease on it). */
  leaseUntil: number;
  /** The running attempt's controller; undefined while queued or recording. */
  controller: AbortController | undefined;
  cancelled: boolean;
}

/**
 * Runs durable effects. The timer service hands it every due `RunEffect` record (`fire`); the
 * runner leases the record (reschedules it, unchanged, to come due only after the attempt's
 * timeout plus a grace), queues the attempt on its own p-queue (`concurrency`) and returns at
 * once, so slow effects never hold the timer service's firing slots. The attempt runs the
 * registered implementation with an AbortSignal (aborted on timeout, cancellation and shutdown)
 * and records its outcome with `reschedule` (same version): a failure with budget left as the
 * same RunEffect (attempts + 1, last error) due after a full-jitter back-off, the final outcome
 * as the EffectResult command due now, which the timer service then delivers like any timer.
 *
 * `reschedule` returning false means the aggregate cancelled or replaced the effect meanwhile:
 * the outcome is dropped. A store failure while recording is retried (storeRetry back-off) as
 * long as the process lives; after a crash the lease runs out and the effect runs again.
 */
export class EffectRunner {
  readonly #o: EffectRunnerOptions;
  readonly #queue: PQueue;
  readonly #random: () => number;
  /** Effects held, by stream and record name (one version at a time). */
  readonly #runs = new Map<string, Run>();
  /**
   * Records being leased by `fire` right now, by stream and name: a cancel this runtime appends
   * while the lease is being written marks its entry, so the effect is not queued after all.
   */
  readonly #leasing = new Map<string, { readonly version: number; cancelled: boolean }>();
  /** Attempts started and not finished (their promises), awaited at shutdown. */
  readonly #active = new Set<Promise<void>>();
  /** `fire` calls in progress (leasing a record): awaited at shutdown. */
  readonly #firing = new Set<Promise<FiringOutcome>>();
  /** Store-retry sleeps in progress: woken at shutdown. */
  readonly #sleeping = new Set<() => void>();
  /** Lease, delivery and operators' calls on one record run one at a time. */
  readonly #locks = new EffectLocks();
  #running = 0;
  #stopped = false;

  constructor(options: EffectRunnerOptions) {
    this.#o = options;
    this.#queue = new PQueue({ concurrency: options.catalog.concurrency });
    this.#random = options.random ?? Math.random;
  }

  /** Attempts running right now. */
  get inFlight(): number {
    return this.#running;
  }

  /** Effects held: queued, running, or recording their outcome. */
  get held(): number {
    return this.#runs.size;
  }

  /** Whether an attempt of this effect record (stream, name, version) runs in this runtime now. */
  isRunning(streamId: string, name: string, version: number): boolean {
    const run = this.#runs.get(keyOf(streamId, name));
    return run !== undefined && run.record.version === version && run.controller !== undefined;
  }

  /**
   * Takes a due RunEffect record from the timer service: leases it and queues its attempt. A
   * store failure of the lease is thrown (the service fires it again after a back-off); a record
   * no longer pending at that version is 'stale'.
   */
  async fire(record: TimerRecord): Promise<FiringOutcome> {
    if (this.#stopped) throw new RuntimeClosed();
    // Awaited by stop(): a lease being written when the runtime shuts down is given back. In
    // turn with operators' calls on the record: a retry written while the lease was being taken
    // on the record as it was before would be overwritten by that lease.
    const firing = this.#locks.run(record.streamId, record.name, () => this.#fire(record));
    this.#firing.add(firing);
    try {
      return await firing;
    } finally {
      this.#firing.delete(firing);
    }
  }

  /**
   * Delivers an effect's result record (`send` hands it to its aggregate's actor), in turn with
   * operators' calls on the record. The record is read again first: what the timer service read
   * may have been retried meanwhile (delivering it would remove the retried record with it), so
   * the record delivered is the one stored now, if it still holds a result of that version.
   */
  deliver(
    record: TimerRecord,
    send: (record: TimerRecord) => Promise<FiringOutcome>,
  ): Promise<FiringOutcome> {
    return this.#locks.run(record.streamId, record.name, async () => {
      const stored = await this.#o.store.get(record.streamId, record.name);
      if (stored === undefined || stored.version !== record.version || isRunEffect(stored.command))
        return { outcome: 'stale', version: record.version };
      return send(stored);
    });
  }

  /**
   * Runs an operator's call on an effect record (runtime-effects.ts) in turn with the runtime's
   * own work on it: its lease being taken, its result being delivered. Refused once stopped.
   */
  operate<T>(streamId: string, name: string, fn: () => Promise<T>): Promise<T> {
    if (this.#stopped)
      return Promise.reject(
        new RuntimeClosed('the runtime is shutting down: retry or abandon effects after a restart'),
      );
    return this.#locks.run(streamId, name, fn);
  }

  async #fire(record: TimerRecord): Promise<FiringOutcome> {
    const o = this.#o;
    if (this.#stopped) return { outcome: 'stale', version: record.version };
    const command = record.command as RunEffect;
    const key = keyOf(record.streamId, record.name);
    const known = this.#runs.get(key);
    // A newer request under the same id replaced the one held (its append may not be ours).
    if (known !== undefined && known.record.version !== record.version) this.#cancel(known, 'replaced');
    else if (known !== undefined || this.#leasing.get(key)?.version === record.version) {
      // Already held here (being leased, queued or running; the service saw its lease run out):
      // nothing to write. The attempt renews the lease before it runs, and an outcome recorded
      // meanwhile must find the due time it leased (a renewal here would race with it and lose it).
      return { outcome: 'effect-started', version: record.version };
    }
    const def = o.catalog.definitions.get(command.effect);
    const now = o.clock.now();
    if (def === undefined) {
      // Another runtime sharing the store may have it (a rolling deploy): looked at again later.
      if (o.firstTime?.(`effect-unregistered:${command.effect}`) ?? true)
        o.logger.error(
          { effect: command.effect, streamId: record.streamId },
          `effect '${command.effect}' is not registered with this runtime; it waits (checked again every ${UNREGISTERED_EFFECT_RETRY_MS} ms)`,
        );
      await this.#put(record, now + UNREGISTERED_EFFECT_RETRY_MS, command, record.dueAt);
      return { outcome: 'stale', version: record.version };
    }
    const leaseUntil = now + this.#timeoutOf(command, def) + EFFECT_LEASE_GRACE_MS;
    const leasing = { version: record.version, cancelled: false };
    this.#leasing.set(key, leasing);
    let leased: boolean;
    try {
      // Only if still due when it was read: another node that took it meanwhile moved its due time.
      leased = await this.#put(record, leaseUntil, command, record.dueAt);
    } finally {
      if (this.#leasing.get(key) === leasing) this.#leasing.delete(key);
    }
    // Cancelled by an append of ours that landed after the lease but before this continuation.
    if (leasing.cancelled && leased) leased = false;
    if (!leased) {
      // Cancelled or replaced by its aggregate before it ran.
      const held = this.#runs.get(key);
      if (held !== undefined && held.record.version === record.version) this.#cancel(held, 'cancelled');
      else o.metrics.counters.effectsCancelled++;
      return { outcome: 'stale', version: record.version };
    }
    if (this.#stopped) {
      // Shut down while the lease was written: given back now, so that the effect runs at once
      // on the next start instead of after the lease (stop() waits for this, the store is open).
      await o.store
        .reschedule(record.streamId, record.name, record.version, o.clock.now(), command, leaseUntil)
        .catch(() => false);
      return { outcome: 'stale', version: record.version };
    }
    const run: Run = {
      key,
      record,
      command,
      def,
      leaseUntil,
      controller: undefined,
      cancelled: false,
    };
    this.#runs.set(key, run);
    void this.#queue.add(() => {
      const attempt = this.#attempt(run).catch((error: unknown) => {
        // A bug here must not become an unhandled rejection (it ends the process): the run is
        // let go, and the effect runs again once its lease runs out.
        o.logger.error(
          { err: error, streamId: record.streamId, effect: command.effect },
          'effect attempt failed unexpectedly',
        );
        if (this.#runs.get(run.key) === run) this.#runs.delete(run.key);
      });
      this.#active.add(attempt);
      return attempt.finally(() => this.#active.delete(attempt));
    });
    return { outcome: 'effect-started', version: record.version };
  }

  /**
   * An append of this runtime changed a stream's timers: an effect record it cancelled, or
   * replaced by a newer request under the same id, is cancelled here too (its running attempt
   * aborted, its outcome never recorded).
   */
  written(streamId: string, changes: readonly TimerChange[]): void {
    for (const change of changes) {
      const name = change.op === 'cancel' ? change.name : change.timer.name;
      if (!isEffectTimerName(name)) continue;
      const key = keyOf(streamId, name);
      const leasing = this.#leasing.get(key);
      if (leasing !== undefined && (change.op === 'cancel' || change.timer.version !== leasing.version))
        leasing.cancelled = true;
      const run = this.#runs.get(key);
      if (run === undefined) continue;
      if (change.op === 'schedule' && change.timer.version === run.record.version) continue;
      this.#cancel(run, 'cancelled');
    }
  }

  /** An operator acts on the effect (retry, abandon): whatever runs here stops, its outcome dropped. */
  release(streamId: string, name: string): void {
    const run = this.#runs.get(keyOf(streamId, name));
    if (run !== undefined) this.#cancel(run, 'taken over by an operator', false);
  }

  /**
   * Stops: drops queued attempts, aborts running ones (their outcome is not recorded: they run
   * again after a restart), waits for them to end, then gives their leases back (one try each),
   * so they run again at once on the next start or on another node sharing the store.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.allSettled(this.#firing);
    this.#queue.clear();
    const shutdown = new EffectCancelled('the runtime shut down');
    for (const run of this.#runs.values()) run.controller?.abort(shutdown);
    for (const wake of this.#sleeping) wake();
    await Promise.allSettled(this.#active);
    const now = this.#o.clock.now();
    const held = [...this.#runs.values()].filter((run) => !run.cancelled);
    this.#runs.clear();
    await Promise.allSettled(
      held.map((run) =>
        this.#o.store.reschedule(
          run.record.streamId,
          run.record.name,
          run.record.version,
          now,
          run.command,
          run.leaseUntil,
        ),
      ),
    );
  }

  /** One attempt of a queued effect, then the record of its outcome. */
  async #attempt(run: Run): Promise<void> {
    if (run.cancelled || this.#stopped) return;
    const o = this.#o;
    const { record, command, def } = run;
    const timeoutMs = this.#timeoutOf(command, def);
    const now = o.clock.now();
    // It waited in the queue long enough for its lease to run short: renewed before it runs.
    if (run.leaseUntil - now < timeoutMs + EFFECT_LEASE_GRACE_MS / 2) {
      const until = now + timeoutMs + EFFECT_LEASE_GRACE_MS;
      try {
        if (!(await this.#put(record, until, command, run.leaseUntil))) {
          this.#cancel(run, 'cancelled');
          return;
        }
        run.leaseUntil = until;
      } catch (error) {
        // The lease only keeps others from running it at the same time: run it anyway.
        o.logger.warn(
          { err: error, streamId: record.streamId, effect: command.effect },
          'effect lease renewal failed',
        );
      }
      if (run.cancelled || this.#stopped) return;
    }
    if (command.attempts >= this.#budgetOf(command, def)) {
      // A budget lowered since these attempts were made (a deploy with a smaller maxAttempts):
      // no attempt beyond it; the effect fails for good with its last error.
      await this.#settle(run, this.#exhausted(run));
      return;
    }
    const attempt = command.attempts + 1;
    const controller = new AbortController();
    run.controller = controller;
    this.#running++;
    o.metrics.counters.effectsStarted++;
    const timer: TimerHandle = o.clock.setTimeout(
      () => controller.abort(new EffectTimeout(command.effect, timeoutMs)),
      timeoutMs,
    );
    const id = effectIdOf(record.name);
    const ctx: EffectContext = {
      idempotencyKey: effectIdempotencyKey(record.streamId, id, record.version),
      signal: controller.signal,
      attempt,
      streamId: record.streamId,
      effect: { id, name: command.effect, version: record.version },
    };
    let done = false;
    let output: unknown;
    let failure: unknown;
    try {
      // A copy per attempt: an implementation that changes its input cannot change the stored request.
      output = await untilAborted(() => def.run(structuredClone(command.input), ctx), controller.signal);
      done = true;
    } catch (error) {
      failure = error;
    } finally {
      o.clock.clearTimeout(timer);
      run.controller = undefined;
      this.#running--;
    }
    // Cancelled: the record is gone or replaced. Shut down: it runs again after the restart.
    if (run.cancelled || this.#stopped) return;
    // Another attempt only within the budget and if the definition's rule (maybe async) says so.
    const retry =
      !done && attempt < this.#budgetOf(command, def) && (await this.#retryable(run, failure, timeoutMs));
    if (run.cancelled || this.#stopped) return;
    await this.#settle(run, this.#outcome(run, attempt, done, output, failure, retry));
  }

  /** Records the outcome of an attempt (or of the budget running out) and counts it. */
  async #settle(run: Run, first: Outcome): Promise<void> {
    const o = this.#o;
    const { record, command } = run;
    const attempt = isRunEffect(first.command) ? first.command.attempts : first.command.effect.attempts;
    let outcome = first;
    let recorded: boolean | undefined;
    try {
      recorded = await this.#record(run, outcome.dueAt, outcome.command);
    } catch (refusal) {
      // The store refuses to keep the outcome (PostgreSQL's jsonb and a U+0000 in the output):
      // trying again would be refused again and leave the effect stuck. Its failure is recorded
      // instead, not retried: the implementation would return the same kind of value again.
      outcome = this.#unstorable(run, attempt, refusal);
      try {
        recorded = await this.#record(run, outcome.dueAt, outcome.command);
      } catch (error) {
        o.logger.error(
          { err: error, streamId: record.streamId, effect: command.effect },
          "the store refused to record an effect's outcome, and its failure too; it runs again after its lease",
        );
        if (this.#runs.get(run.key) === run) this.#runs.delete(run.key);
        return;
      }
    }
    if (recorded === undefined) return; // shut down while the store was failing
    if (this.#runs.get(run.key) === run) this.#runs.delete(run.key);
    const counters = o.metrics.counters;
    if (!recorded) {
      if (!run.cancelled) {
        run.cancelled = true;
        counters.effectsCancelled++;
      }
      return;
    }
    if (outcome.kind === 'retry') counters.effectsRetried++;
    else if (outcome.kind === 'done') counters.effectsSucceeded++;
    else counters.effectsFailed++;
  }

  /** The failure recorded, without a new attempt, for an effect whose attempts already reached its budget. */
  #exhausted(run: Run): Outcome {
    const { record, command } = run;
    const error: EffectError = command.lastError ?? {
      message: `effect '${command.effect}': no attempt left (${command.attempts} made)`,
    };
    return {
      kind: 'failed',
      dueAt: this.#o.clock.now(),
      command: storedResult(record, command, command.attempts, { error }),
    };
  }

  #budgetOf(command: RunEffect, def: EffectDefinition): number {
    return command.maxAttempts ?? def.maxAttempts ?? this.#o.catalog.maxAttempts;
  }

  /** What the attempt's outcome is recorded as: the next attempt, or the result. */
  #outcome(
    run: Run,
    attempt: number,
    done: boolean,
    output: unknown,
    failure: unknown,
    retry: boolean,
  ): Outcome {
    const { record, command } = run;
    const now = this.#o.clock.now();
    if (done) {
      // An implementation that returns nothing (a message sent) settles with null.
      const value = output === undefined ? null : output;
      let problem = plainJsonProblem(value, 'output', 0);
      let copy: unknown;
      if (problem === undefined) {
        try {
          copy = JSON.parse(JSON.stringify(value));
        } catch (error) {
          // Read again, a getter or a Proxy gave something else (a BigInt) or threw.
          problem = `output changed when read again (${error instanceof Error ? error.message : 'it threw'}), not JSON`;
        }
      }
      if (problem === undefined) {
        return {
          kind: 'done',
          dueAt: now,
          command: storedResult(record, command, attempt, { output: copy }),
        };
      }
      // Not retried: the implementation would return the same kind of value again.
      const error: EffectError = {
        message: `effect '${command.effect}': ${problem}`,
        code: 'EFFECT_OUTPUT_NOT_JSON',
      };
      return { kind: 'failed', dueAt: now, command: storedResult(record, command, attempt, { error }) };
    }
    const error = effectError(failure);
    if (retry) {
      const delay = effectBackoffDelay(this.#o.catalog.backoff, attempt, this.#random);
      this.#logFailure('warn', failure, error, record.streamId, command.effect, attempt, delay);
      return {
        kind: 'retry',
        dueAt: now + delay,
        command: { ...command, attempts: attempt, lastError: error },
      };
    }
    this.#logFailure('error', failure, error, record.streamId, command.effect, attempt, undefined);
    return { kind: 'failed', dueAt: now, command: storedResult(record, command, attempt, { error }) };
  }

  /** The failure recorded when the store refused the attempt's outcome (EFFECT_RESULT_NOT_STORABLE). */
  #unstorable(run: Run, attempt: number, refusal: unknown) {
    const { record, command } = run;
    const error: EffectError = {
      message: storableText(
        `effect '${command.effect}': the store cannot keep its outcome: ${(refusal as Error).message}`,
      ),
      code: 'EFFECT_RESULT_NOT_STORABLE',
    };
    this.#o.logger.error(
      { err: refusal, streamId: record.streamId, effect: command.effect, attempt },
      "the store refused an effect's outcome; its failure is delivered to the aggregate instead",
    );
    return {
      kind: 'failed' as const,
      dueAt: this.#o.clock.now(),
      command: storedResult(record, command, attempt, { error }),
    };
  }

  /** Logs a failed attempt; with the recorded message alone when the logger cannot serialise what was thrown. */
  #logFailure(
    level: 'warn' | 'error',
    failure: unknown,
    recorded: EffectError,
    streamId: string,
    effect: string,
    attempt: number,
    retryInMs: number | undefined,
  ): void {
    const message =
      retryInMs === undefined
        ? 'effect failed for good; its failure is delivered to the aggregate'
        : 'effect attempt failed; retrying';
    const fields = { streamId, effect, attempt, ...(retryInMs === undefined ? {} : { retryInMs }) };
    try {
      this.#o.logger[level]({ err: failure, ...fields }, message);
    } catch {
      // A Proxy whose traps throw, say: the logger cannot read it; the recorded error says what it could.
      this.#o.logger[level]({ err: recorded.message, ...fields }, message);
    }
  }

  /**
   * Whether a failed attempt is worth another: the definition's `retryable(error)` when it has
   * one, else every error except one with `retryable: false`. An async `retryable` is awaited
   * within the attempt's timeout (and aborted with the effect: cancel, operator, shutdown); one
   * that throws, rejects or does not answer in time counts as retryable, logged with the effect's
   * name, like an error that does not say.
   */
  async #retryable(run: Run, error: unknown, timeoutMs: number): Promise<boolean> {
    const { def, record, command } = run;
    const log = (e: unknown, what: string) =>
      this.#o.logger.warn(
        { err: e, streamId: record.streamId, effect: command.effect },
        `effect '${command.effect}': retryable() ${what}; the error counts as retryable`,
      );
    if (def.retryable === undefined) {
      try {
        return (error as { retryable?: unknown } | null)?.retryable !== false;
      } catch {
        return true; // reading it threw (a Proxy's trap): retryable, like an error that does not say
      }
    }
    let answer: unknown;
    try {
      answer = def.retryable(error);
      if (!isThenable(answer)) return answer === true;
    } catch (e) {
      log(e, 'threw');
      return true;
    }
    const controller = new AbortController();
    run.controller = controller;
    const timer = this.#o.clock.setTimeout(
      () => controller.abort(new EffectTimeout(command.effect, timeoutMs)),
      timeoutMs,
    );
    try {
      return (await untilAborted(() => answer, controller.signal)) === true;
    } catch (e) {
      // Cancelled or shut down: the caller drops the outcome; otherwise rejected or too slow.
      if (!run.cancelled && !this.#stopped)
        log(e, controller.signal.aborted ? `did not answer within ${timeoutMs} ms` : 'rejected');
      return true;
    } finally {
      this.#o.clock.clearTimeout(timer);
      run.controller = undefined;
    }
  }

  /**
   * Records an outcome: reschedules the record, trying again after a back-off while the store
   * fails (the outcome must not be lost while the process lives). True when recorded, false
   * when the record was no longer there at that version, undefined when the runtime shut down.
   * Throws the store's InvalidArgument when it refuses the outcome itself.
   */
  async #record(run: Run, dueAt: number, command: RunEffect | ReturnType<typeof storedResult>) {
    const { record } = run;
    for (let failures = 0; ; ) {
      if (this.#stopped) return undefined;
      try {
        // Only while our lease holds: a node that took the effect over owns its outcome.
        return await this.#put(record, dueAt, command, run.leaseUntil);
      } catch (error) {
        // Refused, not failed: the same write would be refused again (the caller records another outcome).
        if (isActorfoldError(error) && error.code === 'INVALID_ARGUMENT') throw error;
        failures++;
        const delay = backoffDelay(this.#o.storeRetry, failures);
        this.#o.logger[failures >= 5 ? 'error' : 'warn'](
          { err: error, streamId: record.streamId, effect: run.command.effect, retryInMs: delay },
          "recording an effect's outcome failed; trying again",
        );
        await this.#sleep(delay);
      }
    }
  }

  /**
   * Reschedules the record (same version) if it is still due at `ifDueAt`, and tells the timer
   * service; false when it was not there, or another node moved it (took it over).
   */
  async #put(
    record: TimerRecord,
    dueAt: number,
    command: RunEffect | ReturnType<typeof storedResult>,
    ifDueAt: number,
  ) {
    const ok = await this.#o.store.reschedule(
      record.streamId,
      record.name,
      record.version,
      dueAt,
      command,
      ifDueAt,
    );
    if (ok) this.#o.written(record.streamId, [{ op: 'schedule', timer: { ...record, dueAt, command } }]);
    return ok;
  }

  #cancel(run: Run, why: string, count = true): void {
    if (run.cancelled) return;
    run.cancelled = true;
    run.controller?.abort(new EffectCancelled(`effect '${run.command.effect}' ${why}`));
    if (this.#runs.get(run.key) === run) this.#runs.delete(run.key);
    if (count) this.#o.metrics.counters.effectsCancelled++;
  }

  #timeoutOf(command: RunEffect, def: EffectDefinition): number {
    return command.timeoutMs ?? def.timeoutMs ?? this.#o.catalog.timeoutMs;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#sleeping.delete(wake);
        this.#o.clock.clearTimeout(handle);
        resolve();
      };
      this.#sleeping.add(wake);
      const handle = this.#o.clock.setTimeout(wake, ms);
    });
  }
}

/**
 * Runs `fn` and settles with it, or rejects with the signal's reason as soon as it aborts: an
 * implementation that ignores its signal cannot hold the attempt past its timeout.
 */
function untilAborted<T>(fn: () => T | Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let result: T | Promise<T>;
    try {
      result = fn();
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      reject(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** True for a promise or any object with a `then` method; false when asking throws (a hostile Proxy). */
function isThenable(v: unknown): v is PromiseLike<unknown> {
  try {
    return (
      (typeof v === 'object' || typeof v === 'function') &&
      v !== null &&
      typeof (v as { then?: unknown }).then === 'function'
    );
  } catch {
    return false;
  }
}

function keyOf(streamId: string, name: string): string {
  return `${streamId}\u0000${name}`;
}

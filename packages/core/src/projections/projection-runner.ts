/**
 * A running projection: reads the global log from its checkpoint through a Subscription, calls
 * the handler of each event in order, and saves the checkpoint (with the read model, in
 * exactly-once mode) only after the handlers succeeded. A handler that throws stops the
 * projection at that event; `restart()` resumes there. A store outage does not: reads, checkpoint
 * loads and saves that fail transiently are retried with backoff (state `retrying`), from the
 * last position handled, with the read model kept in memory.
 */
import type { Logger } from 'pino';
import type { EventReader } from '../aggregate/read-events.js';
import {
  CorruptData,
  describe,
  InvalidArgument,
  isTransientStoreError,
  ProjectionFailed,
} from '../errors.js';
import type { ProjectionObservation, RuntimeObserver } from '../observability/observer.js';
import type { EventEnvelope } from '../store/store.js';
import type { RetryObserver } from '../subscriptions/store-retry.js';
import { type LogReader, Subscription } from '../subscriptions/subscription.js';
import { callHandler, inHandlerOf } from './handler-scope.js';
import type { ProjectionDefinition } from './projection.js';

/**
 * `retrying`: a store call failed transiently (the store is unreachable) and is tried again after a
 * backoff; `error` holds the last failure. `failed`: stopped for good at `error` (a handler threw,
 * CORRUPT_DATA, or another non-transient failure) until `restart()`.
 */
export type ProjectionState = 'starting' | 'running' | 'caught-up' | 'retrying' | 'failed' | 'stopped';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** The global position of the last event handled or skipped. */
  position: number;
  /** The position saved in the store. */
  checkpoint: number;
  /** Events in the log after `position` (by the newest position this runtime knows of). */
  lag: number;
  /** Why it stopped, when `state` is `'failed'`; the last store failure, when `'retrying'`. */
  error?: Error;
  /** Failed attempts in a row, when `state` is `'retrying'`. */
  attempt?: number;
}

/** What a projection needs from its runtime. */
export interface ProjectionHost extends LogReader {
  readonly logger: Logger;
  /**
   * Reads a stored event as its aggregate's definition does (codec, then upcasters): the runtime
   * knows each aggregate type's definition. Without it, handlers get stored envelopes as they are.
   */
  readonly reader?: EventReader;
  /** The runtime's observer (tracing), told of each event handed to a handler; null without one. */
  readonly observer?: RuntimeObserver | null;
  /**
   * Why this projection object may not start (again), if it may not: the runtime shut down, or a
   * later `runtime.project()` of its name replaced it (two runs would handle every event twice
   * and save over each other's checkpoint).
   */
  readonly refuseStart?: (projection: object) => Error | undefined;
}

export class Projection<S = unknown> {
  readonly def: ProjectionDefinition<S>;
  #state: ProjectionState = 'stopped';
  #model: S;
  #position = 0;
  #checkpoint = 0;
  /**
   * Exactly-once: the read model saved with `#checkpoint`, as JSON (undefined: `init()`, nothing
   * saved). A handler may change the read model in place before it throws; this is what the
   * visible state goes back to then. Keeping it costs one JSON.stringify of the read model per
   * checkpoint (next to the store's own), not a copy per event.
   */
  #committed: string | undefined;
  /** The log head read when the run started: the lag before any append is announced. */
  #head = 0;
  #error: Error | undefined;
  #attempt = 0;
  /** The state to go back to when a retried store call succeeds. */
  #beforeRetry: ProjectionState = 'running';
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;
  /** Settles when the rebuilds asked for so far are done; undefined when none is. */
  #rebuilding: Promise<void> | undefined;
  #waiters: Array<{ position: number; resolve: () => void; reject: (e: Error) => void }> = [];
  readonly #host: ProjectionHost;

  /** @internal Use `runtime.project(def)`. */
  constructor(def: ProjectionDefinition<S>, host: ProjectionHost) {
    if (def.mode === 'exactly-once' && host.store.checkpoints.setState === undefined) {
      throw new InvalidArgument(
        `projection '${def.name}': this store cannot save a read model with its checkpoint; use mode 'at-least-once'`,
      );
    }
    this.def = def;
    this.#host = host;
    this.#model = def.init();
  }

  get name(): string {
    return this.def.name;
  }

  /** The read model as of `status().position`. Treat it as read-only. */
  state(): S {
    return this.#model;
  }

  status(): ProjectionStatus {
    const lag = Math.max(0, Math.max(this.#host.tail.lastPosition, this.#head) - this.#position);
    return {
      name: this.def.name,
      state: this.#state,
      position: this.#position,
      checkpoint: this.#checkpoint,
      lag,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(this.#state === 'retrying' ? { attempt: this.#attempt } : {}),
    };
  }

  /** Resolves once every event up to `position` was handled (or skipped); rejects if the projection fails or stops first. */
  waitFor(position: number): Promise<void> {
    // NaN, Infinity, 1.5 or '3' would never be reached (or reached by coercion): refused instead.
    if (!Number.isSafeInteger(position) || position < 0) {
      return Promise.reject(
        new InvalidArgument(
          `projection '${this.def.name}': waitFor takes a global position (an integer >= 0), got ${describeValue(position)}`,
        ),
      );
    }
    if (this.#position >= position) return Promise.resolve();
    if (inHandlerOf(this)) return Promise.reject(this.#ownHandler(`waitFor(${position})`));
    if (this.#state === 'failed' || this.#state === 'stopped') return Promise.reject(this.#notRunning());
    return new Promise((resolve, reject) => this.#waiters.push({ position, resolve, reject }));
  }

  /**
   * Starts from the stored checkpoint. A no-op while running or rebuilding (a rebuild starts it).
   * Throws RuntimeClosed after the runtime shut down, and InvalidArgument once a later
   * `runtime.project()` of the name replaced this object.
   */
  start(): void {
    if (this.#running !== undefined || this.#rebuilding !== undefined) return;
    this.#start();
  }

  #start(): void {
    const refused = this.#host.refuseStart?.(this);
    if (refused !== undefined) throw refused;
    this.#error = undefined;
    this.#state = 'starting';
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#run(abort.signal).finally(() => {
      this.#running = undefined;
      this.#abort = undefined;
      this.#settleWaiters();
    });
  }

  /** Starts again after a failure or stop, at the stored checkpoint (the failed event comes again). Throws as `start()` does. */
  restart(): void {
    this.start();
  }

  /**
   * Stops after the current event and saves the checkpoint (after a rebuild in progress, which
   * would start it again). Called from this projection's own handler, it stops after that event
   * too, but its promise rejects at once with InvalidArgument: it could only settle after the
   * handler that awaits it returned.
   */
  stop(): Promise<void> {
    const stopping = this.#stop();
    if (!inHandlerOf(this)) return stopping;
    return refusedWait(this.#ownHandler('stop()', ' (it stops after this event)'));
  }

  async #stop(): Promise<void> {
    while (this.#rebuilding !== undefined) await this.#rebuilding.catch(() => undefined);
    await this.#stopRun();
  }

  async #stopRun(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
  }

  /**
   * Drops the read model and the checkpoint and starts again from the first event, without
   * stopping the runtime. Rebuilds run one after another: a second one (or a start) while the
   * first deletes the checkpoint would otherwise reset the read model under the run the first
   * one started, and save a fold missing every event before the reset. Refused (rejects) as
   * `start()` is; called from this projection's own handler, it rebuilds once that handler
   * returned, but its promise rejects at once with InvalidArgument, as `stop()`'s does.
   */
  rebuild(): Promise<void> {
    const refused = this.#host.refuseStart?.(this);
    // Checked first: a replaced object's rebuild would delete the checkpoint of the run that replaced it.
    if (refused !== undefined) return Promise.reject(refused);
    const previous = this.#rebuilding;
    const run = (async () => {
      if (previous !== undefined) await previous.catch(() => undefined);
      await this.#stopRun();
      const refusedNow = this.#host.refuseStart?.(this);
      if (refusedNow !== undefined) throw refusedNow; // shut down or replaced meanwhile
      // Neither stopped nor failed while it rebuilds: runtime.project() of the name is refused.
      this.#state = 'starting';
      this.#error = undefined;
      const { checkpoints } = this.#host.store;
      if (checkpoints.delete !== undefined) await checkpoints.delete(this.def.name);
      else await checkpoints.set(this.def.name, 0);
      this.#position = 0;
      this.#checkpoint = 0;
      this.#committed = undefined;
      this.#model = this.def.init();
      this.#start();
    })();
    const settled = run.catch(() => undefined);
    this.#rebuilding = settled;
    const done = run.finally(() => {
      if (this.#rebuilding !== settled) return;
      this.#rebuilding = undefined;
      if (this.#running === undefined) {
        // The rebuild failed before it started (the store refused the delete): stopped there.
        if (this.#state === 'starting') this.#state = 'stopped';
        this.#settleWaiters();
      }
    });
    if (!inHandlerOf(this)) return done;
    // Nobody may be waiting for it (the handler was refused the wait): its failure is logged.
    done.catch((error: unknown) =>
      this.#host.logger.error(
        { projection: this.def.name, err: error },
        `projection '${this.def.name}': rebuild failed`,
      ),
    );
    return refusedWait(this.#ownHandler('rebuild()', ' (it rebuilds once this handler returned)'));
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { def } = this;
    const host = this.#host;
    const { store, logger } = host;
    const observer: RetryObserver = {
      retrying: (error, attempt) => {
        if (this.#state !== 'retrying') this.#beforeRetry = this.#state;
        this.#state = 'retrying';
        this.#error = error;
        this.#attempt = attempt;
      },
      ended: () => {
        if (this.#state === 'retrying') this.#state = this.#beforeRetry;
        this.#error = undefined;
        this.#attempt = 0;
      },
    };
    const retrying = <T>(what: string, fn: () => Promise<T>) =>
      host.retry.run(`projection '${def.name}': ${what}`, fn, signal, observer);
    let dirty = 0;
    const commit = async () => {
      if (dirty === 0) return;
      // The same position and model again after a failure: saving twice is harmless.
      const position = this.#position;
      const model = this.#model;
      let saved: string | undefined;
      if (def.mode === 'exactly-once') {
        assertSavedExactly(def.name, position, model);
        // Taken before the write: what is saved is this model as it is now.
        saved = JSON.stringify(model);
      }
      await retrying('saving the checkpoint', async () => {
        if (def.mode === 'exactly-once') await store.checkpoints.setState?.(def.name, position, model);
        else await store.checkpoints.set(def.name, position);
      });
      this.#checkpoint = position;
      this.#committed = saved;
      dirty = 0;
    };
    try {
      await retrying('loading the checkpoint', () => this.#load());
      // Waiting for a position the checkpoint covers: no event comes to settle them.
      this.#settleWaiters();
      // The tail learns the head only from appends: without this, a projection resuming far
      // behind would report no lag until the next append.
      const lastPosition = store.lastPosition;
      if (lastPosition !== undefined) {
        const head = await retrying('reading the log head', () => lastPosition.call(store));
        if (head > this.#head) this.#head = head;
        if (head < this.#position) {
          // The log was replaced by an older copy (a restored backup of the events without
          // their checkpoints): the next events appended take positions the checkpoint passed.
          throw new CorruptData(
            `checkpoint:${def.name}`,
            this.#position,
            `projection '${def.name}' is checkpointed at position ${this.#position} but the log ends at ${head}: the events appended next would be skipped; rebuild() if the log was replaced`,
          );
        }
      }
      const subscription = new Subscription(
        host,
        { fromPosition: this.#position + 1, signal },
        {
          onCaughtUp: async () => {
            // Caught up: save what is pending before waiting for new events.
            await commit();
            this.#state = 'caught-up';
          },
          retry: observer,
        },
      );
      this.#state = 'running';
      for await (const e of subscription) {
        if (this.#state !== 'running') this.#state = 'running';
        if (def.aggregateTypes === undefined || def.aggregateTypes.has(e.aggregateType)) {
          const reader = host.reader;
          if (reader?.upcasts(e)) {
            // Upcast: its type may change and it may be several events, or none. All of them are
            // handled before the position moves past the stored event, so a checkpoint never
            // falls between two events read from one stored event.
            const read = reader.read(e);
            if (!Array.isArray(read)) await this.#handle(read as EventEnvelope, commit);
            else for (const one of read as readonly EventEnvelope[]) await this.#handle(one, commit);
          } else if (def.handlers.has(e.type)) {
            // Decoded only when a handler wants it.
            await this.#handle(reader === undefined ? e : (reader.read(e) as EventEnvelope), commit);
          }
        }
        this.#position = e.position;
        dirty++;
        this.#settleWaiters();
        if (dirty >= def.commitEvery) await commit();
        if (signal.aborted) break;
      }
      await commit();
      this.#state = 'stopped';
    } catch (error) {
      if (signal.aborted && isTransientStoreError(error)) {
        // Stopped while the store was unreachable: nothing failed; it resumes from its checkpoint.
        this.#state = 'stopped';
        this.#error = undefined;
        logger.warn(
          { projection: def.name, position: this.#position, checkpoint: this.#checkpoint, err: error },
          `projection '${def.name}' stopped while the store was unreachable`,
        );
        return;
      }
      this.#state = 'failed';
      // describe(): String() of what init() or a store threw (a null-prototype object) may throw
      // in turn, which would leave the run rejected and the projection 'failed' with no error.
      this.#error = error instanceof Error ? error : new Error(describe(error), { cause: error });
      if (!(error instanceof ProjectionFailed)) {
        const fields = { projection: def.name, position: this.#position };
        try {
          logger.error({ ...fields, err: error }, `projection '${def.name}' failed`);
        } catch {
          logger.error(fields, `projection '${def.name}' failed: ${describe(error)}`); // cannot serialise what was thrown
        }
      }
    }
  }

  /** Runs the handler of one event (as read), if there is one; a throw stops the projection at it. */
  async #handle(e: EventEnvelope, commit: () => Promise<void>): Promise<void> {
    const { def } = this;
    const handler = def.handlers.get(e.type);
    if (handler === undefined) return;
    let next: S | undefined;
    const observer = this.#host.observer;
    const observed = observer ? observeEvent(observer, def.name, e) : undefined;
    try {
      const model = this.#model;
      next = await callHandler(this, () => handler(model, e));
      if (observed !== undefined) endObservation(observed, undefined);
    } catch (cause) {
      if (observed !== undefined) endObservation(observed, cause);
      const error = new ProjectionFailed(def.name, e.position, e.type, cause);
      const fields = { projection: def.name, position: e.position, eventType: e.type };
      try {
        this.#host.logger.error({ ...fields, err: cause }, error.message);
      } catch {
        this.#host.logger.error(fields, error.message); // the logger cannot serialise what was thrown (a Proxy)
      }
      // At-least-once: what was handled stays handled. Exactly-once: the in-memory model may be
      // half-changed by the failed handler, so the last saved one stays the truth, and is what
      // state() shows (at the checkpoint's position: the events after it are no longer in it).
      if (def.mode === 'at-least-once') await commit();
      else this.#restoreCommitted(error);
      throw error;
    }
    if (next !== undefined) this.#model = next;
  }

  /** Loads the checkpoint (and, exactly-once, the read model saved with it). */
  async #load(): Promise<void> {
    const { def } = this;
    const { checkpoints } = this.#host.store;
    if (def.mode === 'exactly-once') {
      const saved = await checkpoints.getState?.(def.name);
      if (saved !== undefined && saved.state === undefined && saved.position > 0) {
        // A position without a read model (saved by an at-least-once projection of this name):
        // resuming there from init() would leave every event before it out of the fold.
        throw new InvalidArgument(
          `projection '${def.name}': its checkpoint holds position ${saved.position} but no read model (an at-least-once projection of this name saved it), so an exactly-once projection cannot resume there; rebuild() folds the read model from the first event`,
        );
      }
      this.#position = saved?.position ?? 0;
      this.#model = saved === undefined || saved.state === undefined ? def.init() : (saved.state as S);
      // Once per start; it loaded from JSON, so it goes back to the same.
      this.#committed =
        saved === undefined || saved.state === undefined ? undefined : JSON.stringify(saved.state);
    } else {
      this.#position = (await checkpoints.get(def.name)) ?? 0;
      this.#model = def.init();
    }
    this.#checkpoint = this.#position;
  }

  /** Exactly-once: the read model and position go back to the last checkpoint saved. */
  #restoreCommitted(failure: ProjectionFailed): void {
    try {
      this.#model = this.#committed === undefined ? this.def.init() : (JSON.parse(this.#committed) as S);
      this.#position = this.#checkpoint;
    } catch (error) {
      // Only init() can throw here; the handler's failure stays the one reported.
      this.#host.logger.error(
        { projection: this.def.name, position: failure.position },
        `projection '${this.def.name}': init() threw while going back to the last checkpoint: ${describe(error)}`,
      );
    }
  }

  /** Why a wait asked for from this projection's own handler is refused; `still` says what happens anyway. */
  #ownHandler(call: string, still = ''): InvalidArgument {
    return new InvalidArgument(
      `projection '${this.def.name}': ${call} cannot be awaited in the projection's own handler: it would wait for that handler to return, forever${still}`,
    );
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    // A rebuild stops the run and starts another: waiters wait for the new one.
    const ended = this.#running === undefined && this.#rebuilding === undefined;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#position >= w.position) w.resolve();
      else if (ended) w.reject(this.#notRunning());
      else return true;
      return false;
    });
  }

  #notRunning(): Error {
    return this.#error ?? new InvalidArgument(`projection '${this.def.name}' is ${this.#state}`);
  }
}

/**
 * A promise rejected with `error` that is not reported as unhandled: what was asked for (a stop,
 * a rebuild) still happens, so a handler that did not wait for it did nothing wrong.
 */
function refusedWait(error: Error): Promise<never> {
  const refused = Promise.reject(error);
  refused.catch(() => undefined);
  return refused;
}

function describeValue(v: unknown): string {
  return typeof v === 'string'
    ? JSON.stringify(v)
    : typeof v === 'object' && v !== null
      ? 'an object'
      : String(v);
}

/**
 * Refuses to save an exactly-once read model that would not load back as it is: stores keep it as
 * JSON, so a Map would come back `{}`, a Date a string, NaN null, and after a restart the read
 * model would no longer be the fold the running one was. Failing here keeps the last checkpoint
 * that did load back. A value JSON cannot write at all (BigInt, undefined) the store refuses.
 */
function assertSavedExactly(name: string, position: number, model: unknown): void {
  if (model === undefined || typeof model === 'bigint') return; // the store refuses it, naming it
  let problem: string | undefined;
  try {
    problem = changedByJson(model, 'read model', []);
  } catch (error) {
    problem = `it could not be read (${describe(error)})`; // a getter or Proxy trap threw, or too deep
  }
  if (problem === undefined) return;
  throw new InvalidArgument(
    `projection '${name}': the read model at position ${position} would not load back as it is (${problem}): an exactly-once read model is saved as JSON, so keep it to plain JSON values (no Map, Set, Date, class instance, NaN or Infinity), or use mode 'at-least-once'`,
  );
}

/**
 * Where JSON.parse(JSON.stringify(v)) would differ from `v`, or undefined. One walk, no copy (a
 * large read model is checked at each checkpoint). Lenient where snapshots are: -0 and
 * undefined-valued keys are JSON's harmless normalisations; symbol keys are not compared.
 */
function changedByJson(v: unknown, path: string, ancestors: object[]): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} is ${v}, saved as null`;
  if (typeof v !== 'object') return `${path} is ${v === undefined ? 'undefined' : `a ${typeof v}`}, not JSON`;
  if (ancestors.includes(v)) return `${path} refers back to an object that contains it (a cycle)`;
  ancestors.push(v);
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) return `${path}[${i}] is a hole, saved as null`;
        const p = changedByJson(v[i], `${path}[${i}]`, ancestors);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const kind =
        v instanceof Map
          ? 'a Map'
          : v instanceof Set
            ? 'a Set'
            : v instanceof Date
              ? 'a Date'
              : `a ${(v as object).constructor?.name ?? 'class instance'}`;
      return `${path} is ${kind}, not a plain object`;
    }
    for (const key of Object.keys(v)) {
      const value = (v as Record<string, unknown>)[key];
      if (value === undefined) continue; // dropped, and read back as absent: the same
      const p = changedByJson(value, `${path}.${key}`, ancestors);
      if (p !== undefined) return p;
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}

/** The observer's view of one event handled; undefined when it does not watch it. */
function observeEvent(
  observer: RuntimeObserver,
  projection: string,
  event: EventEnvelope,
): ProjectionObservation | undefined {
  try {
    return observer.projectionEvent?.(projection, event);
  } catch {
    return undefined; // instrumentation never fails a projection
  }
}

function endObservation(observed: ProjectionObservation, error: unknown): void {
  try {
    observed.ended(error);
  } catch {
    // instrumentation never fails a projection
  }
}

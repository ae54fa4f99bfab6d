/**
 * A running projection: reads the global log from its checkpoint through a Subscription, calls
 * the handler of each event in order, and saves the checkpoint (with the read model, in
 * exactly-once mode) only after the handlers succeeded. A handler that throws stops the
 * projection at that event; `restart()` resumes there.
 */
import type { Logger } from 'pino';
import { InvalidArgument, ProjectionFailed } from '../errors.js';
import type { EventStore } from '../store/store.js';
import type { LogTail } from '../subscriptions/log-tail.js';
import { Subscription } from '../subscriptions/subscription.js';
import type { ProjectionDefinition } from './projection.js';

export type ProjectionState = 'starting' | 'running' | 'caught-up' | 'failed' | 'stopped';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** The global position of the last event handled or skipped. */
  position: number;
  /** The position saved in the store. */
  checkpoint: number;
  /** Events in the log after `position` (by the newest position this runtime knows of). */
  lag: number;
  /** Why it stopped, when `state` is `'failed'`. */
  error?: Error;
}

/** What a projection needs from its runtime. */
export interface ProjectionHost {
  readonly store: EventStore;
  readonly tail: LogTail;
  readonly logger: Logger;
}

export class Projection<S = unknown> {
  readonly def: ProjectionDefinition<S>;
  #state: ProjectionState = 'stopped';
  #model: S;
  #position = 0;
  #checkpoint = 0;
  #error: Error | undefined;
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;
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
    const lag = Math.max(0, this.#host.tail.lastPosition - this.#position);
    return {
      name: this.def.name,
      state: this.#state,
      position: this.#position,
      checkpoint: this.#checkpoint,
      lag,
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
  }

  /** Resolves once every event up to `position` was handled (or skipped); rejects if the projection fails or stops first. */
  waitFor(position: number): Promise<void> {
    if (this.#position >= position) return Promise.resolve();
    if (this.#state === 'failed' || this.#state === 'stopped') return Promise.reject(this.#notRunning());
    return new Promise((resolve, reject) => this.#waiters.push({ position, resolve, reject }));
  }

  /** Starts from the stored checkpoint. A no-op while running. */
  start(): void {
    if (this.#running !== undefined) return;
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

  /** Starts again after a failure or stop, at the stored checkpoint (the failed event comes again). */
  restart(): void {
    this.start();
  }

  /** Stops after the current event and saves the checkpoint. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
  }

  /** Drops the read model and the checkpoint and starts again from the first event, without stopping the runtime. */
  async rebuild(): Promise<void> {
    await this.stop();
    const { checkpoints } = this.#host.store;
    if (checkpoints.delete !== undefined) await checkpoints.delete(this.def.name);
    else await checkpoints.set(this.def.name, 0);
    this.#position = 0;
    this.#checkpoint = 0;
    this.#model = this.def.init();
    this.start();
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { def } = this;
    const { store, tail, logger } = this.#host;
    let dirty = 0;
    const commit = async () => {
      if (dirty === 0) return;
      if (def.mode === 'exactly-once')
        await store.checkpoints.setState?.(def.name, this.#position, this.#model);
      else await store.checkpoints.set(def.name, this.#position);
      this.#checkpoint = this.#position;
      dirty = 0;
    };
    try {
      await this.#load();
      const subscription = new Subscription(
        store,
        tail,
        { fromPosition: this.#position + 1, signal },
        async () => {
          // Caught up: save what is pending before waiting for new events.
          await commit();
          this.#state = 'caught-up';
        },
      );
      this.#state = 'running';
      for await (const e of subscription) {
        if (this.#state !== 'running') this.#state = 'running';
        const handler = def.handlers.get(e.type);
        if (
          handler !== undefined &&
          (def.aggregateTypes === undefined || def.aggregateTypes.has(e.aggregateType))
        ) {
          let next: S | undefined;
          try {
            next = await handler(this.#model, e);
          } catch (cause) {
            const error = new ProjectionFailed(def.name, e.position, e.type, cause);
            logger.error(
              { projection: def.name, position: e.position, eventType: e.type, err: cause },
              error.message,
            );
            // At-least-once: what was handled stays handled. Exactly-once: the in-memory model may be
            // half-changed by the failed handler, so the last saved one stays the truth.
            if (def.mode === 'at-least-once') await commit();
            throw error;
          }
          if (next !== undefined) this.#model = next;
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
      this.#state = 'failed';
      this.#error = error instanceof Error ? error : new Error(String(error));
      if (!(error instanceof ProjectionFailed)) {
        logger.error(
          { projection: def.name, position: this.#position, err: error },
          `projection '${def.name}' failed`,
        );
      }
    }
  }

  /** Loads the checkpoint (and, exactly-once, the read model saved with it). */
  async #load(): Promise<void> {
    const { def } = this;
    const { checkpoints } = this.#host.store;
    if (def.mode === 'exactly-once') {
      const saved = await checkpoints.getState?.(def.name);
      this.#position = saved?.position ?? 0;
      this.#model = saved === undefined || saved.state === undefined ? def.init() : (saved.state as S);
    } else {
      this.#position = (await checkpoints.get(def.name)) ?? 0;
      this.#model = def.init();
    }
    this.#checkpoint = this.#position;
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    const ended = this.#running === undefined;
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

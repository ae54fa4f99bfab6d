/**
 * Runs a ported workflow example end to end: a runtime over a real LevelDB folder (or a memory
 * store that outlives its runtime, as a folder would), on a SimulatedClock, with the example's
 * services registered as effect implementations. The clock moves only when a scenario says so;
 * between moves the work the runtime started (appends, timer firings, effect attempts) is let
 * settle in real time, since LevelDB does real I/O.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyAggregate,
  createRuntime,
  type EffectsOptions,
  type EventStore,
  memoryStore,
  type Runtime,
  SimulatedClock,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterAll } from 'vitest';

/** Rounds in a row without a change before the runtime counts as settled. */
const QUIET_ROUNDS = 4;

/** Where a run keeps its data. */
export type StoreKind = 'level' | 'memory';

/** The time every run starts at. */
export const T0 = Date.parse('2025-06-02T08:00:00Z');

const root = mkdtempSync(join(tmpdir(), 'actorfold-xstate-examples-'));
let folders = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

export interface WorkflowRunOptions {
  kind: StoreKind;
  aggregates: readonly AnyAggregate[];
  /** The effect implementations (the simulated services) and the runner's settings. */
  effects?: EffectsOptions;
}

/** One store, one simulated clock, and the runtime currently open over them. */
export class WorkflowRun {
  readonly clock = new SimulatedClock(T0);
  readonly #options: WorkflowRunOptions;
  readonly #path: string | undefined;
  #store: EventStore | undefined;
  #runtime: Runtime | undefined;

  private constructor(options: WorkflowRunOptions) {
    this.#options = options;
    this.#path = options.kind === 'level' ? join(root, `store-${++folders}`) : undefined;
  }

  /** Opens the store and starts the first runtime. */
  static async open(options: WorkflowRunOptions): Promise<WorkflowRun> {
    const run = new WorkflowRun(options);
    await run.#start();
    return run;
  }

  get runtime(): Runtime {
    if (this.#runtime === undefined) throw new Error('the run is closed');
    return this.#runtime;
  }

  get store(): EventStore {
    if (this.#store === undefined) throw new Error('the run is closed');
    return this.#store;
  }

  /**
   * Lets the started work finish without moving time: waits until nothing is due on the
   * simulated clock (every due timer firing and effect attempt has been taken up) and the store
   * has stopped changing for a few rounds. Due timers and effect attempts are armed on the
   * simulated clock at the current instant, so each round fires those first.
   */
  async settle(limitMs = 10_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    let last = '';
    for (let stable = 0; stable < QUIET_ROUNDS; ) {
      if (Date.now() > deadline) throw new Error(`the runtime did not settle within ${limitMs} ms`);
      await this.#round();
      const mark = await this.#mark();
      stable = mark === last && !mark.endsWith(':due') ? stable + 1 : 0;
      last = mark;
    }
  }

  /** One round: fires what is due now, lets promise turns and (for LevelDB) some I/O happen. */
  async #round(): Promise<void> {
    this.clock.advance(0);
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setTimeout(r, this.#path === undefined ? 0 : 2));
  }

  /** What the store holds, in short: its last position, its timer count, and whether any is due. */
  async #mark(): Promise<string> {
    const store = this.store;
    const timers = store.timers;
    const due = timers === undefined ? [] : await timers.due(this.clock.now(), 1);
    return `${(await store.lastPosition?.()) ?? 0}:${(await timers?.count()) ?? 0}:${due.length > 0 ? 'due' : 'none'}`;
  }

  /** Settles until `check` holds, without moving the clock; fails after `limitMs` of real time. */
  async until(
    check: () => Promise<boolean> | boolean,
    what: string | (() => string),
    limitMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(`still not reached after ${limitMs} ms: ${typeof what === 'string' ? what : what()}`);
      }
      await this.#round();
    }
  }

  /** Moves the clock forward in steps, settling after each, so timers armed by firings fire too. */
  async advance(ms: number, step = Math.max(1, Math.ceil(ms / 8))): Promise<void> {
    for (let done = 0; done < ms; done += step) {
      this.clock.advance(Math.min(step, ms - done));
      await this.settle();
    }
  }

  /** Shuts the runtime down, reopens the store (the same folder) and starts a fresh runtime. */
  async restart(): Promise<void> {
    await this.#stop();
    await this.#start();
  }

  /** Shuts down and closes the store (a LevelDB folder is removed with the test file's temp dir). */
  async close(): Promise<void> {
    await this.#stop();
  }

  async #start(): Promise<void> {
    this.#store ??=
      this.#path === undefined
        ? keptOpen(memoryStore({ clock: this.clock }))
        : await levelStore({ path: this.#path, clock: this.clock, durability: 'os' });
    this.#runtime = await createRuntime({
      store: this.#store,
      aggregates: this.#options.aggregates,
      clock: this.clock,
      idleTimeoutMs: Number.POSITIVE_INFINITY,
      ...(this.#options.effects === undefined ? {} : { effects: this.#options.effects }),
    });
  }

  async #stop(): Promise<void> {
    const runtime = this.#runtime;
    this.#runtime = undefined;
    if (runtime !== undefined) await runtime.shutdown();
    // A LevelDB folder is closed with its runtime and opened again on the next start.
    if (this.#path !== undefined) this.#store = undefined;
  }
}

/** A memory store whose close keeps the data, so the next runtime "reopens" it. */
function keptOpen(store: EventStore): EventStore {
  return { ...store, close: async () => {} };
}

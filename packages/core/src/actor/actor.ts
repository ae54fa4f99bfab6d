// Imported: the global `performance` is an accessor on globalThis, read twice per command.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { AnyAggregate, SnapshotPolicy } from '../aggregate/aggregate.js';
import { ActorCrashed, InvalidArgument, isActorfoldError, isVersionConflict, StoreError } from '../errors.js';
import { Metrics } from '../observability/metrics.js';
import { observeRequest } from '../observability/observer.js';
import type { IdleNode } from '../runtime/idle-reaper.js';
import type { EventEnvelope } from '../store/store.js';
import type { ActorHost, HostedActor } from './actor-host.js';
import {
  type ActorStatus,
  isResident,
  nextStatus,
  publicStatus,
  type Status,
  type Transition,
} from './actor-status.js';
import { Batch, type BatchDone } from './batch.js';
import { brokenBatcher } from './broken-batcher.js';
import { activationEnded, activationStarting, commandStarting, observeAppend } from './command-hooks.js';
import type { StepOutcome } from './command-step.js';
import { type DedupeWindow, remember } from './dedupe.js';
import { Mailbox, type MailboxProcessor } from './mailbox.js';
import { runPipeline } from './pipeline.js';
import { catchUp, type Folded, recover } from './recovery.js';
import { appendError, Refused } from './refused.js';
import { answerBatch, batchOutcomes, replyBeforeDurable, settleCommand } from './replies.js';
import {
  type CancelTimerRequest,
  type CommandRequest,
  type ExecuteResult,
  type FireRequest,
  type Request,
  type SnapshotRequest,
  type StateRequest,
  TimerCommand,
} from './request.js';
import { SnapshotRefused, snapshotDue } from './snapshot-policy.js';
import { saveSnapshot } from './snapshot-saving.js';
import { appendOptions, cancelTimer, settleFiring, stillPending } from './timer-firing.js';

/**
 * What `#batch` and its steps return: with `answer`, nothing or a promise of nothing (the batch is
 * answered where it finishes); without, the finished batch or a promise of it.
 */
type Running = BatchDone | undefined | Promise<BatchDone | undefined>;

/** `#nth`: the command's commandId is held by a batch still appending. */
const BLOCKED: unique symbol = Symbol('blocked');

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * The single writer of one aggregate's stream, as a thin shell: requests wait in its bounded
 * mailbox and run one at a time; the shell does the I/O (refresh, append, lease, snapshots)
 * and the replies around the pure command step (command-step.ts) and recovery (recovery.ts).
 *
 * Every field here is paid for by every resident actor, so rarely needed things (the dedupe
 * window, the child logger, the "gone" promise) are created on first use.
 */
export class AggregateActor implements MailboxProcessor<Request>, HostedActor {
  idlePrev: IdleNode | null = null;
  idleNext: IdleNode | null = null;
  idleSince = 0;
  readonly def: AnyAggregate;
  readonly id: string;
  readonly streamId: string;
  readonly #host: ActorHost;
  readonly #mailbox: Mailbox<Request>;
  #status: Status = 'activating';
  #state: unknown;
  #version = 0;
  #snapshotVersion = 0;
  #dedupe: DedupeWindow | null = null;
  #snapshotting: Promise<void> | null = null;
  /** Gives back the store's lease on this aggregate (lease mode of a shared store). */
  #release: (() => Promise<void>) | undefined = undefined;
  #gone: Deferred | null = null;

  constructor(host: ActorHost, def: AnyAggregate, id: string, streamId: string) {
    this.#host = host;
    this.def = def;
    this.id = id;
    this.streamId = streamId;
    this.#mailbox = new Mailbox<Request>(this);
  }

  get status(): ActorStatus {
    return publicStatus(this.#status);
  }

  get version(): number {
    return this.#version;
  }

  get mailboxSize(): number {
    return this.#mailbox.size;
  }

  /** Whether new requests may be queued here (otherwise the registry starts a successor). */
  get accepting(): boolean {
    const s = this.#status;
    return s === 'ready' || s === 'busy' || s === 'activating';
  }

  /** Whether this actor is still the stream's writer (not yet stopped or crashed). */
  get resident(): boolean {
    return isResident(this.#status);
  }

  /**
   * The one way the status changes: the transition table is `nextStatus`; the gauges that
   * count actors by status follow here. Returns the new status.
   */
  #to(transition: Transition): Status {
    const before = this.#status;
    const after = nextStatus(before, transition);
    if (after === before) return after;
    this.#status = after;
    const host = this.#host;
    const wasActivating = before === 'activating' || before === 'activating-then-evict';
    if (wasActivating && after !== 'activating-then-evict') host.activating--;
    if (!isResident(after)) {
      host.resident--;
      host.busy(this);
      host.forget(this);
    }
    return after;
  }

  /**
   * Brings the actor to `ready`. A stream the store knows to be empty needs no recovery and
   * is ready at once; otherwise the actor waits for its predecessor to be gone and for a
   * recovery permit, while requests queue in the (held) mailbox.
   */
  activate(predecessor: AggregateActor | undefined): void {
    const host = this.#host;
    host.resident++;
    host.activating++;
    // Lease mode needs the asynchronous acquire before anything: no ready-at-once shortcut then.
    if (predecessor === undefined && host.store.acquire === undefined && this.#knownEmpty()) {
      let initial: unknown;
      try {
        initial = this.def.initialState();
      } catch (error) {
        // As a recovery that failed: the actor crashes once the request that activated it is
        // queued behind the hold, so that caller gets ACTOR_CRASHED (never a synchronous throw
        // out of execute) and no request runs on a state that was never made.
        this.#mailbox.hold();
        void Promise.resolve().then(() => this.#crash(error, []));
        return;
      }
      this.#state = initial;
      this.#to('recovered');
      host.metrics.counters.activations++;
      host.metrics.forType(this.def.type).activations++;
      if (host.observer !== null) {
        const observed = activationStarting(host, this);
        if (observed !== undefined) activationEnded(observed, 0, 0, undefined);
      }
      return;
    }
    this.#mailbox.hold();
    void this.#activate(predecessor);
  }

  /** True when the store knows, without I/O, that the stream is empty (a store that cannot tell: false). */
  #knownEmpty(): boolean {
    try {
      return this.#host.store.knownStreamVersion?.(this.streamId) === 0;
    } catch {
      return false; // e.g. a closed store: recovery reports the failure to the waiting callers
    }
  }

  async #activate(predecessor: AggregateActor | undefined): Promise<void> {
    const host = this.#host;
    const started = performance.now();
    const observed = host.observer === null ? undefined : activationStarting(host, this);
    try {
      if (predecessor !== undefined) await predecessor.whenGone();
      if (host.store.acquire !== undefined) this.#release = await host.store.acquire(this.streamId);
      await host.withRecoveryPermit(async () => {
        const recovered = await recover(host, this.def, this.streamId, () => this.logger());
        this.#snapshotVersion = recovered.snapshotVersion;
        this.#apply(recovered);
      });
    } catch (error) {
      if (observed !== undefined) activationEnded(observed, this.#snapshotVersion, this.#version, error);
      this.#crash(error, []);
      return;
    }
    if (observed !== undefined) activationEnded(observed, this.#snapshotVersion, this.#version, undefined);
    if (this.#status === 'crashed') return;
    host.metrics.counters.activations++;
    host.metrics.forType(this.def.type).activations++;
    Metrics.record(host.metrics.recoveryLatency, performance.now() - started);
    if (host.logger.isLevelEnabled('debug')) this.logger().debug({ version: this.#version }, 'activated');
    const status = this.#to('recovered');
    const queued = this.#mailbox.size > 0;
    this.#mailbox.release(); // with requests queued, drained() takes it from here
    if (queued) return;
    if (status === 'evicting') void this.#finishEviction();
    else host.idle(this);
  }

  /** Queues a request; false when the mailbox is full. The caller checked `accepting`. */
  enqueue(request: Request): boolean {
    const host = this.#host;
    host.busy(this);
    host.mailboxDepth++;
    if (this.#mailbox.offer(request, host.options.mailboxCapacity)) return true;
    host.mailboxDepth--;
    if (this.#status === 'ready') host.idle(this);
    return false;
  }

  /**
   * Asks the actor to go: it takes no new requests, finishes those it has, snapshots if due and
   * stops. Resolves once it is gone (stopped or crashed).
   */
  requestEviction(): Promise<void> {
    this.#evict();
    this.#handOver();
    return this.whenGone();
  }

  #evict(): void {
    const was = this.#status;
    // From busy, drained() finishes the eviction; from activating, the end of recovery does.
    if (this.#to('evict') === 'evicting' && was === 'ready' && this.#mailbox.size === 0) {
      void this.#finishEviction();
    }
  }

  /** Callers waiting for room here (`onMailboxFull: 'wait'`) go to the stream's next actor. */
  #handOver(): void {
    if (this.#host.waiting !== 0) this.#host.handOver(this);
  }

  /** Resolves once the actor is stopped or crashed: a successor may then take over the stream. */
  whenGone(): Promise<void> {
    if (!this.resident) return Promise.resolve();
    if (this.#gone === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#gone = { promise, resolve };
    }
    return this.#gone.promise;
  }

  /**
   * The store lost this actor's lease (the session holding it died): another node may host the
   * aggregate now, so this actor stops being its writer at once. Requests not yet started move,
   * in order, to a successor, which acquires the lease again before it recovers (and answers
   * NOT_OWNER if another node got it first); a command already running finishes, its append still
   * guarded by expectedVersion. Without queued requests, the next request starts the successor.
   */
  leaseLost(): void {
    if (this.#release === undefined || !this.resident) return;
    // Nothing to give back: the lock went with its session.
    this.#release = undefined;
    const host = this.#host;
    host.metrics.counters.leasesLost++;
    this.logger().warn(
      { version: this.#version },
      'lease lost (its database session ended): evicting now; the next request acquires it again',
    );
    // With a successor already queueing newer requests (this one was evicting), moving these
    // behind them would break arrival order: they finish here, before the successor starts.
    const queued = host.isNewest(this) ? this.#mailbox.takeAll() : [];
    this.#evict();
    for (const request of queued) {
      host.mailboxDepth--;
      host.redirect(this.def, this.id, this.streamId, request);
    }
    // Callers still waiting for room came after those: they follow them.
    this.#handOver();
  }

  /** Fails every request not yet started (shutdown past its deadline). */
  abandonQueued(error: Error): void {
    for (const r of this.#mailbox.takeAll()) {
      this.#host.mailboxDepth--;
      r.fail(error);
    }
  }

  idleTimeout(): void {
    if (this.#status === 'ready' && this.#mailbox.size === 0) {
      this.#to('evict');
      void this.#finishEviction();
    }
  }

  drained(): void {
    if (this.#status === 'evicting') void this.#finishEviction();
    else if (this.#status === 'ready') this.#host.idle(this);
  }

  process(request: Request): Promise<void> | undefined {
    this.#host.mailboxDepth--;
    // Timed out while waiting: the caller is gone, so the request never runs.
    if (request.settled) return undefined;
    this.#to('start');
    const kind = request.kind;
    if ((kind === 'execute' || kind === 'inject') && !this.#pipelined()) return this.#commands(request);
    return this.#run(request);
  }

  /**
   * Whether commands run through the pipeline: `maxBatchesInFlight` > 1 on a store that pipelines
   * appends, and more commands waiting behind this one (a command alone has nothing to overlap
   * with, and the one-batch path costs less: load spread over many aggregates stays on it).
   */
  #pipelined(): boolean {
    const host = this.#host;
    return (
      host.options.maxBatchesInFlight > 1 && host.store.pipelinedAppends === true && this.#mailbox.size > 1
    );
  }

  /**
   * `#run` for commands one batch at a time, without an async function (a suspended async
   * function keeps its whole frame on the heap, and with load spread over many aggregates every
   * command comes here alone): `#batch` answers each batch itself once its append landed and
   * starts the next one (a command carried over), the last once the actor is ready again.
   */
  #commands(first: CommandRequest): Promise<undefined> | undefined {
    // Answering, #batch gives nothing or a promise of nothing (see #finish).
    return this.#batch(first, true) as Promise<undefined> | undefined;
  }

  /** `#batch` for a caller that answers the batch itself (a timer firing): the finished batch. */
  #batchAlone(first: CommandRequest): BatchDone | Promise<BatchDone> {
    return this.#batch(first, false) as BatchDone | Promise<BatchDone>;
  }

  #batchDone(done: BatchDone): Promise<undefined> | undefined {
    if (done.carry !== undefined) {
      answerBatch(this.#host, this, done);
      return this.#commands(done.carry);
    }
    this.#to('finish');
    answerBatch(this.#host, this, done);
    return undefined;
  }

  freed(): void {
    // Callers waiting for room (`onMailboxFull: 'wait'`) are rare: one comparison otherwise.
    if (this.#host.waiting !== 0) this.#host.admit(this);
  }

  async #run(request: Request): Promise<void> {
    let last: BatchDone | undefined;
    try {
      if (request.kind === 'state' || request.kind === 'snapshot') {
        await this.#query(request);
        return;
      }
      if (request.kind === 'fire' || request.kind === 'cancel-timer') {
        await this.#timerRequest(request);
        return;
      }
      // A command that did not fit in a batch's byte limit starts the next one.
      let next: CommandRequest | undefined = request;
      if (this.#pipelined()) {
        last = await this.#pipeline(request);
        next = undefined;
      }
      while (next !== undefined) {
        const done = await this.#batchAlone(next);
        next = done.carry;
        // With another batch to run, answer these first; otherwise once the actor is ready
        // again, so callers resume on a current status and metrics.
        if (next === undefined) last = done;
        else answerBatch(this.#host, this, done);
      }
    } finally {
      this.#to('finish');
    }
    if (last !== undefined) answerBatch(this.#host, this, last);
  }

  /** A `state` or `snapshot` request: it ends any batch and runs on the refreshed state. */
  async #query(request: StateRequest | SnapshotRequest): Promise<void> {
    try {
      const refreshing = this.#refresh();
      if (refreshing !== undefined) await refreshing;
      if (request.kind === 'state') request.succeed({ state: this.#state, version: this.#version });
      else await this.#snapshotNow(request);
    } catch (error) {
      // Refresh failed: the in-memory state can no longer be trusted.
      this.#crash(error, [request]);
    }
  }

  /**
   * The next command queued right behind the running one, taken from the mailbox; undefined when
   * none (a state or snapshot request ends a batch: requests never change order).
   */
  #takeCommand(): CommandRequest | undefined {
    for (;;) {
      const next = this.#mailbox.peekNext();
      if (next === undefined || (next.kind !== 'execute' && next.kind !== 'inject')) return undefined;
      this.#mailbox.takeNext();
      this.#host.mailboxDepth--;
      // Timed out while waiting: the caller is gone, so the request never runs.
      if (!next.settled) return next;
    }
  }

  /**
   * Runs `first` and the commands queued behind it (up to `maxBatchCommands` and about
   * `maxBatchBytes` of events) as one batch: each decided on the state the accepted ones before
   * it leave (batch.ts), all their events in one append. The outcomes are sent only once the
   * append is durable; a command taken but left for the next batch (it did not fit the bytes) is
   * carried over. Crashes the actor (failing every command taken) when evolve or a refresh throws.
   *
   * Plain methods chained with `then` where something must be waited for (a refresh, an async
   * decide, the append, a retry's catch-up), not an async function: its suspended frame was the
   * largest allocation of a command. With `answer` (`#commands`), the finished batch is answered
   * and the next one started where it finishes (`#batchDone`), one `then` per append; without
   * (a timer firing), it resolves to the finished batch. A batch that waited for nothing is still
   * finished a microtask later, as an awaited one would be: callers are never answered inside
   * the `execute` call that queued their command.
   */
  #batch(first: CommandRequest, answer: boolean): Running {
    const started = performance.now();
    const requests: CommandRequest[] = [first];
    let refreshing: Promise<void> | undefined;
    try {
      refreshing = this.#refresh();
    } catch (error) {
      return this.#crashed(error, requests, undefined, started, answer);
    }
    if (refreshing === undefined) return this.#attempt(requests, undefined, 0, started, answer);
    return refreshing.then(
      () => this.#attempt(requests, undefined, 0, started, answer),
      (error: unknown) => this.#crashed(error, requests, undefined, started, answer),
    );
  }

  /** One attempt at the batch: decide its commands (the first attempt takes queued ones too), then append. */
  #attempt(
    requests: CommandRequest[],
    carry: CommandRequest | undefined,
    attempt: number,
    started: number,
    answer: boolean,
  ): Running {
    const host = this.#host;
    let batch: Batch;
    let filling: CommandRequest[] | undefined | Promise<CommandRequest[] | undefined>;
    try {
      const now = host.clock.now();
      host.batchNow = now;
      batch = new Batch(
        this.def,
        this.id,
        this.streamId,
        this.#state,
        this.#version,
        this.#dedupe,
        now,
        host.options.effects,
      );
      filling = this.#fill(batch, requests, attempt === 0, null);
    } catch (error) {
      return this.#crashed(error, requests, carry, started, answer);
    }
    if (!(filling instanceof Promise))
      return this.#append(batch, requests, filling, carry, attempt, started, answer);
    return filling.then(
      (left) => this.#append(batch, requests, left, carry, attempt, started, answer),
      (error: unknown) => this.#crashed(error, requests, carry, started, answer),
    );
  }

  /** Appends a decided batch (nothing to append: finished at once); its landing applies and finishes it. */
  #append(
    batch: Batch,
    requests: CommandRequest[],
    left: CommandRequest[] | undefined,
    carried: CommandRequest | undefined,
    attempt: number,
    started: number,
    answer: boolean,
  ): Running {
    const host = this.#host;
    let carry = carried;
    if (attempt === 0) {
      carry = left?.[0];
      host.metrics.counters.batches++;
      host.metrics.batchSize.record(requests.length);
    }
    let appending: Promise<EventEnvelope[]>;
    let issued = 0;
    try {
      if (batch.events.length === 0) {
        this.#remember(batch, []);
        return this.#finished(
          carry,
          requests,
          batchOutcomes(this.#host, this, batch, []),
          started,
          answer,
          true,
        );
      }
      if (brokenBatcher.mode === 'reply-before-durable') replyBeforeDurable(this.#host, this, batch, started);
      issued = host.observer === null ? 0 : performance.now();
      try {
        appending = host.store.append(
          this.streamId,
          batch.events,
          appendOptions(host.store, this.streamId, batch.baseVersion, batch.timers),
        );
      } catch (error) {
        // A store (or the timer check) that throws instead of rejecting: failed like a rejection.
        return this.#appendFailed(error, requests, carry, attempt, started, issued, answer);
      }
    } catch (error) {
      return this.#crashed(error, requests, carry, started, answer);
    }
    return appending.then(
      (stored) => this.#landed(batch, stored, requests, carry, started, issued, answer),
      (error: unknown) => this.#appendFailed(error, requests, carry, attempt, started, issued, answer),
    );
  }

  /** The batch's append is durable: apply it, then finish it with its outcomes. */
  #landed(
    batch: Batch,
    stored: EventEnvelope[],
    requests: CommandRequest[],
    carry: CommandRequest | undefined,
    started: number,
    issued: number,
    answer: boolean,
  ): Running {
    try {
      if (this.#host.observer !== null) observeAppend(requests, performance.now() - issued);
      this.#commit(batch, stored);
      return this.#finished(
        carry,
        requests,
        batchOutcomes(this.#host, this, batch, stored),
        started,
        answer,
        false,
      );
    } catch (error) {
      return this.#crashed(error, requests, carry, started, answer);
    }
  }

  /**
   * The batch's append failed. Nothing of it is applied: every command fails and the actor keeps
   * its state; or, on a version conflict with retries left, the actor catches up and decides the
   * batch again on the fresh state, except commands that named the version they expected (gone).
   */
  #appendFailed(
    error: unknown,
    requests: CommandRequest[],
    carry: CommandRequest | undefined,
    attempt: number,
    started: number,
    issued: number,
    answer: boolean,
  ): Running {
    const host = this.#host;
    let kept: CommandRequest[];
    try {
      if (host.observer !== null) observeAppend(requests, performance.now() - issued);
      const conflict = isVersionConflict(error);
      if (!conflict || attempt >= host.options.maxConflictRetries) {
        const refused = new Refused(appendError(error), conflict);
        const outcomes = requests.map(() => refused);
        return this.#finished(carry, requests, outcomes, started, answer, false);
      }
      // Another writer got there first.
      host.metrics.counters.conflictRetries++;
      const refused = new Refused(error, true);
      kept = requests.filter((r) => {
        if (r.options.expectedVersion === undefined) return true;
        settleCommand(this.#host, this, r, refused, performance.now() - started);
        return false;
      });
    } catch (thrown) {
      return this.#crashed(thrown, requests, carry, started, answer);
    }
    return this.#catchUp(undefined).then(
      () =>
        kept.length === 0
          ? this.#finished(carry, kept, [], started, answer, false)
          : this.#attempt(kept, carry, attempt + 1, started, answer),
      (thrown: unknown) => this.#crashed(thrown, kept, carry, started, answer),
    );
  }

  /**
   * A finished batch, its outcomes maybe still being read (a retried commandId's original events):
   * answered and the next one started (`answer`), or handed back. `now`: it waited for nothing,
   * so it is finished a microtask later (see #batch).
   */
  #finished(
    carry: CommandRequest | undefined,
    requests: CommandRequest[],
    outcomes: ReadonlyArray<ExecuteResult | Refused> | Promise<ReadonlyArray<ExecuteResult | Refused>>,
    started: number,
    answer: boolean,
    now: boolean,
  ): Running {
    if (outcomes instanceof Promise) {
      return outcomes.then(
        (read) => this.#finish({ carry, requests, outcomes: read, started }, answer),
        (error: unknown) => this.#crashed(error, requests, carry, started, answer),
      );
    }
    const done: BatchDone = { carry, requests, outcomes, started };
    return now ? Promise.resolve(done).then((d) => this.#finish(d, answer)) : this.#finish(done, answer);
  }

  /** Refresh, catch-up, evolve or applying threw: the in-memory state can no longer be trusted. */
  #crashed(
    error: unknown,
    requests: CommandRequest[],
    carry: CommandRequest | undefined,
    started: number,
    answer: boolean,
  ): Running {
    this.#crash(error, carry === undefined ? requests : [...requests, carry]);
    return this.#finished(undefined, [], [], started, answer, true);
  }

  /** Answers the batch and starts the next (`answer`), or hands it back. */
  #finish(done: BatchDone, answer: boolean): Running {
    return answer ? this.#batchDone(done) : done;
  }

  /**
   * Decides `requests` into `batch`, in order, each on the state the accepted ones before it leave;
   * when `take`, takes more queued commands up to `maxBatchCommands` (and keeps to
   * `maxBatchBytes`). Returns the commands left for the next batch: from one that did not fit the
   * bytes, or whose commandId is in `blocked` (accepted by a batch still appending: only once that
   * one is durable can it be deduplicated). Synchronous unless a decide returns a promise or an
   * interceptor or the observer is installed.
   */
  #fill(
    batch: Batch,
    requests: CommandRequest[],
    take: boolean,
    blocked: ReadonlySet<string> | null,
  ): CommandRequest[] | undefined | Promise<CommandRequest[] | undefined> {
    const host = this.#host;
    // Interceptors and the observer may make a command wait: then the general loop decides.
    if (host.interceptors !== null || host.observer !== null)
      return this.#fillFrom(0, batch, requests, take, blocked);
    const { maxBatchCommands, maxBatchBytes } = host.options;
    // Synchronous while decide is: no async frame per batch (most of the per-command heap
    // when load is spread and batches hold one command).
    for (let i = 0; ; i++) {
      const request = this.#nth(requests, i, take, maxBatchCommands, blocked);
      if (request === undefined) return undefined;
      if (request === BLOCKED) return requests.splice(i);
      const stepped = batch.step(request);
      if (stepped instanceof Promise) return this.#fillAfter(stepped, i, batch, requests, take, blocked);
      if (!batch.add(request, stepped, take ? maxBatchBytes : Number.POSITIVE_INFINITY)) {
        return requests.splice(i);
      }
    }
  }

  /**
   * Command `i` of the batch being filled: the one already there, else (when `take`, below
   * `maxBatchCommands`) the next queued command, taken from the mailbox and added; undefined when
   * the batch is complete; BLOCKED when its commandId is in `blocked` (it starts the next batch).
   */
  #nth(
    requests: CommandRequest[],
    i: number,
    take: boolean,
    maxBatchCommands: number,
    blocked: ReadonlySet<string> | null,
  ): CommandRequest | typeof BLOCKED | undefined {
    let request = requests[i];
    if (request === undefined) {
      // A re-decided batch keeps its commands: it takes no more.
      if (!take || i >= maxBatchCommands) return undefined;
      request = this.#takeCommand();
      if (request === undefined) return undefined;
      requests.push(request);
    }
    const commandId = request.options.commandId;
    if (i > 0 && blocked !== null && commandId !== undefined && blocked.has(commandId)) return BLOCKED;
    return request;
  }

  /** `#fill` once decide returned a promise for command `i`: its outcome, then the general loop. */
  async #fillAfter(
    stepped: Promise<StepOutcome>,
    i: number,
    batch: Batch,
    requests: CommandRequest[],
    take: boolean,
    blocked: ReadonlySet<string> | null,
  ): Promise<CommandRequest[] | undefined> {
    const outcome = await stepped;
    const maxBytes = take ? this.#host.options.maxBatchBytes : Number.POSITIVE_INFINITY;
    if (!batch.add(requests[i] as CommandRequest, outcome, maxBytes)) return requests.splice(i);
    return this.#fillFrom(i + 1, batch, requests, take, blocked);
  }

  /** The general `#fill` loop from command `from` on: awaits interceptors, the observer's hooks and decide. */
  async #fillFrom(
    from: number,
    batch: Batch,
    requests: CommandRequest[],
    take: boolean,
    blocked: ReadonlySet<string> | null,
  ): Promise<CommandRequest[] | undefined> {
    const host = this.#host;
    const { maxBatchCommands, maxBatchBytes } = host.options;
    for (let i = from; ; i++) {
      const request = this.#nth(requests, i, take, maxBatchCommands, blocked);
      if (request === undefined) return undefined;
      if (request === BLOCKED) return requests.splice(i);
      // Interceptors and the observer, once per command, on the state its decide will see.
      const starting =
        host.interceptors === null && request.observed === undefined
          ? undefined
          : commandStarting(host, this, request, batch.state, batch.version);
      const refused = starting instanceof Promise ? await starting : starting;
      const deciding = request.observed === undefined ? 0 : performance.now();
      const stepped = refused ?? batch.step(request);
      // A synchronous decide costs no await.
      const outcome = stepped instanceof Promise ? await stepped : stepped;
      if (request.observed !== undefined) request.observed.decideMs += performance.now() - deciding;
      if (!batch.add(request, outcome, take ? maxBatchBytes : Number.POSITIVE_INFINITY)) {
        return requests.splice(i);
      }
    }
  }

  /** The pipelined batch loop (pipeline.ts), run on a view of this actor's steps. */
  #pipeline(first: CommandRequest): Promise<BatchDone | undefined> {
    const host = this.#host;
    return runPipeline(
      {
        host,
        actor: this,
        streamId: this.streamId,
        batch: (after) =>
          new Batch(
            this.def,
            this.id,
            this.streamId,
            after === undefined ? this.#state : after.state,
            after === undefined ? this.#version : after.version,
            this.#dedupe,
            host.clock.now(),
            host.options.effects,
          ),
        takeCommand: () => this.#takeCommand(),
        refresh: () => this.#refresh(),
        catchUp: () => this.#catchUp(undefined),
        fill: (batch, requests, take, blocked) => this.#fillFrom(0, batch, requests, take, blocked),
        commit: (batch, stored) => this.#commit(batch, stored),
        remember: (batch, stored) => this.#remember(batch, stored),
        crash: (error, requests) => this.#crash(error, requests),
      },
      first,
    );
  }

  /** Applies a batch whose append is durable: state, version, dedupe window, watchers, snapshot. */
  #commit(batch: Batch, stored: EventEnvelope[]): void {
    const host = this.#host;
    const last = stored[stored.length - 1] as EventEnvelope;
    this.#state = batch.state;
    this.#version = last.version;
    host.appended(last.position);
    if (batch.timers !== undefined) host.timersWritten(this.streamId, batch.timers);
    host.metrics.counters.eventsAppended += stored.length;
    this.#remember(batch, stored);
    this.#changed();
    if (this.def.snapshots !== undefined && this.#snapshotting === null) this.#maybeSnapshot(false);
  }

  /** Records the batch's accepted commandIds (none stored: where the stream was, with the fingerprint). */
  #remember(batch: Batch, stored: EventEnvelope[]): void {
    for (const d of batch.decided) {
      const commandId = d.request.options.commandId;
      if (commandId === undefined) continue;
      const kind = d.outcome.kind;
      if (kind === 'append') this.#rememberId(commandId, (stored[d.offset] as EventEnvelope).version);
      else if (kind === 'nothing') this.#rememberId(commandId, -d.version, d.fingerprint);
    }
  }

  /**
   * A timer request (timer-firing.ts), on the refreshed state. A firing whose timer is still
   * pending with its version runs the timer's command as the first command of a batch
   * (`timer:${name}@${version}` as commandId, the stream's version as expectedVersion); the
   * command step puts the timer's cancel first in the batch's append. Another writer's append
   * makes it check again, as that append may have cancelled the timer.
   */
  async #timerRequest(request: FireRequest | CancelTimerRequest): Promise<void> {
    const host = this.#host;
    try {
      const refreshing = this.#refresh();
      if (refreshing !== undefined) await refreshing;
    } catch (error) {
      this.#crash(error, [request]);
      return;
    }
    if (request.kind === 'cancel-timer') return cancelTimer(host, request);
    for (let attempt = 0; ; attempt++) {
      let pending: boolean;
      try {
        pending = await stillPending(host.store, request.timer);
      } catch (error) {
        request.fail(error); // the store failed: the timer stays pending and is fired again
        return;
      }
      if (!pending) return request.succeed({ outcome: 'stale', version: this.#version });
      const command = new TimerCommand(request.timer, this.#version);
      // Traced like a caller's command: its metadata carries the scheduling command's trace context.
      if (host.observer !== null) observeRequest(host.observer, this.def, this.id, command);
      let next: CommandRequest | undefined = command;
      while (next !== undefined) {
        const done = await this.#batchAlone(next);
        next = done.carry;
        answerBatch(this.#host, this, done); // the timer's command too: settleFiring reads its outcome
      }
      const logger = () => this.logger();
      const settled = await settleFiring(host, request, command, this.#version, logger);
      if (settled === 'done') return;
      if (attempt >= host.options.maxConflictRetries) return request.fail(settled);
    }
  }

  #rememberId(commandId: string, at: number, fingerprint?: string): void {
    this.#dedupe = remember(this.#dedupe, this.#host.options.dedupeWindow, commandId, at, fingerprint);
  }

  /**
   * Refresh before each command (invariant 3). O(1) and synchronous when the store knows the
   * head without I/O and nothing changed; otherwise reads the tail.
   */
  #refresh(): Promise<void> | undefined {
    const known = this.#host.store.knownStreamVersion?.(this.streamId);
    if (known === this.#version) return undefined;
    return this.#catchUp(known);
  }

  /** Folds every stored event past the actor's version. Throws CorruptData on a gap or rewind. */
  async #catchUp(knownHead: number | undefined): Promise<void> {
    const from: Folded = { state: this.#state, version: this.#version, dedupe: this.#dedupe };
    const { store, options } = this.#host;
    const folded = await catchUp(store, this.def, this.streamId, from, options.dedupeWindow, knownHead);
    if (folded !== undefined) this.#apply(folded);
  }

  #apply(folded: Folded): void {
    this.#state = folded.state;
    this.#version = folded.version;
    this.#dedupe = folded.dedupe;
    if (folded.version > 0) this.#changed();
  }

  /** Saves a snapshot when the policy says it is due; tracks the save so eviction can wait for it. */
  #maybeSnapshot(evicting: boolean): Promise<void> | undefined {
    const policy = this.def.snapshots;
    if (policy === undefined || !snapshotDue(policy, this.#version, this.#snapshotVersion, evicting))
      return undefined;
    const saving = this.#saveSnapshot(policy).then(() => {
      this.#snapshotting = null;
    });
    this.#snapshotting = saving;
    return saving;
  }

  /** An operator's "snapshot now": saved whether or not the policy says it is due; replies with its version. */
  async #snapshotNow(request: SnapshotRequest): Promise<void> {
    const policy = this.def.snapshots;
    if (policy === undefined) {
      request.fail(new InvalidArgument(`aggregate '${this.def.type}' has no snapshot policy`));
      return;
    }
    if (this.#snapshotting !== null) await this.#snapshotting;
    if (this.#version === 0) {
      request.succeed({ version: 0, saved: false });
      return;
    }
    const saving = this.#saveSnapshot(policy).finally(() => {
      this.#snapshotting = null;
    });
    this.#snapshotting = saving.then(() => undefined);
    const saved = await saving;
    if (saved === true) request.succeed({ version: this.#version, saved: true });
    else if (saved instanceof SnapshotRefused && isActorfoldError(saved.error)) {
      // Refused (the codec cannot keep the state, or restoring it would not give it back): say why.
      request.fail(saved.error);
    } else
      request.fail(new StoreError('IO', `${this.streamId}: the snapshot could not be saved (see the log)`));
  }

  /** Saves a snapshot of the current state (snapshot-saving.ts); true once saved. */
  async #saveSnapshot(policy: SnapshotPolicy<unknown>): Promise<true | false | SnapshotRefused> {
    const version = this.#version;
    const saved = await saveSnapshot(this.#host, this, policy, version, this.#state, this.#dedupe);
    if (saved === true) this.#snapshotVersion = Math.max(this.#snapshotVersion, version);
    return saved;
  }

  async #finishEviction(): Promise<void> {
    const host = this.#host;
    host.busy(this);
    if (this.#snapshotting !== null) await this.#snapshotting;
    const saving = this.#maybeSnapshot(true);
    if (saving !== undefined) await saving;
    if (this.#status !== 'evicting') return;
    // The lease is free before a successor (here or on another node) starts recovering.
    await this.#giveBackLease();
    if (this.#to('stop') !== 'stopped') return;
    host.metrics.counters.evictions++;
    if (host.logger.isLevelEnabled('debug')) this.logger().debug({ version: this.#version }, 'evicted');
    this.#gone?.resolve();
  }

  /**
   * The actor can no longer trust its state (evolve threw, refresh or recovery failed): it
   * leaves the registry and fails every waiting request; the next call respawns it (invariant 8).
   */
  #crash(cause: unknown, current: readonly Request[]): void {
    if (!this.resident) return;
    const host = this.#host;
    this.#to('crash');
    void this.#giveBackLease();
    const code = codeOf(cause);
    if (code === 'NOT_OWNER') {
      // Not a crash: another node hosts the aggregate; the callers may retry.
      this.logger().debug({ err: cause }, 'not the owner');
    } else {
      host.metrics.counters.crashes++;
      try {
        this.logger().error({ err: cause, version: this.#version }, 'actor crashed');
      } catch {
        // evolve threw something the logger cannot serialise (a Proxy whose traps throw)
        this.logger().error({ version: this.#version }, 'actor crashed (an unprintable value was thrown)');
      }
    }
    // Store, data and ownership errors reach callers as themselves; anything else is a crash of ours or the user's.
    const error =
      code === 'CORRUPT_DATA' ||
      code === 'STORE_ERROR' ||
      code === 'NOT_OWNER' ||
      code === 'UPCAST_FAILED' ||
      code === 'UNKNOWN_EVENT_SCHEMA'
        ? (cause as Error)
        : new ActorCrashed(this.streamId, cause);
    for (const request of current) {
      if (request.kind === 'execute' && !request.settled) {
        host.metrics.counters.commandsFailed++;
        host.metrics.forType(this.def.type).commandsFailed++;
      }
      request.fail(error);
    }
    this.abandonQueued(error);
    // Callers waiting for room never reached this actor: a successor serves them.
    this.#handOver();
    this.#gone?.resolve();
  }

  async #giveBackLease(): Promise<void> {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    try {
      await release();
    } catch (error) {
      // The store drops a lease whose session ended; nothing else to do than say so.
      this.logger().warn({ err: error }, 'lease release failed');
    }
  }

  #changed(): void {
    this.#host.changed(this.streamId, this.#version, this.#state);
  }

  /**
   * A child logger made for each use, never kept: an actor would otherwise hold it (about 550 B,
   * twice its own size) for as long as it stays resident, from its first slow command on.
   */
  logger(): Logger {
    return this.#host.logger.child({ aggregateType: this.def.type, aggregateId: this.id });
  }
}

/** The code of an ActorfoldError; undefined for anything else, also when looking throws (a Proxy). */
function codeOf(cause: unknown): string | undefined {
  try {
    return isActorfoldError(cause) ? cause.code : undefined;
  } catch {
    return undefined;
  }
}

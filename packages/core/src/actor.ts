import type { Logger } from 'pino';
import type { AnyAggregate, Command, DecideContext, SnapshotPolicy } from './aggregate.js';
import type { RuntimeContext } from './context.js';
import { DedupeWindow, readCommandEvents } from './dedupe.js';
import {
  ActorCrashed,
  CorruptData,
  DecideFailed,
  InvalidArgument,
  isActorfoldError,
  isRejection,
  isVersionConflict,
  StoreError,
  VersionConflict,
} from './errors.js';
import type { IdleNode } from './idle-reaper.js';
import { Mailbox, type MailboxProcessor } from './mailbox.js';
import { Metrics } from './metrics.js';
import { Refused } from './refused.js';
import type { ExecuteResult, Request } from './request.js';
import { buildSnapshot, restoreSnapshot, snapshotDue } from './snapshot-policy.js';
import { type DomainEvent, type EventEnvelope, isDomainEvent, type Snapshot } from './store.js';

/** The actor lifecycle (docs/architecture.md): `activating → ready ⇄ busy → evicting → stopped`, any → `crashed`. */
export type ActorStatus = 'activating' | 'ready' | 'busy' | 'evicting' | 'stopped' | 'crashed';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * The single writer of one aggregate's stream. Requests wait in its bounded mailbox and run
 * one at a time: refresh from the store, decide, evolve, append, reply.
 *
 * Every field here is paid for by every resident actor, so rarely needed things (the dedupe
 * window, the child logger, the "gone" promise) are created on first use.
 */
export class AggregateActor implements MailboxProcessor<Request>, IdleNode {
  idlePrev: IdleNode | null = null;
  idleNext: IdleNode | null = null;
  idleSince = 0;
  readonly def: AnyAggregate;
  readonly id: string;
  readonly streamId: string;
  readonly #ctx: RuntimeContext;
  readonly #mailbox: Mailbox<Request>;
  #status: ActorStatus = 'activating';
  #state: unknown;
  #version = 0;
  #snapshotVersion = 0;
  #dedupe: DedupeWindow | null = null;
  #snapshotting: Promise<void> | null = null;
  /** Gives back the store's lease on this aggregate (lease mode of a shared store). */
  #release: (() => Promise<void>) | undefined = undefined;
  #evictWhenReady = false;
  #gone: Deferred | null = null;
  #log: Logger | null = null;

  constructor(ctx: RuntimeContext, def: AnyAggregate, id: string, streamId: string) {
    this.#ctx = ctx;
    this.def = def;
    this.id = id;
    this.streamId = streamId;
    this.#mailbox = new Mailbox<Request>(this);
  }

  get status(): ActorStatus {
    return this.#status;
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
    return s === 'ready' || s === 'busy' || (s === 'activating' && !this.#evictWhenReady);
  }

  /** Whether this actor is still the stream's writer (not yet stopped or crashed). */
  get resident(): boolean {
    return this.#status !== 'stopped' && this.#status !== 'crashed';
  }

  /**
   * Brings the actor to `ready`. A stream the store knows to be empty needs no recovery and
   * is ready at once; otherwise the actor waits for its predecessor to be gone and for a
   * recovery permit, while requests queue in the (held) mailbox.
   */
  activate(predecessor: AggregateActor | undefined): void {
    this.#ctx.resident++;
    // Lease mode needs the asynchronous acquire before anything: no ready-at-once shortcut then.
    if (predecessor === undefined && this.#ctx.store.acquire === undefined && this.#knownEmpty()) {
      this.#state = this.def.initialState();
      this.#status = 'ready';
      this.#ctx.metrics.counters.activations++;
      return;
    }
    this.#ctx.activating++;
    this.#mailbox.hold();
    void this.#activate(predecessor);
  }

  /** True when the store knows, without I/O, that the stream is empty (a store that cannot tell: false). */
  #knownEmpty(): boolean {
    try {
      return this.#ctx.store.knownStreamVersion?.(this.streamId) === 0;
    } catch {
      return false; // e.g. a closed store: recovery reports the failure to the waiting callers
    }
  }

  /** Queues a request; false when the mailbox is full. The caller checked `accepting`. */
  enqueue(request: Request): boolean {
    const ctx = this.#ctx;
    ctx.reaper.untrack(this);
    ctx.mailboxDepth++;
    if (this.#mailbox.offer(request, ctx.options.mailboxCapacity)) return true;
    ctx.mailboxDepth--;
    if (this.#status === 'ready') ctx.reaper.track(this);
    return false;
  }

  /**
   * Asks the actor to go: it takes no new requests, finishes those it has, snapshots if due and
   * stops. Resolves once it is gone (stopped or crashed).
   */
  requestEviction(): Promise<void> {
    switch (this.#status) {
      case 'ready':
        this.#status = 'evicting';
        if (this.#mailbox.size === 0) void this.#finishEviction();
        break;
      case 'busy':
        this.#status = 'evicting'; // drained() finishes the eviction
        break;
      case 'activating':
        this.#evictWhenReady = true;
        break;
    }
    return this.whenGone();
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

  /** Fails every request not yet started (shutdown past its deadline). */
  abandonQueued(error: Error): void {
    for (const r of this.#mailbox.takeAll()) {
      this.#ctx.mailboxDepth--;
      r.fail(error);
    }
  }

  idleTimeout(): void {
    if (this.#status === 'ready' && this.#mailbox.size === 0) {
      this.#status = 'evicting';
      void this.#finishEviction();
    }
  }

  drained(): void {
    if (this.#status === 'evicting') void this.#finishEviction();
    else if (this.#status === 'ready') this.#ctx.reaper.track(this);
  }

  process(request: Request): Promise<void> | undefined {
    this.#ctx.mailboxDepth--;
    // Timed out while waiting: the caller is gone, so the command never runs.
    if (request.settled) return undefined;
    if (this.#status === 'ready') this.#status = 'busy';
    return this.#run(request);
  }

  async #run(request: Request): Promise<void> {
    const started = performance.now();
    let outcome: ExecuteResult | Refused;
    try {
      const refreshing = this.#refresh();
      if (refreshing !== undefined) await refreshing;
      if (request.kind === 'state') {
        request.succeed({ state: this.#state, version: this.#version });
        return;
      }
      if (request.kind === 'snapshot') {
        await this.#snapshotNow(request);
        return;
      }
      outcome = await this.#handle(request);
    } catch (error) {
      // Refresh failed, or evolve threw: the in-memory state can no longer be trusted.
      this.#crash(error, request);
      return;
    } finally {
      if (this.#status === 'busy') this.#status = 'ready';
    }
    this.#settle(request, outcome, performance.now() - started);
  }

  /** Counts and times the outcome, then replies: metrics are current by the time the caller resumes. */
  #settle(request: Request, outcome: ExecuteResult | Refused, ms: number): void {
    const { metrics, options } = this.#ctx;
    const { counters } = metrics;
    if (outcome instanceof Refused) {
      if (outcome.rejected) counters.commandsRejected++;
      else counters.commandsFailed++;
    } else {
      counters.commandsOk++;
      if (outcome.deduplicated) counters.dedupeHits++;
    }
    if (request.kind === 'execute') {
      Metrics.record(metrics.commandLatency, ms);
      if (ms >= options.slowCommandMs) {
        this.#logger().warn({ command: request.command?.type, durationMs: Math.round(ms) }, 'slow command');
      }
    }
    if (outcome instanceof Refused) request.fail(outcome.error);
    else request.succeed(outcome);
  }

  /** Runs one execute or inject request. Throws only for what must crash the actor. */
  async #handle(request: Request): Promise<ExecuteResult | Refused> {
    const { metrics, store, options } = this.#ctx;
    const { counters } = metrics;
    const opts = request.options;
    const metadata = request.eventMetadata();
    for (let attempt = 0; ; attempt++) {
      if (opts.commandId !== undefined) {
        const seen = this.#dedupe?.get(opts.commandId);
        if (seen !== undefined) return this.#duplicate(opts.commandId, seen);
      }
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== this.#version) {
        return new Refused(new VersionConflict(this.streamId, opts.expectedVersion, this.#version), true);
      }
      const events =
        request.kind === 'inject'
          ? (request.events as readonly DomainEvent[])
          : this.#decide(request, metadata);
      if (events instanceof Refused) return events;
      if (events.length === 0) {
        if (opts.commandId !== undefined) this.#remember(opts.commandId, -this.#version);
        return { events: [], version: this.#version, state: this.#state, deduplicated: false };
      }
      // Evolve before appending: an event that evolve cannot fold never reaches the stream,
      // and a failed append leaves the current state untouched (invariant 4).
      let next = this.#state;
      for (const e of events) next = this.def.evolve(next, e);
      const timestamp = new Date(this.#ctx.clock.now()).toISOString();
      const schemaVersion = this.def.eventSchemaVersion;
      let stored: EventEnvelope[];
      try {
        stored = await store.append(
          this.streamId,
          events.map((data) => ({ data, schemaVersion, metadata, timestamp })),
          { expectedVersion: this.#version },
        );
      } catch (error) {
        if (
          isVersionConflict(error) &&
          opts.expectedVersion === undefined &&
          attempt < options.maxConflictRetries
        ) {
          // Another writer got there first: catch up and decide again on the fresh state.
          counters.conflictRetries++;
          await this.#catchUp(undefined);
          continue;
        }
        return new Refused(asStoreError(error), isVersionConflict(error));
      }
      const from = this.#version + 1;
      const last = stored[stored.length - 1] as EventEnvelope;
      this.#state = next;
      this.#version = last.version;
      this.#ctx.tail.appended(last.position);
      if (opts.commandId !== undefined) this.#remember(opts.commandId, from);
      counters.eventsAppended += stored.length;
      this.#changed();
      if (this.def.snapshots !== undefined && this.#snapshotting === null) this.#maybeSnapshot(false);
      return { events: stored, version: this.#version, state: this.#state, deduplicated: false };
    }
  }

  /** Runs decide; a refusal or a bug becomes a Refused outcome. */
  #decide(request: Request, metadata: DecideContext['metadata']): readonly DomainEvent[] | Refused {
    const ctx: DecideContext = {
      aggregateType: this.def.type,
      aggregateId: this.id,
      version: this.#version,
      now: new Date(this.#ctx.clock.now()),
      metadata,
    };
    let events: readonly DomainEvent[];
    try {
      events = this.def.decide(this.#state, request.command as Command, ctx);
    } catch (error) {
      if (isRejection(error)) {
        if (this.#ctx.logger.isLevelEnabled('debug'))
          this.#logger().debug({ reason: error.reason }, 'command rejected');
        return new Refused(error, true);
      }
      this.#logger().error({ err: error, command: request.command?.type }, 'decide threw');
      return new Refused(new DecideFailed(this.streamId, error), false);
    }
    if (!Array.isArray(events) || !events.every(isDomainEvent)) {
      const why = new InvalidArgument(
        'decide must return an array of objects with a string `type` (non-empty)',
      );
      return new Refused(new DecideFailed(this.streamId, why), false);
    }
    return events;
  }

  /** The original result of an accepted commandId, its events read back from the store. */
  async #duplicate(commandId: string, at: number): Promise<ExecuteResult> {
    const events = await readCommandEvents(this.#ctx.store, this.streamId, commandId, at);
    const version = events.length > 0 ? (events[events.length - 1] as EventEnvelope).version : 0 - at;
    return { events, version, state: this.#state, deduplicated: true };
  }

  #remember(commandId: string, at: number): void {
    if (this.#dedupe === null) this.#dedupe = new DedupeWindow(this.#ctx.options.dedupeWindow);
    this.#dedupe.add(commandId, at);
  }

  /**
   * Refresh before each command (invariant 3). O(1) and synchronous when the store knows the
   * head without I/O and nothing changed; otherwise reads the tail.
   */
  #refresh(): Promise<void> | undefined {
    const known = this.#ctx.store.knownStreamVersion?.(this.streamId);
    if (known === this.#version) return undefined;
    return this.#catchUp(known);
  }

  /** Folds every stored event past the actor's version. Throws CorruptData on a gap or rewind. */
  async #catchUp(knownHead: number | undefined): Promise<void> {
    const store = this.#ctx.store;
    const head = knownHead ?? (await store.streamVersion(this.streamId));
    if (head === this.#version) return;
    if (head < this.#version) {
      throw new CorruptData(
        this.streamId,
        head,
        `the stream ends at version ${head}, behind version ${this.#version} already applied`,
      );
    }
    let state = this.#state;
    let version = this.#version;
    for await (const env of store.readStream(this.streamId, { fromVersion: version + 1 })) {
      if (env.version !== version + 1) {
        throw new CorruptData(
          this.streamId,
          version + 1,
          `expected version ${version + 1}, read ${env.version}`,
        );
      }
      state = this.def.evolve(state, env.data);
      version = env.version;
      const commandId = env.metadata.commandId;
      if (typeof commandId === 'string') this.#remember(commandId, version);
    }
    if (version < head)
      throw new CorruptData(this.streamId, version + 1, `missing: the stream's head is ${head}`);
    this.#state = state;
    this.#version = version;
    this.#changed();
  }

  async #activate(predecessor: AggregateActor | undefined): Promise<void> {
    const ctx = this.#ctx;
    const started = performance.now();
    try {
      if (predecessor !== undefined) await predecessor.whenGone();
      if (ctx.store.acquire !== undefined) this.#release = await ctx.store.acquire(this.streamId);
      await ctx.permits.add(() => this.#recover());
    } catch (error) {
      this.#crash(error, undefined);
      return;
    }
    if (this.#status !== 'activating') return;
    ctx.activating--;
    ctx.metrics.counters.activations++;
    Metrics.record(ctx.metrics.recoveryLatency, performance.now() - started);
    if (ctx.logger.isLevelEnabled('debug')) this.#logger().debug({ version: this.#version }, 'activated');
    this.#status = this.#evictWhenReady ? 'evicting' : 'ready';
    if (this.#mailbox.size > 0) {
      this.#mailbox.release(); // drained() takes it from here
      return;
    }
    this.#mailbox.release();
    if (this.#status === 'evicting') void this.#finishEviction();
    else ctx.reaper.track(this);
  }

  /** Loads the newest usable snapshot, then replays the tail of the stream. */
  async #recover(): Promise<void> {
    const store = this.#ctx.store;
    this.#state = this.def.initialState();
    this.#version = 0;
    const policy = this.def.snapshots;
    if (policy !== undefined) {
      const snapshot = await this.#loadSnapshot();
      if (snapshot !== undefined) {
        const head = await store.streamVersion(this.streamId);
        this.#restore(snapshot, policy, head);
      }
    }
    await this.#catchUp(undefined);
  }

  /** The newest snapshot; a stored one that cannot be read counts as none (invariant 7). */
  async #loadSnapshot(): Promise<Snapshot | undefined> {
    try {
      return await this.#ctx.store.snapshots.load(this.streamId);
    } catch (error) {
      if (!(isActorfoldError(error) && error.code === 'CORRUPT_DATA')) throw error;
      this.#ctx.metrics.counters.snapshotsIgnored++;
      this.#logger().warn({ err: error }, 'snapshot unreadable, replaying in full');
      return undefined;
    }
  }

  /** Applies a snapshot if it is usable; otherwise warns and leaves the initial state (full replay). */
  #restore(snapshot: Snapshot, policy: SnapshotPolicy<unknown>, head: number): void {
    const { counters } = this.#ctx.metrics;
    const restored = restoreSnapshot(snapshot, policy, head, this.#ctx.options.dedupeWindow);
    if (!restored.ok) {
      counters.snapshotsIgnored++;
      const msg = `snapshot ignored, replaying in full: ${restored.problem}`;
      this.#logger().warn({ snapshotVersion: snapshot.version }, msg);
      return;
    }
    counters.snapshotHits++;
    this.#state = restored.state;
    this.#version = restored.version;
    this.#snapshotVersion = restored.version;
    this.#dedupe = restored.dedupe;
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
  async #snapshotNow(request: Request): Promise<void> {
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
    if (await saving) request.succeed({ version: this.#version, saved: true });
    else
      request.fail(new StoreError('IO', `${this.streamId}: the snapshot could not be saved (see the log)`));
  }

  /** Saves a snapshot of the current state; false (warned and counted) when that failed. */
  async #saveSnapshot(policy: SnapshotPolicy<unknown>): Promise<boolean> {
    const { counters } = this.#ctx.metrics;
    const version = this.#version;
    try {
      const snapshot = buildSnapshot(
        policy,
        this.streamId,
        version,
        this.#state,
        this.#dedupe,
        this.#ctx.clock.now(),
      );
      await this.#ctx.store.snapshots.save(snapshot, { keep: policy.keep ?? 2 });
      this.#snapshotVersion = Math.max(this.#snapshotVersion, version);
      counters.snapshotSaves++;
      return true;
    } catch (error) {
      // A snapshot is only an optimisation (invariant 7): warn, count, carry on.
      counters.snapshotSaveFailures++;
      this.#logger().warn({ err: error, version }, 'snapshot save failed');
      return false;
    }
  }

  async #finishEviction(): Promise<void> {
    const ctx = this.#ctx;
    ctx.reaper.untrack(this);
    if (this.#snapshotting !== null) await this.#snapshotting;
    const saving = this.#maybeSnapshot(true);
    if (saving !== undefined) await saving;
    if (this.#status !== 'evicting') return;
    // The lease is free before a successor (here or on another node) starts recovering.
    await this.#giveBackLease();
    this.#status = 'stopped';
    ctx.resident--;
    ctx.metrics.counters.evictions++;
    ctx.registry.forget(this);
    if (ctx.logger.isLevelEnabled('debug')) this.#logger().debug({ version: this.#version }, 'evicted');
    this.#gone?.resolve();
  }

  /**
   * The actor can no longer trust its state (evolve threw, refresh or recovery failed): it
   * leaves the registry and fails every waiting request; the next call respawns it (invariant 8).
   */
  #crash(cause: unknown, current: Request | undefined): void {
    if (!this.resident) return;
    const ctx = this.#ctx;
    if (this.#status === 'activating') ctx.activating--;
    this.#status = 'crashed';
    ctx.resident--;
    ctx.reaper.untrack(this);
    ctx.registry.forget(this);
    void this.#giveBackLease();
    const code = isActorfoldError(cause) ? cause.code : undefined;
    if (code === 'NOT_OWNER') {
      // Not a crash: another node hosts the aggregate; the callers may retry.
      this.#logger().debug({ err: cause }, 'not the owner');
    } else {
      ctx.metrics.counters.crashes++;
      this.#logger().error({ err: cause, version: this.#version }, 'actor crashed');
    }
    // Store, data and ownership errors reach callers as themselves; anything else is a crash of ours or the user's.
    const error =
      code === 'CORRUPT_DATA' || code === 'STORE_ERROR' || code === 'NOT_OWNER'
        ? (cause as Error)
        : new ActorCrashed(this.streamId, cause);
    if (current !== undefined) {
      if (current.kind === 'execute') ctx.metrics.counters.commandsFailed++;
      current.fail(error);
    }
    this.abandonQueued(error);
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
      this.#logger().warn({ err: error }, 'lease release failed');
    }
  }

  #changed(): void {
    if (this.#ctx.watchers.size > 0) this.#ctx.watchers.notify(this.streamId, this.#version, this.#state);
  }

  #logger(): Logger {
    if (this.#log === null) {
      this.#log = this.#ctx.logger.child({ aggregateType: this.def.type, aggregateId: this.id });
    }
    return this.#log;
  }
}

function asStoreError(error: unknown): unknown {
  return isActorfoldError(error)
    ? error
    : new StoreError('IO', `append failed: ${String(error)}`, { cause: error });
}

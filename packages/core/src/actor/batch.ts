import type { AnyAggregate } from '../aggregate/aggregate.js';
import { jsonCodec } from '../codec/json-codec.js';
import { type EffectCatalog, NO_EFFECTS } from '../effects/effect-catalog.js';
import { isoTimestamp } from '../store/iso-timestamp.js';
import type { DomainEvent, EventMetadata, NewEvent } from '../store/store.js';
import type { TimerChange } from '../timers/timer.js';
import { brokenBatcher } from './broken-batcher.js';
import { commandStep, type StepOutcome } from './command-step.js';
import type { DedupeWindow } from './dedupe.js';
import { fingerprint } from './fingerprint.js';
import type { Refused } from './refused.js';
import {
  type CommandRequest,
  type ExecuteResult,
  eventMetadata,
  metadataOf,
  NO_METADATA,
} from './request.js';

/** The empty `decided` and `events` of every new batch (frozen: the first item replaces it, never a push). */
const NONE = Object.freeze([]) as unknown as never[];

/**
 * A command whose commandId an earlier command of the same batch already used (and that one was
 * accepted): it gets that command's result once the batch is durable, or IdempotencyConflict
 * when the two commands differ.
 */
export interface SameBatch {
  readonly kind: 'same-batch';
  /** The index, in the batch, of the command that used the commandId first. */
  readonly first: number;
}

/** One command of a batch and what became of it. */
export interface Decided {
  readonly request: CommandRequest;
  readonly outcome: StepOutcome | SameBatch;
  /** The stream's version once this command (and those before it in the batch) is applied. */
  readonly version: number;
  /** The state at that version: what the caller is told. */
  readonly state: unknown;
  /** Where this command's events start in `Batch.events` (append outcomes only). */
  readonly offset: number;
  /** The fingerprint of what the caller sent, when it had a commandId and was accepted. */
  readonly fingerprint: string | undefined;
}

/** A finished batch: its commands and what each is told, and a command left for the next batch. */
export interface BatchDone {
  readonly carry: CommandRequest | undefined;
  readonly requests: readonly CommandRequest[];
  readonly outcomes: ReadonlyArray<ExecuteResult | Refused>;
  /** When the batch started (performance.now()), for the command latency. */
  readonly started: number;
}

/**
 * The commands an actor decides together and appends in one store append (issue 14): each is
 * decided on the state and version left by the accepted ones before it, and nothing here is
 * applied to the actor until the append is durable, so a failed append leaves the actor as it
 * was. Pure: no I/O, and it lives only in the running batch loop's locals (an idle actor pays
 * nothing for it).
 */
export class Batch {
  /**
   * Behind getters, created with their first item: a push onto an empty array reserves room for
   * 16 or so, most of it wasted when commands run one per batch (spread load).
   */
  #decided: Decided[] = NONE;
  #events: NewEvent[] = NONE;
  /** The timer changes of every accepted command, in order, for the same append (undefined: none). */
  timers: TimerChange[] | undefined = undefined;
  /** The version the batch's append expects (the actor's version when the batch began). */
  readonly baseVersion: number;
  /** The state and version after every accepted command so far. */
  state: unknown;
  version: number;
  /** Approximate encoded size of `events` and their metadata (the first command's measured only once a second one comes). */
  bytes = 0;
  #unmeasured: readonly DomainEvent[] | null = null;
  /** The first command's metadata, measured with its events (stores write it with each of them). */
  #unmeasuredMetadata: EventMetadata | null = null;
  /** The metadata of the command `step` decided last (what `add` stores with its events). */
  #metadata: EventMetadata | null = null;
  /** commandIds accepted in this batch → their index in `decided` (only once one is seen). */
  #ids: Map<string, number> | null = null;
  readonly #def: AnyAggregate;
  readonly #id: string;
  readonly #streamId: string;
  readonly #dedupe: DedupeWindow | null;
  readonly #now: number;
  readonly #timestamp: string;
  readonly #baseState: unknown;
  /** The effects decide may request (the runtime's registered implementations). */
  readonly #effects: EffectCatalog;

  constructor(
    def: AnyAggregate,
    id: string,
    streamId: string,
    state: unknown,
    version: number,
    dedupe: DedupeWindow | null,
    now: number,
    effects: EffectCatalog = NO_EFFECTS,
  ) {
    this.#effects = effects;
    this.#def = def;
    this.#id = id;
    this.#streamId = streamId;
    this.state = state;
    this.version = version;
    this.baseVersion = version;
    this.#baseState = state;
    this.#dedupe = dedupe;
    this.#now = now;
    this.#timestamp = isoTimestamp(now);
  }

  /** Every command taken so far and what became of it, in order. */
  get decided(): readonly Decided[] {
    return this.#decided;
  }

  /** The events of every accepted command, in order, ready for one `store.append`. */
  get events(): readonly NewEvent[] {
    return this.#events;
  }

  /** Commands taken into the batch so far. */
  get size(): number {
    return this.decided.length;
  }

  /**
   * Decides `request` on the batch's running state (synchronously unless decide returns a
   * promise). Throws (rejects) only when evolve throws: the actor's crash.
   */
  step(request: CommandRequest): StepOutcome | SameBatch | Promise<StepOutcome> {
    const commandId = request.options.commandId;
    if (commandId !== undefined && this.#ids !== null) {
      const first = this.#ids.get(commandId);
      if (first !== undefined) return { kind: 'same-batch', first };
    }
    // Taken before decide: a decide that changes the command must not change its fingerprint.
    if (commandId !== undefined && request.fingerprint === undefined) fingerprintOf(request);
    const broken = brokenBatcher.mode;
    const state = broken === 'decide-on-batch-start' ? this.#baseState : this.state;
    // Decide sees a frozen copy of it as ctx.metadata; this object is stored with the command's events.
    // As interceptors left it, when they ran (request.ts, metadataOf).
    const metadata = metadataOf(request);
    this.#metadata = metadata;
    return commandStep(
      this.#def,
      this.#id,
      this.#streamId,
      state,
      this.version,
      this.#dedupe,
      request,
      metadata,
      this.#now,
      this.#effects,
    );
  }

  /**
   * Takes a decided command into the batch. False (nothing taken) when its events would push the
   * batch past `maxBytes`: it then starts the next batch. The first command is always taken, so
   * one larger than the limit runs alone.
   */
  add(request: CommandRequest, outcome: StepOutcome | SameBatch, maxBytes: number): boolean {
    const commandId = request.options.commandId;
    if (outcome.kind === 'refused' && brokenBatcher.mode === 'refused-events-through') {
      this.#letThrough(request);
    }
    if (outcome.kind === 'append') {
      if (this.decided.length > 0 && maxBytes !== Number.POSITIVE_INFINITY) {
        if (this.#unmeasured !== null) {
          this.bytes += sizeOf(this.#unmeasured, this.#unmeasuredMetadata);
          this.#unmeasured = null;
          this.#unmeasuredMetadata = null;
        }
        const bytes = sizeOf(outcome.events, this.#metadata);
        if (this.bytes > 0 && this.bytes + bytes > maxBytes) return false;
        this.bytes += bytes;
      } else if (this.decided.length === 0) {
        this.#unmeasured = outcome.events;
        this.#unmeasuredMetadata = this.#metadata;
      }
      const offset = this.events.length;
      const fp = commandId === undefined ? undefined : fingerprintOf(request);
      this.#push(request, outcome.events, fp);
      if (outcome.timers !== undefined) {
        if (this.timers === undefined) this.timers = [];
        this.timers.push(...outcome.timers);
      }
      this.state = outcome.state;
      this.version += outcome.events.length;
      this.#record(request, outcome, offset, fp);
      return true;
    }
    if (outcome.kind === 'nothing') {
      const fp = commandId === undefined ? undefined : fingerprintOf(request);
      this.#record(request, outcome, this.events.length, fp);
      return true;
    }
    this.#record(request, outcome, this.events.length, undefined);
    return true;
  }

  #record(
    request: CommandRequest,
    outcome: StepOutcome | SameBatch,
    offset: number,
    fp: string | undefined,
  ): void {
    const commandId = request.options.commandId;
    const accepted = outcome.kind === 'append' || outcome.kind === 'nothing';
    if (accepted && commandId !== undefined) {
      if (this.#ids === null) this.#ids = new Map();
      this.#ids.set(commandId, this.decided.length);
    }
    const d: Decided = {
      request,
      outcome,
      version: this.version,
      state: this.state,
      offset,
      fingerprint: fp,
    };
    if (this.#decided.length === 0) this.#decided = [d];
    else this.#decided.push(d);
  }

  /** The events as the store receives them, each command's with its own metadata. */
  #push(request: CommandRequest, events: readonly DomainEvent[], fp: string | undefined): void {
    let metadata: EventMetadata = this.#metadata ?? eventMetadata(request.options);
    this.#metadata = null;
    const json = this.#def.codec === jsonCodec;
    // NO_METADATA (frozen) is stored as none; with something to add it becomes a fresh object.
    // (A fingerprint comes with a commandId, which NO_METADATA never goes with.)
    if (!json && metadata === NO_METADATA) metadata = {};
    if (fp !== undefined) metadata.fingerprint = fp;
    // Recorded so the data stays readable whatever the aggregate's codec later becomes.
    if (!json) metadata.codec = this.#def.codec.name;
    const stored = metadata === NO_METADATA ? undefined : metadata;
    const schemaVersion = this.#def.eventSchemaVersion;
    const timestamp = this.#timestamp;
    for (const data of events) {
      const event: NewEvent =
        stored === undefined
          ? { data, schemaVersion, timestamp }
          : { data, schemaVersion, metadata: stored, timestamp };
      if (this.#events.length === 0) this.#events = [event];
      else this.#events.push(event);
    }
  }

  /** The deliberately broken batcher of the property test: a refused command's events are stored anyway. */
  #letThrough(request: CommandRequest): void {
    const { expectedVersion, ...rest } = request.options;
    if (expectedVersion === undefined || request.kind !== 'execute') return;
    const outcome = commandStep(
      this.#def,
      this.#id,
      this.#streamId,
      this.state,
      this.version,
      this.#dedupe,
      { kind: 'execute', command: request.command, options: rest } as unknown as CommandRequest,
      eventMetadata(rest),
      this.#now,
      this.#effects,
    );
    if (outcome instanceof Promise || outcome.kind !== 'append') return;
    this.#push(request, outcome.events, undefined);
    this.state = outcome.state;
    this.version += outcome.events.length;
  }
}

/**
 * Approximate encoded size of a command's events: their JSON text length, plus their metadata's
 * once per event (what JSON-based stores write: a command's metadata goes with each of its events).
 */
function sizeOf(events: readonly DomainEvent[], metadata: EventMetadata | null): number {
  let n = 0;
  for (const e of events) n += JSON.stringify(e).length;
  if (metadata !== null && metadata !== NO_METADATA) n += JSON.stringify(metadata).length * events.length;
  return n;
}

/** The fingerprint of what the caller sent: the command, or the injected events (taken once). */
export function fingerprintOf(request: CommandRequest): string {
  let fp = request.fingerprint;
  if (fp === undefined) {
    fp = fingerprint(request.kind === 'execute' ? request.command : request.events);
    request.fingerprint = fp;
  }
  return fp;
}

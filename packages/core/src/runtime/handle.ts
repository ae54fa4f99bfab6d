import { eventList } from '../actor/event-list.js';
import { fingerprint } from '../actor/fingerprint.js';
import {
  type ExecuteOptions,
  ExecuteRequest,
  type ExecuteResult,
  InjectRequest,
  type Request,
  StateRequest,
  type StateResult,
  TIMER_COMMAND_ID_PREFIX,
  ValidatingCommand,
} from '../actor/request.js';
import type { AnyAggregate, CommandOf, EventOf, StateOf } from '../aggregate/aggregate.js';
import { jsonCodec } from '../codec/json-codec.js';
import { InvalidArgument, InvalidCommand, RuntimeClosed } from '../errors.js';
import { isDomainEvent } from '../store/store.js';
import type { Watcher, WatchUpdate } from '../subscriptions/watchers.js';
import type { TimedRequest } from './command-timeouts.js';

/** Names an aggregate instance. Plain JSON: send it across processes, `runtime.get(identity)` gives a handle back. */
export interface AggregateIdentity {
  readonly type: string;
  readonly id: string;
}

/** What a handle needs from its runtime (internal). */
export interface Dispatcher {
  /** Queues the request on its actor; `timeout: false` for requests nobody waits on with a deadline (timer firings). */
  dispatch(def: AnyAggregate, id: string, request: Request, timeout?: boolean): Promise<unknown>;
  /** Starts the caller's clock for a command still being validated; false once the runtime is closed. */
  watch(waiting: TimedRequest): boolean;
  isResident(streamId: string): boolean;
  addWatcher(streamId: string, watcher: Watcher): void;
  removeWatcher(streamId: string, watcher: Watcher): void;
}

/**
 * A cheap, immutable reference to one aggregate instance. It never holds an actor: every
 * call goes through the registry, which activates or respawns one as needed.
 */
export class AggregateHandle<D extends AnyAggregate = AnyAggregate> {
  readonly identity: AggregateIdentity;
  readonly #runtime: Dispatcher;
  readonly #def: D;
  readonly #streamId: string;

  /** @internal Use `runtime.get()`. */
  constructor(runtime: Dispatcher, def: D, id: string) {
    this.#runtime = runtime;
    this.#def = def;
    this.#streamId = `${def.type}/${id}`;
    this.identity = Object.freeze({ type: def.type, id });
    Object.freeze(this);
  }

  /** `${type}/${id}`, the name of the aggregate's event stream. */
  get streamId(): string {
    return this.#streamId;
  }

  /**
   * Runs a command: validate, queue in the actor's mailbox, refresh, decide, append, evolve.
   * @example const { version, state } = await h.execute({ type: 'deposit', amount: 5 }, { commandId: 'c-1' });
   */
  execute(
    command: CommandOf<D>,
    options: ExecuteOptions = NO_OPTIONS,
  ): Promise<ExecuteResult<StateOf<D>, EventOf<D>>> {
    const taken = takeOptions(options);
    if (taken instanceof InvalidArgument) return Promise.reject(taken);
    options = taken;
    const problem = checkCommand(command);
    if (problem !== undefined) return Promise.reject(problem);
    // What the caller sent is what a retry sends again: fingerprinted before the validator
    // (which may fill in defaults) and decide (which may change the command) see it.
    const fp = options.commandId === undefined ? undefined : fingerprint(command);
    const validator = this.#def.validateCommand;
    if (validator === undefined) return this.#send(this.#request(command, options, fp));
    try {
      const result = validator['~standard'].validate(command);
      if (result instanceof Promise) return this.#validating(result, options, fp);
      return this.#afterValidation(result, options, fp);
    } catch (error) {
      // A validator that throws instead of reporting issues: a rejected promise all the same.
      return Promise.reject(error);
    }
  }

  /** The aggregate's state and version, refreshed from the store, in order with its commands. */
  state(): Promise<StateResult<StateOf<D>>> {
    return this.#send(new StateRequest(this.#streamId));
  }

  /** Appends pre-validated events through the actor, skipping decide (imports, repairs). */
  inject(
    events: readonly EventOf<D>[],
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult<StateOf<D>, EventOf<D>>> {
    const taken = takeOptions(options);
    if (taken instanceof InvalidArgument) return Promise.reject(taken);
    let list: readonly EventOf<D>[] | undefined;
    try {
      list = eventList(events) as readonly EventOf<D>[] | undefined;
    } catch {
      list = undefined; // a getter on an item or its `type` threw
    }
    if (list === undefined)
      return Promise.reject(
        new InvalidArgument(
          'inject needs an array of objects with a string `type` (non-empty), a plain array (not a Proxy)',
        ),
      );
    // The runtime's own array: a caller adding to theirs after the call changes nothing.
    if (list === events) list = events.slice();
    const request = new InjectRequest(this.#streamId, list, taken);
    if (taken.commandId !== undefined) request.fingerprint = fingerprint(list);
    return this.#send(request);
  }

  /** Whether an actor is resident right now (false after eviction; the next call respawns it). */
  isAlive(): boolean {
    return this.#runtime.isResident(this.#streamId);
  }

  /**
   * The state now, then after each change: never a version twice, never backwards, always
   * reaching the latest (a slow reader may skip versions). Ends when the runtime shuts down.
   */
  async *watch(): AsyncGenerator<WatchUpdate<StateOf<D>>, void, undefined> {
    let latest: WatchUpdate | undefined;
    let wake: (() => void) | undefined;
    let ended = false;
    const watcher: Watcher = {
      push(update) {
        if (latest === undefined || update.version > latest.version) latest = update;
        wake?.();
      },
      end() {
        ended = true;
        wake?.();
      },
    };
    // Registered before the first read, so a change racing with that read is not lost.
    this.#runtime.addWatcher(this.#streamId, watcher);
    try {
      const first = await this.state();
      watcher.push(first);
      let last = -1;
      for (;;) {
        const update = latest as WatchUpdate;
        if (update.version > last) {
          last = update.version;
          yield update as WatchUpdate<StateOf<D>>;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      this.#runtime.removeWatcher(this.#streamId, watcher);
    }
  }

  /**
   * An asynchronous validation: the caller waits on a ValidatingCommand, which times out and is
   * answered at shutdown like a queued command. A command whose caller stopped waiting before its
   * validation settled is never sent.
   */
  #validating(
    pending: Promise<ValidationResult>,
    options: ExecuteOptions,
    fp: string | undefined,
  ): Promise<ExecuteResult<StateOf<D>, EventOf<D>>> {
    const waiting = new ValidatingCommand(this.#streamId);
    if (!this.#runtime.watch(waiting)) return Promise.reject(new RuntimeClosed());
    pending.then(
      (result) => {
        if (waiting.settled) return;
        this.#afterValidation(result, options, fp, waiting).then(
          (value) => waiting.succeed(value),
          (error: unknown) => waiting.fail(error),
        );
      },
      (error: unknown) => waiting.fail(error),
    );
    return waiting.promise as Promise<ExecuteResult<StateOf<D>, EventOf<D>>>;
  }

  #afterValidation(
    result: ValidationResult,
    options: ExecuteOptions,
    fp: string | undefined,
    waiting?: ValidatingCommand,
  ): Promise<ExecuteResult<StateOf<D>, EventOf<D>>> {
    if (result.issues !== undefined) {
      const summary = result.issues.map((i) => i.message).join('; ');
      return Promise.reject(
        new InvalidCommand(`${this.#def.type}: invalid command: ${summary}`, result.issues),
      );
    }
    const command = result.value;
    const problem = checkCommand(command);
    if (problem !== undefined) return Promise.reject(problem);
    const request = this.#request(command as CommandOf<D>, options, fp);
    if (waiting === undefined) return this.#send(request);
    // The caller's clock started at the call (`waiting`): no second deadline for the command.
    waiting.sent = request;
    return this.#runtime.dispatch(this.#def, this.identity.id, request, false) as Promise<
      ExecuteResult<StateOf<D>, EventOf<D>>
    >;
  }

  #request(command: CommandOf<D>, options: ExecuteOptions, fp: string | undefined): ExecuteRequest {
    const request = new ExecuteRequest(this.#streamId, command, options);
    request.fingerprint = fp;
    return request;
  }

  #send<T>(request: Request): Promise<T> {
    return this.#runtime.dispatch(this.#def, this.identity.id, request) as Promise<T>;
  }
}

/** What a Standard Schema validator reports. */
interface ValidationResult {
  readonly value?: unknown;
  readonly issues?: ReadonlyArray<{ readonly message: string }> | undefined;
}

/**
 * `check()`, false when looking threw (a Proxy whose traps throw, a getter): a call that returns
 * a promise never throws synchronously.
 */
function readable(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function checkCommand(command: unknown): InvalidCommand | undefined {
  if (readable(() => isDomainEvent(command))) return undefined;
  return new InvalidCommand('a command must be an object with a string `type` (non-empty)');
}

const STRING_OPTIONS = ['commandId', 'correlationId', 'causationId', 'tenantId'] as const;
/** Metadata keys the runtime owns: set through the options (or by the runtime), never in `metadata`. */
const RESERVED_METADATA = [...STRING_OPTIONS, 'codec', 'fingerprint'] as const;

/** The options of a call that gave none: one shared frozen object, known valid without a look. */
const NO_OPTIONS: ExecuteOptions = Object.freeze({});

/**
 * The caller's options, copied (their metadata too) and checked: a command keeps the options it
 * was sent with even when the caller reuses and changes that object before the command runs.
 */
function takeOptions(o: ExecuteOptions): ExecuteOptions | InvalidArgument {
  if (o === NO_OPTIONS) return o;
  if (typeof o !== 'object' || o === null) return new InvalidArgument('options must be an object');
  let copy: ExecuteOptions;
  try {
    copy = { ...o };
    const m: unknown = copy.metadata;
    if (typeof m === 'object' && m !== null && !Array.isArray(m)) copy.metadata = { ...m };
  } catch {
    return new InvalidArgument('options could not be read (a getter or Proxy trap threw)');
  }
  const problem = checkOptions(copy);
  if (problem !== undefined) return problem;
  if (copy.metadata !== undefined) {
    // Stored as JSON with every event: what JSON cannot keep is refused here, for this command
    // alone, rather than by the store's append, which would fail every command of its batch.
    try {
      const metadata = jsonCodec.encode(copy.metadata, 'options.metadata') as Record<string, unknown>;
      // The codec shares nested objects with the caller, who may change them before the command
      // runs: those are copied now. Exact, since the codec accepted the metadata as JSON data.
      copy.metadata = hasNested(metadata)
        ? (JSON.parse(JSON.stringify(metadata)) as typeof metadata)
        : metadata;
    } catch (error) {
      return error instanceof InvalidArgument
        ? error
        : new InvalidArgument('options.metadata could not be read (a getter or Proxy trap threw)');
    }
  }
  return copy;
}

/** Whether an object has a value that is itself an object (or array). */
function hasNested(object: Record<string, unknown>): boolean {
  for (const key in object) {
    const v = object[key];
    if (typeof v === 'object' && v !== null) return true;
  }
  return false;
}

function checkOptions(o: ExecuteOptions): InvalidArgument | undefined {
  if (o === NO_OPTIONS) return undefined;
  if (typeof o !== 'object' || o === null) return new InvalidArgument('options must be an object');
  for (const key of STRING_OPTIONS) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
      return new InvalidArgument(`${key} must be a non-empty string`);
    }
  }
  // A caller's command under a timer's commandId would be taken for that firing: the timer's own
  // command would then never run (a duplicate, or IDEMPOTENCY_CONFLICT), and its timer be removed.
  if (typeof o.commandId === 'string' && o.commandId.startsWith(TIMER_COMMAND_ID_PREFIX)) {
    return new InvalidArgument(
      `commandId ${JSON.stringify(o.commandId)}: ids beginning with '${TIMER_COMMAND_ID_PREFIX}' are the runtime's (timer firings and effect results); use another`,
    );
  }
  const ev = o.expectedVersion;
  if (ev !== undefined && !(Number.isInteger(ev) && ev >= 0)) {
    return new InvalidArgument(`expectedVersion must be an integer >= 0, got ${String(ev)}`);
  }
  const metadata = o.metadata;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      return new InvalidArgument('metadata must be a plain object');
    }
    for (const key of RESERVED_METADATA) {
      if (Object.hasOwn(metadata, key)) {
        const hint = key === 'codec' || key === 'fingerprint' ? '' : ` (use the ${key} option)`;
        return new InvalidArgument(`metadata.${key} is the runtime's to set${hint}`);
      }
    }
  }
  return undefined;
}

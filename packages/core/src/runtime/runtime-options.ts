import type { Logger } from 'pino';
import type { ActorOptions } from '../actor/actor-host.js';
import { assertInterceptors, type Interceptor } from '../actor/interceptors.js';
import { type AnyAggregate, isPositiveInt } from '../aggregate/aggregate.js';
import { type Clock, MAX_TIMER_MS } from '../clock.js';
import type { EffectsOptions } from '../effects/effect.js';
import { NO_EFFECTS, resolveEffects } from '../effects/effect-catalog.js';
import { InvalidArgument } from '../errors.js';
import type { RuntimeObserver } from '../observability/observer.js';
import type { EventStore } from '../store/store.js';
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff } from '../subscriptions/store-retry.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** The event store; default `memoryStore()`. A promise is awaited (stores that open asynchronously). */
  store?: EventStore | Promise<EventStore>;
  /** The aggregates this runtime serves. */
  aggregates: readonly AnyAggregate[];
  /** Evict an actor after this long without requests. Default 300 000 (5 min); Infinity never evicts. */
  idleTimeoutMs?: number;
  /** Requests one actor may hold (running one included); beyond it see `onMailboxFull`. Default 1024. */
  mailboxCapacity?: number;
  /**
   * What a caller meets when the actor's mailbox is full: `'fail'` (default) fails the request at
   * once with MailboxFull (retryable); `'wait'` queues the caller until there is room, first come
   * first served, for at most its command timeout (then CommandTimeout). Shutdown fails waiting
   * callers with RuntimeClosed.
   */
  onMailboxFull?: 'fail' | 'wait';
  /**
   * Commands an actor may decide together and store in one append, when several wait in its
   * mailbox: each is decided on the state the ones before it leave and answered once that append
   * is durable. 1 runs every command alone. Default 256.
   */
  maxBatchCommands?: number;
  /**
   * About how many bytes of events (their JSON size, with their metadata) one batch may append;
   * a single command larger than this still runs, alone. Infinity: no byte limit. Default 1 MiB
   * (1 048 576).
   */
  maxBatchBytes?: number;
  /**
   * Batches one actor may have appending at once (issue 14's overlap step): while a batch's append
   * is in flight the actor decides the next one on the state it will leave, and answers each
   * batch only once its own append and every earlier one are durable; a failed append fails or
   * re-decides every later batch. Used only on stores that declare `pipelinedAppends`; elsewhere,
   * and with 1, a batch is decided only after the one before it is durable. Default 1.
   */
  maxBatchesInFlight?: number;
  /** Actors recovering from the store at once. Default 16. */
  maxConcurrentRecoveries?: number;
  /**
   * A caller stops waiting after this long (CommandTimeout), counted from the call (an async
   * validateCommand included). Default 30 000; 0 disables.
   */
  commandTimeoutMs?: number;
  /** commandIds remembered per stream for idempotent retries. Default 1000. */
  dedupeWindow?: number;
  /** Commands slower than this are logged at warn. Default 1000 ms. */
  slowCommandMs?: number;
  /** Times a command is re-decided after another writer's conflicting append. Default 3. */
  maxConflictRetries?: number;
  /** A pino logger; default silent. Actors log through child loggers with aggregateType and aggregateId. */
  logger?: Logger;
  /** Time source for idle eviction and timeouts; default the system clock. */
  clock?: Clock;
  /**
   * How subscriptions and projections wait between retries of a store call that failed
   * transiently (StoreError IO or CONNECTION): doubling from `initialMs` (default 100) up to
   * `maxMs` (default 5000), each delay jittered to between half and all of it.
   */
  storeRetry?: { initialMs?: number; maxMs?: number };
  /**
   * The durable-timer service (with a store that keeps timers): `windowSize` (default 1000) most
   * pending timers held in memory, `concurrency` (default 64) firings in flight at once; on a
   * shared store (one with `timers.claim`), `pollMs` (default 1000) between claims and `leaseMs`
   * (default 30 000) a claim lasts.
   */
  timers?: { windowSize?: number; concurrency?: number; pollMs?: number; leaseMs?: number };
  /**
   * Durable effects: the implementations decide may request by name, and how the runner calls
   * them (concurrency, timeout per attempt, attempts, back-off). See `EffectsOptions`.
   */
  effects?: EffectsOptions;
  /** Names this runtime where several share a store (the timer claims' owner). Default: host, pid and a random part. */
  runtimeId?: string;
  /**
   * Interceptors for every aggregate's commands (hooks before decide, after an append, on a
   * refusal). They wrap each aggregate's own: see `Interceptor` for the order and rules.
   */
  interceptors?: readonly Interceptor[];
  /** Instrumentation (tracing): told of commands, activations and projected events. See `RuntimeObserver`. */
  observer?: RuntimeObserver;
}

/** The timer service's settings after defaults were applied. */
export interface ResolvedTimerOptions {
  readonly windowSize: number;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly leaseMs: number;
}

/** Runtime settings after defaults were applied. */
export interface ResolvedOptions extends ActorOptions {
  readonly idleTimeoutMs: number;
  readonly maxConcurrentRecoveries: number;
  readonly commandTimeoutMs: number;
  readonly storeRetry: RetryBackoff;
  readonly timers: ResolvedTimerOptions;
  /** Undefined: the runtime makes one up. */
  readonly runtimeId: string | undefined;
  readonly onMailboxFull: 'fail' | 'wait';
}

const DEFAULTS: ResolvedOptions = {
  idleTimeoutMs: 300_000,
  mailboxCapacity: 1024,
  maxConcurrentRecoveries: 16,
  commandTimeoutMs: 30_000,
  dedupeWindow: 1000,
  slowCommandMs: 1000,
  maxConflictRetries: 3,
  storeRetry: DEFAULT_RETRY_BACKOFF,
  timers: { windowSize: 1000, concurrency: 64, pollMs: 1000, leaseMs: 30_000 },
  runtimeId: undefined,
  onMailboxFull: 'fail',
  maxBatchCommands: 256,
  maxBatchBytes: 1024 * 1024,
  maxBatchesInFlight: 1,
  effects: NO_EFFECTS,
};

export { MAX_TIMER_MS };

/**
 * Checks a timer duration: a number of ms from 0 to MAX_TIMER_MS, or Infinity (no timer).
 * Throws InvalidArgument naming the option.
 */
export function assertTimerMs(name: string, v: unknown): asserts v is number {
  if (
    typeof v !== 'number' ||
    Number.isNaN(v) ||
    v < 0 ||
    (v > MAX_TIMER_MS && v !== Number.POSITIVE_INFINITY)
  ) {
    throw new InvalidArgument(
      `${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS} (what timers allow), or Infinity, got ${String(v)}`,
    );
  }
}

/** Checks the numeric options and fills in the defaults. Throws InvalidArgument naming the option. */
export function resolveOptions(o: RuntimeOptions): ResolvedOptions {
  const r: { -readonly [K in keyof ResolvedOptions]: ResolvedOptions[K] } = { ...DEFAULTS };
  const positive = [
    'mailboxCapacity',
    'maxConcurrentRecoveries',
    'maxBatchCommands',
    'maxBatchesInFlight',
  ] as const;
  for (const key of positive) {
    const v = o[key];
    if (v === undefined) continue;
    if (!isPositiveInt(v)) throw new InvalidArgument(`${key} must be a positive integer, got ${String(v)}`);
    r[key] = v;
  }
  if (o.maxBatchBytes !== undefined) {
    const v = o.maxBatchBytes;
    if (!isPositiveInt(v) && v !== Number.POSITIVE_INFINITY)
      throw new InvalidArgument(
        `maxBatchBytes must be a positive integer (bytes) or Infinity, got ${String(v)}`,
      );
    r.maxBatchBytes = v;
  }
  if (o.dedupeWindow !== undefined) {
    if (!Number.isInteger(o.dedupeWindow) || o.dedupeWindow < 0) {
      throw new InvalidArgument(
        `dedupeWindow must be an integer >= 0 (0: no idempotent retries), got ${String(o.dedupeWindow)}`,
      );
    }
    r.dedupeWindow = o.dedupeWindow;
  }
  const durations = ['idleTimeoutMs', 'commandTimeoutMs', 'slowCommandMs'] as const;
  for (const key of durations) {
    const v = o[key];
    if (v === undefined) continue;
    // slowCommandMs sets no timer: any duration is meaningful.
    if (key === 'slowCommandMs') {
      if (typeof v !== 'number' || Number.isNaN(v) || v < 0)
        throw new InvalidArgument(`slowCommandMs must be a number of milliseconds >= 0, got ${String(v)}`);
    } else assertTimerMs(key, v);
    r[key] = v;
  }
  if (o.idleTimeoutMs === 0)
    throw new InvalidArgument('idleTimeoutMs must be > 0 (use Infinity to never evict)');
  checkShape('logger', o.logger, LOGGER_METHODS);
  checkShape('clock', o.clock, ['now', 'setTimeout', 'clearTimeout']);
  if (o.maxConflictRetries !== undefined) {
    if (!Number.isInteger(o.maxConflictRetries) || o.maxConflictRetries < 0) {
      throw new InvalidArgument('maxConflictRetries must be an integer >= 0');
    }
    r.maxConflictRetries = o.maxConflictRetries;
  }
  if (o.storeRetry !== undefined) r.storeRetry = resolveBackoff(o.storeRetry);
  if (o.onMailboxFull !== undefined) {
    if (o.onMailboxFull !== 'fail' && o.onMailboxFull !== 'wait')
      throw new InvalidArgument(`onMailboxFull must be 'fail' or 'wait', got ${String(o.onMailboxFull)}`);
    r.onMailboxFull = o.onMailboxFull;
  }
  assertInterceptors('interceptors', o.interceptors);
  if (o.observer !== undefined && (typeof o.observer !== 'object' || o.observer === null))
    throw new InvalidArgument('observer must be an object');
  if (o.timers !== undefined) r.timers = resolveTimers(o.timers);
  if (o.effects !== undefined) r.effects = resolveEffects(o.effects);
  if (o.runtimeId !== undefined) {
    if (typeof o.runtimeId !== 'string' || o.runtimeId.length === 0)
      throw new InvalidArgument('runtimeId must be a non-empty string');
    r.runtimeId = o.runtimeId;
  }
  return r;
}

function resolveTimers(o: NonNullable<RuntimeOptions['timers']>): ResolvedTimerOptions {
  if (typeof o !== 'object' || o === null)
    throw new InvalidArgument('timers must be an object { windowSize, concurrency, pollMs, leaseMs }');
  // A misspelt key (leaseMS) would otherwise leave its default in force without a word.
  for (const key of Object.keys(o)) {
    if (!Object.hasOwn(DEFAULTS.timers, key))
      throw new InvalidArgument(
        `timers has an unknown option '${key}' (known: ${Object.keys(DEFAULTS.timers).join(', ')})`,
      );
  }
  const r = { ...DEFAULTS.timers, ...o };
  for (const key of ['windowSize', 'concurrency'] as const) {
    if (!isPositiveInt(r[key]))
      throw new InvalidArgument(`timers.${key} must be a positive integer, got ${String(r[key])}`);
  }
  for (const key of ['pollMs', 'leaseMs'] as const) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > MAX_TIMER_MS)
      throw new InvalidArgument(
        `timers.${key} must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(v)}`,
      );
  }
  return r;
}

function resolveBackoff(o: NonNullable<RuntimeOptions['storeRetry']>): RetryBackoff {
  if (typeof o !== 'object' || o === null)
    throw new InvalidArgument('storeRetry must be an object { initialMs, maxMs }');
  const check = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 1)
      throw new InvalidArgument(`storeRetry.${key} must be a number of milliseconds >= 1, got ${String(v)}`);
    return v;
  };
  // initialMs is checked before the default maxMs is computed from it (a BigInt would throw a TypeError there).
  const initialMs = check(
    'initialMs',
    o.initialMs === undefined ? DEFAULT_RETRY_BACKOFF.initialMs : o.initialMs,
  );
  const maxMs = check(
    'maxMs',
    o.maxMs === undefined ? Math.max(initialMs, DEFAULT_RETRY_BACKOFF.maxMs) : o.maxMs,
  );
  if (maxMs < initialMs) throw new InvalidArgument('storeRetry.maxMs must be >= storeRetry.initialMs');
  return { initialMs, maxMs };
}

/** What the runtime calls on a logger (pino's shape). */
const LOGGER_METHODS = ['child', 'isLevelEnabled', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** What the runtime calls on a store; the optional ones are checked only for their type. */
const STORE_METHODS = ['append', 'readStream', 'readAll', 'streamVersion', 'close'];
const STORE_OPTIONAL = [
  'knownStreamVersion',
  'lastPosition',
  'onAppend',
  'acquire',
  'onLeaseLost',
  'writeRefusal',
  'onWriteRefusal',
];

/** Throws InvalidArgument naming the option when `value` (if given) lacks one of `methods`. */
function checkShape(name: string, value: unknown, methods: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgument(`${name} must be an object with ${methods.join(', ')}; got ${String(value)}`);
  }
  const missing = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new InvalidArgument(`${name} has no ${missing.join(', ')} method`);
}

/** Checks that the opened store has every method the runtime calls. Throws InvalidArgument naming `store`. */
export function checkStore(store: unknown): asserts store is EventStore {
  checkShape('store', store, STORE_METHODS);
  const s = store as Record<string, unknown>;
  for (const m of STORE_OPTIONAL) {
    if (s[m] !== undefined && typeof s[m] !== 'function')
      throw new InvalidArgument(`store.${m} must be a function`);
  }
  const snapshots = s.snapshots as Record<string, unknown> | undefined;
  if (typeof snapshots !== 'object' || snapshots === null)
    throw new InvalidArgument('store has no snapshots store');
  checkShape('store.snapshots', snapshots, ['load', 'save']);
  checkShape('store.checkpoints', s.checkpoints, ['get', 'set']);
}

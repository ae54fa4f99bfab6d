import type { Logger } from 'pino';
import type { ActorOptions } from '../actor/actor-host.js';
import { type AnyAggregate, isPositiveInt } from '../aggregate/aggregate.js';
import type { Clock } from '../clock.js';
import { InvalidArgument } from '../errors.js';
import type { EventStore } from '../store/store.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** The event store; default `memoryStore()`. A promise is awaited (stores that open asynchronously). */
  store?: EventStore | Promise<EventStore>;
  /** The aggregates this runtime serves. */
  aggregates: readonly AnyAggregate[];
  /** Evict an actor after this long without requests. Default 300 000 (5 min); Infinity never evicts. */
  idleTimeoutMs?: number;
  /** Requests one actor may hold (running one included); beyond it: MailboxFull. Default 1024. */
  mailboxCapacity?: number;
  /** Actors recovering from the store at once. Default 16. */
  maxConcurrentRecoveries?: number;
  /** A caller stops waiting after this long (CommandTimeout). Default 30 000; 0 disables. */
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
}

/** Runtime settings after defaults were applied. */
export interface ResolvedOptions extends ActorOptions {
  readonly idleTimeoutMs: number;
  readonly maxConcurrentRecoveries: number;
  readonly commandTimeoutMs: number;
}

const DEFAULTS: ResolvedOptions = {
  idleTimeoutMs: 300_000,
  mailboxCapacity: 1024,
  maxConcurrentRecoveries: 16,
  commandTimeoutMs: 30_000,
  dedupeWindow: 1000,
  slowCommandMs: 1000,
  maxConflictRetries: 3,
};

/** Checks the numeric options and fills in the defaults. Throws InvalidArgument naming the option. */
export function resolveOptions(o: RuntimeOptions): ResolvedOptions {
  const r: { -readonly [K in keyof ResolvedOptions]: ResolvedOptions[K] } = { ...DEFAULTS };
  const positive = ['mailboxCapacity', 'maxConcurrentRecoveries', 'dedupeWindow'] as const;
  for (const key of positive) {
    const v = o[key];
    if (v === undefined) continue;
    if (!isPositiveInt(v)) throw new InvalidArgument(`${key} must be a positive integer, got ${String(v)}`);
    r[key] = v;
  }
  const durations = ['idleTimeoutMs', 'commandTimeoutMs', 'slowCommandMs'] as const;
  for (const key of durations) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new InvalidArgument(`${key} must be a number of milliseconds >= 0, got ${String(v)}`);
    }
    r[key] = v;
  }
  if (o.idleTimeoutMs === 0)
    throw new InvalidArgument('idleTimeoutMs must be > 0 (use Infinity to never evict)');
  if (o.maxConflictRetries !== undefined) {
    if (!Number.isInteger(o.maxConflictRetries) || o.maxConflictRetries < 0) {
      throw new InvalidArgument('maxConflictRetries must be an integer >= 0');
    }
    r.maxConflictRetries = o.maxConflictRetries;
  }
  return r;
}

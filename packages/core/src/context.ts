import type PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { IdleReaper } from './idle-reaper.js';
import type { LogTail } from './log-tail.js';
import type { Metrics } from './metrics.js';
import type { Registry } from './registry.js';
import type { EventStore } from './store.js';
import type { RetryBackoff, StoreRetry } from './store-retry.js';
import type { Watchers } from './watchers.js';

/** Runtime settings after defaults were applied. */
export interface ResolvedOptions {
  readonly idleTimeoutMs: number;
  readonly mailboxCapacity: number;
  readonly maxConcurrentRecoveries: number;
  readonly commandTimeoutMs: number;
  readonly dedupeWindow: number;
  readonly slowCommandMs: number;
  readonly maxConflictRetries: number;
  readonly storeRetry: RetryBackoff;
}

/** What every actor of a runtime shares: one object, so an actor pays one pointer for all of it. */
export interface RuntimeContext {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly reaper: IdleReaper;
  readonly permits: PQueue;
  readonly registry: Registry;
  readonly watchers: Watchers;
  /** Wakes subscribers when the global log grows. */
  readonly tail: LogTail;
  /** Retries the store calls of subscriptions and projections through an outage. */
  readonly retry: StoreRetry;
  readonly options: ResolvedOptions;
  /** Actors that exist and are not stopped or crashed (an evicting one and its waiting successor both count). */
  resident: number;
  /** Actors waiting for or running recovery. */
  activating: number;
  /** Requests waiting in all mailboxes (not yet started). */
  mailboxDepth: number;
}

/**
 * Shutting a runtime down, in order: no new timer firings or effect attempts, projections
 * stopped with their checkpoints saved, every mailbox drained (bounded by the timeout, then queued
 * commands fail with RuntimeClosed), every actor evicted, the store closed, and any caller still
 * waiting answered.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EffectRunner } from '../effects/effect-runner.js';
import { RuntimeClosed } from '../errors.js';
import { outsideHandlers } from '../projections/handler-scope.js';
import type { Projection } from '../projections/projection-runner.js';
import type { CommandTimeouts } from './command-timeouts.js';
import type { RuntimeContext } from './context.js';
import type { WatchFollower } from './watch-follower.js';

/** Shutdown options. */
export interface ShutdownOptions {
  /** How long to let mailboxes drain before queued commands fail with RuntimeClosed. Default 10 000. */
  timeoutMs?: number;
}

/** What a shutdown stops, besides the runtime's context. */
export interface ClosingParts {
  readonly ctx: RuntimeContext;
  /** The effect runner; undefined when the store runs no effects. */
  readonly effects: EffectRunner | undefined;
  readonly projections: readonly Projection[];
  readonly follower: WatchFollower;
  /** Stops listening for leases the store lost (lease mode). */
  readonly stopLeaseWatch: (() => void) | undefined;
  readonly timeouts: CommandTimeouts;
}

/**
 * Refuses nothing itself (the runtime stopped taking calls): drains and stops everything, then
 * closes the store. Waits `timeoutMs` at most for each of effect attempts, projection handlers
 * and mailboxes.
 */
export async function closeRuntime(parts: ClosingParts, timeoutMs: number): Promise<void> {
  const { ctx } = parts;
  const { registry, clock, logger, reaper, watchers, store, tail, waiters } = ctx;
  // No new firings; those in flight finish in their actors, which drain below.
  ctx.timerService?.stop();
  // Running effect attempts are aborted, their outcomes not recorded: they run again after a restart.
  const effects = parts.effects?.stop();
  if (effects !== undefined) await bounded(effects, timeoutMs, clock, logger, 'effect attempts');
  // Callers waiting for room in a full mailbox never got in: they fail now, as new calls do.
  for (const request of waiters.takeAll())
    request.fail(new RuntimeClosed('shut down before the command ran'));
  // Projections first: each finishes its event and saves its checkpoint while the store is open.
  // A handler that never settles holds up the shutdown for timeoutMs at most: its projection
  // then keeps the checkpoint it saved last and resumes from there after a restart.
  const projections = outsideHandlers(() => Promise.all(parts.projections.map((p) => p.stop())));
  await bounded(projections, timeoutMs, clock, logger, 'projection handlers');
  parts.follower.stop();
  tail.close();
  const gone = Promise.all(Array.from(registry.values(), (a) => a.requestEviction()));
  if (!(await within(gone, timeoutMs, clock))) {
    logger.warn({ timeoutMs }, 'shutdown: mailboxes did not drain in time; failing queued commands');
    for (const a of registry.values()) a.abandonQueued(new RuntimeClosed('shut down before the command ran'));
    if (!(await within(gone, timeoutMs, clock)))
      logger.warn('shutdown: commands still running; closing the store');
  }
  reaper.clear();
  watchers.endAll();
  parts.stopLeaseWatch?.();
  try {
    await store.close();
  } finally {
    // A command still running now (a decide that never settles) can no longer be stored: its
    // caller is answered rather than left waiting forever. One turn first, so that an append
    // the store finished while closing answers its caller itself.
    await new Promise<void>((resolve) => setImmediate(resolve));
    parts.timeouts.clear(
      new RuntimeClosed(
        'shut down while the command was running (a validateCommand, decide or append that did not finish in time); retry it with the same commandId after a restart',
      ),
    );
  }
}

/**
 * Waits for `p` up to `ms`: settled in time, its rejection is thrown as before; late, shutdown
 * goes on without it (a warning), and a later rejection is logged, never left unhandled.
 */
async function bounded(
  p: Promise<unknown>,
  ms: number,
  clock: Clock,
  logger: Logger,
  what: string,
): Promise<void> {
  if (
    await within(
      p.catch(() => undefined),
      ms,
      clock,
    )
  ) {
    await p;
    return;
  }
  logger.warn({ timeoutMs: ms }, `shutdown: ${what} did not finish in time; going on without them`);
  p.catch((error: unknown) => logger.warn({ err: error }, `shutdown: ${what} failed after the timeout`));
}

/** Resolves true when `p` settles within `ms`, false otherwise; leaves no timer behind. */
async function within(p: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  if (ms === Number.POSITIVE_INFINITY) return p.then(() => true);
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

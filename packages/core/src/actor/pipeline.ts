/**
 * The batch loop with up to `maxBatchesInFlight` appends in flight (issue 14's overlap step, on
 * stores with `pipelinedAppends`): while a batch appends, the next is decided on the state it
 * will leave and its append issued with that version as expectedVersion, all sharing one
 * `AppendChain`. Batches land in order: each is applied and answered only once its own append is
 * durable and every earlier one was. Only commands already waiting start another batch: with
 * none, it waits for the oldest append (no per-command wake-up cost when load is spread thin).
 * When one fails, it is handled as the one-at-a-time loop would (a conflict: catch up and decide
 * again; otherwise its commands fail); the store fails the later appends of its chain, and once
 * they settled their commands are decided again, on the state the failure left, as if they had
 * never been decided.
 *
 * The actor runs it through `PipelineSteps`, a view of its own steps made for the run: the
 * pipeline holds the flights, the actor its state.
 */
import { performance } from 'node:perf_hooks';
import { isVersionConflict, StoreError } from '../errors.js';
import type { AppendChain, EventEnvelope } from '../store/store.js';
import type { ActorHost } from './actor-host.js';
import type { Batch, BatchDone } from './batch.js';
import { brokenBatcher } from './broken-batcher.js';
import { observeAppend } from './command-hooks.js';
import { appendError, Refused } from './refused.js';
import {
  answerBatch,
  batchOutcomes,
  type RepliedActor,
  replyBeforeDurable,
  settleCommand,
} from './replies.js';
import type { CommandRequest } from './request.js';
import { appendOptions } from './timer-firing.js';

/** What the pipeline needs of its actor: the actor's own steps, for one run. */
export interface PipelineSteps {
  readonly host: ActorHost;
  /** The actor, as its replies need it (replies.ts). */
  readonly actor: RepliedActor;
  readonly streamId: string;
  /** A new batch, decided on the state `after` leaves, or on the actor's when undefined. */
  batch(after: Batch | undefined): Batch;
  /** The next command queued right behind the running one, taken from the mailbox. */
  takeCommand(): CommandRequest | undefined;
  refresh(): Promise<void> | undefined;
  catchUp(): Promise<void>;
  /** Decides `requests` into `batch` (the general loop); the commands left for the next batch. */
  fill(
    batch: Batch,
    requests: CommandRequest[],
    take: boolean,
    blocked: ReadonlySet<string> | null,
  ): Promise<CommandRequest[] | undefined>;
  /** Applies a batch whose append is durable. */
  commit(batch: Batch, stored: EventEnvelope[]): void;
  /** Records the commandIds of a batch that appended nothing. */
  remember(batch: Batch, stored: EventEnvelope[]): void;
  crash(error: unknown, requests: readonly CommandRequest[]): void;
}

/** A batch of a pipeline: decided, its append in flight or settled. */
interface Flight {
  readonly batch: Batch;
  readonly requests: CommandRequest[];
  readonly started: number;
  /** Settles with the stored envelopes or an AppendFailed, never rejects (nothing unhandled while it waits). */
  readonly landing: Promise<EventEnvelope[] | AppendFailed>;
  /** When the append was issued (performance.now()), for the observer. */
  readonly appending: number;
}

/** What a pipeline's append settled with when it failed. */
class AppendFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Runs the pipeline from `first` until the mailbox holds no more commands and every append
 * landed; returns the last landed batch, answered by the caller once the actor is ready again.
 */
export async function runPipeline(
  steps: PipelineSteps,
  first: CommandRequest,
): Promise<BatchDone | undefined> {
  const host = steps.host;
  const { maxBatchesInFlight: limit, maxBatchCommands } = host.options;
  const flights: Flight[] = [];
  /** The commands of the batch being decided (failed with the crash should evolve throw). */
  let deciding: CommandRequest[] = [];
  /** Commands to decide (again) before more are taken from the mailbox, in arrival order. */
  let queue: CommandRequest[] = [first];
  /** commandIds accepted by the batches in flight (created on first use). */
  let inFlightIds: Set<string> | null = null;
  let chain: AppendChain = { failed: false };
  let conflicts = 0;
  let last: BatchDone | undefined;
  try {
    for (;;) {
      if (queue.length === 0) {
        const taken = steps.takeCommand();
        if (taken !== undefined) queue.push(taken);
      }
      const head = queue[0];
      const headId = head?.options.commandId;
      const blocked = headId !== undefined && inFlightIds?.has(headId) === true;
      if (flights.length > 0 && (head === undefined || flights.length >= limit || blocked)) {
        const oldest = flights[0] as Flight;
        flights.shift();
        const outcome = await oldest.landing;
        if (host.observer !== null) observeAppend(oldest.requests, performance.now() - oldest.appending);
        if (outcome instanceof AppendFailed) {
          // Every later append of the chain fails in the store: their commands are decided again
          // after the failed batch's own, in arrival order (queued now, so a crash fails them).
          const retry = failedFlight(steps, oldest, outcome.error, conflicts);
          const later = flights.splice(0);
          queue = [...(retry ?? []), ...later.flatMap((f) => f.requests), ...queue];
          inFlightIds = null;
          chain = { failed: false };
          for (const f of later) {
            const settled = await f.landing;
            // Failed as it should, or appended nothing (decided on the failed batch's state all the same).
            if (settled instanceof AppendFailed || f.batch.events.length === 0) continue;
            if (brokenBatcher.mode === 'pipeline-keeps-later') {
              queue = queue.filter((r) => !f.requests.includes(r));
              steps.commit(f.batch, settled);
              const kept = batchOutcomes(steps.host, steps.actor, f.batch, settled);
              const outcomes = kept instanceof Promise ? await kept : kept;
              answerBatch(steps.host, steps.actor, {
                carry: undefined,
                requests: f.requests,
                outcomes,
                started: f.started,
              });
              continue;
            }
            // Unreachable on a store that keeps the chain contract; failing loudly beats
            // answering callers whose commands were decided on a failed batch's state.
            throw new StoreError('IO', `${steps.streamId}: an append landed after an earlier one failed`);
          }
          if (retry !== undefined) {
            conflicts++;
            await steps.catchUp();
          }
          continue;
        }
        conflicts = 0;
        // Only the ids this batch accepted: a refused command may share its id with a later
        // batch in flight, which must keep blocking that id until it lands.
        if (inFlightIds !== null) for (const id of acceptedIds(oldest.batch)) inFlightIds.delete(id);
        if (oldest.batch.events.length > 0) steps.commit(oldest.batch, outcome);
        else steps.remember(oldest.batch, []);
        const outcomes = batchOutcomes(steps.host, steps.actor, oldest.batch, outcome);
        const done: BatchDone = {
          carry: undefined,
          requests: oldest.requests,
          outcomes: outcomes instanceof Promise ? await outcomes : outcomes,
          started: oldest.started,
        };
        if (last !== undefined) answerBatch(steps.host, steps.actor, last);
        // The last batch of the run is answered once the actor is ready again (see #run).
        if (flights.length > 0) answerBatch(steps.host, steps.actor, done);
        else last = done;
        continue;
      }
      if (head === undefined) return last;
      if (last !== undefined) answerBatch(steps.host, steps.actor, last);
      last = undefined;
      // Decide the next batch on the state the newest flight leaves.
      if (flights.length === 0) {
        const refreshing = steps.refresh();
        if (refreshing !== undefined) await refreshing;
      }
      const newest = flights[flights.length - 1];
      const batch = steps.batch(newest?.batch);
      const started = performance.now();
      deciding = queue.length > maxBatchCommands ? queue.splice(0, maxBatchCommands) : queue;
      queue = deciding === queue ? [] : queue;
      // Commands put back to be decided again are not joined by new ones (nor split by bytes).
      // The general (async) loop: the pipeline's interleavings (what lands while the next batch
      // is decided, when a crash is seen) stay as they were designed and tested.
      const left = await steps.fill(batch, deciding, deciding.length === 1, inFlightIds);
      const requests = deciding;
      deciding = [];
      if (left !== undefined) queue = [...left, ...queue];
      host.metrics.counters.batches++;
      host.metrics.batchSize.record(requests.length);
      for (const id of acceptedIds(batch)) {
        inFlightIds ??= new Set();
        inFlightIds.add(id);
      }
      if (brokenBatcher.mode === 'reply-before-durable')
        replyBeforeDurable(steps.host, steps.actor, batch, started);
      const appending = performance.now();
      const landing: Promise<EventEnvelope[] | AppendFailed> =
        batch.events.length === 0
          ? Promise.resolve([])
          : host.store
              .append(steps.streamId, batch.events, {
                ...appendOptions(host.store, steps.streamId, batch.baseVersion, batch.timers),
                ...(brokenBatcher.mode === 'pipeline-keeps-later' ? {} : { chain }),
              })
              .catch((error: unknown) => new AppendFailed(error));
      flights.push({ batch, requests, started, landing, appending });
    }
  } catch (error) {
    // Evolve, a refresh or a catch-up threw: the in-memory state can no longer be trusted. What
    // landed before is answered; every other command fails with the crash.
    if (last !== undefined) answerBatch(steps.host, steps.actor, last);
    const failing: CommandRequest[] = [];
    let failedBefore = false;
    for (const f of flights.splice(0)) {
      const settled = await f.landing;
      failedBefore ||= settled instanceof AppendFailed;
      if (settled instanceof AppendFailed || failedBefore) {
        failing.push(...f.requests);
        continue;
      }
      // Durable, and every earlier one was: its callers are told so, as without the crash.
      try {
        const outcomes = await batchOutcomes(steps.host, steps.actor, f.batch, settled);
        answerBatch(steps.host, steps.actor, {
          carry: undefined,
          requests: f.requests,
          outcomes,
          started: f.started,
        });
      } catch {
        failing.push(...f.requests);
      }
    }
    steps.crash(error, [...failing, ...deciding, ...queue]);
    return undefined;
  }
}

/**
 * A pipeline's oldest batch whose append failed, as the one-at-a-time loop handles it: on a
 * version conflict with retries left, its commands that named an expectedVersion are refused and
 * the others returned, to be decided again after a catch-up; otherwise every command fails.
 */
function failedFlight(
  steps: PipelineSteps,
  flight: Flight,
  error: unknown,
  conflicts: number,
): CommandRequest[] | undefined {
  const conflict = isVersionConflict(error);
  const ms = performance.now() - flight.started;
  if (!conflict || conflicts >= steps.host.options.maxConflictRetries) {
    const refused = new Refused(appendError(error), conflict);
    for (const r of flight.requests) settleCommand(steps.host, steps.actor, r, refused, ms);
    return undefined;
  }
  steps.host.metrics.counters.conflictRetries++;
  const refused = new Refused(error, true);
  return flight.requests.filter((r) => {
    if (r.options.expectedVersion === undefined) return true;
    settleCommand(steps.host, steps.actor, r, refused, ms);
    return false;
  });
}

/** The commandIds a batch accepted (appended or found nothing to do): what it holds in flight. */
function* acceptedIds(batch: Batch): Generator<string> {
  for (const d of batch.decided) {
    const id = d.request.options.commandId;
    const kind = d.outcome.kind;
    if (id !== undefined && (kind === 'append' || kind === 'nothing')) yield id;
  }
}

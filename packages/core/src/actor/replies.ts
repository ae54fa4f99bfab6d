/**
 * What the commands of a batch are told, and telling them: each command's outcome once its
 * batch's append is durable (or the batch appended nothing), a retried commandId's original
 * result read back from the store, the counts and latency of each reply, refusals logged. Plain
 * functions over the actor's view of itself, as command-hooks.ts: they keep no state, so the
 * actor pays nothing for them per instance.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { readEnvelope } from '../aggregate/read-events.js';
import { IdempotencyConflict, isRejection } from '../errors.js';
import { Metrics } from '../observability/metrics.js';
import type { DomainEvent, EventEnvelope } from '../store/store.js';
import type { ActorHost } from './actor-host.js';
import { type Batch, type BatchDone, type Decided, fingerprintOf } from './batch.js';
import { commandSettled, type HookedActor } from './command-hooks.js';
import type { Duplicate } from './command-step.js';
import { readCommandEvents } from './dedupe.js';
import { Refused } from './refused.js';
import type { CommandRequest, ExecuteResult } from './request.js';

/** The actor as its replies need it: the aggregate instance, and its logger. */
export interface RepliedActor extends HookedActor {
  /** A child logger of the actor's (made per use: an actor keeps none). */
  logger(): Logger;
}

type Outcome = ExecuteResult | Refused;

/**
 * What each command of an applied batch (or one that appended nothing) is told, in batch
 * order. Synchronous unless a retried commandId's original events must be read back.
 */
export function batchOutcomes(
  host: ActorHost,
  actor: RepliedActor,
  batch: Batch,
  stored: EventEnvelope[],
): Outcome[] | Promise<Outcome[]> {
  // Sized up front: a push onto an empty array reserves room for 16 or so.
  const results: Outcome[] = new Array(batch.decided.length);
  let duplicates = false;
  for (let i = 0; i < batch.decided.length; i++) {
    const d = batch.decided[i] as Decided;
    const outcome = d.outcome;
    switch (outcome.kind) {
      case 'append': {
        const n = outcome.events.length;
        const mine = n === stored.length ? stored : stored.slice(d.offset, d.offset + n);
        // Callers see the events as evolve saw them (the stored encoding, decoded), decoded
        // afresh from the store's copy: objects evolve folded into the state are not handed out.
        const codec = actor.def.codec;
        const events =
          outcome.decoded === outcome.events
            ? mine
            : mine.map((env) => ({ ...env, data: codec.decode(env.data) as DomainEvent }));
        results[i] = { events, version: d.version, state: d.state, deduplicated: false };
        break;
      }
      case 'nothing':
        results[i] = { events: [], version: d.version, state: d.state, deduplicated: false };
        break;
      case 'refused':
        logRefusal(host, actor, outcome, d.request);
        results[i] = outcome;
        break;
      case 'duplicate':
        duplicates = true;
        results[i] = outcome as unknown as Refused; // read back below
        break;
      case 'same-batch':
        results[i] = sameBatchDuplicate(batch, results, d, outcome.first, actor.streamId);
        break;
    }
  }
  return duplicates ? readDuplicates(host, actor, batch, results) : results;
}

/** Replaces each retried commandId's placeholder with the original's result, read from the store. */
async function readDuplicates(
  host: ActorHost,
  actor: RepliedActor,
  batch: Batch,
  results: Outcome[],
): Promise<Outcome[]> {
  for (let i = 0; i < batch.decided.length; i++) {
    const d = batch.decided[i] as Decided;
    if (d.outcome.kind === 'duplicate')
      results[i] = await duplicate(host, actor, d.request, d.outcome, d.state);
  }
  return results;
}

/**
 * The original result of an accepted commandId, its events read back from the store; refused
 * with IdempotencyConflict when the original was a different command (fingerprints differ).
 */
async function duplicate(
  host: ActorHost,
  actor: RepliedActor,
  request: CommandRequest,
  seen: Duplicate,
  state: unknown,
): Promise<Outcome> {
  const commandId = request.options.commandId as string;
  const stored = await readCommandEvents(host.store, actor.streamId, commandId, seen.at);
  // As the definition reads them now (decoded, upcast); the version and fingerprint are the stored ones.
  const events = stored.flatMap((env) => readEnvelope(actor.def, env));
  const original = stored.length > 0 ? stored[0]?.metadata.fingerprint : seen.fingerprint;
  // Events stored before fingerprints existed carry none: they are taken as the same command.
  if (typeof original === 'string' && original !== fingerprintOf(request)) {
    return new Refused(new IdempotencyConflict(actor.streamId, commandId), true);
  }
  const version = stored.length > 0 ? (stored[stored.length - 1] as EventEnvelope).version : 0 - seen.at;
  return { events, version, state, deduplicated: true };
}

/**
 * A command whose commandId an earlier command of the same batch used: that command's result
 * (deduplicated), or IdempotencyConflict when the two commands differ.
 */
function sameBatchDuplicate(
  batch: Batch,
  results: readonly Outcome[],
  d: Decided,
  first: number,
  streamId: string,
): Outcome {
  const original = batch.decided[first] as Decided;
  if (original.fingerprint !== fingerprintOf(d.request)) {
    return new Refused(new IdempotencyConflict(streamId, d.request.options.commandId as string), true);
  }
  const result = results[first] as ExecuteResult;
  return { events: result.events, version: original.version, state: d.state, deduplicated: true };
}

function logRefusal(host: ActorHost, actor: RepliedActor, refused: Refused, request: CommandRequest): void {
  const error = refused.error;
  if (refused.thrown !== undefined) {
    const command = request.kind === 'execute' ? request.command.type : undefined;
    try {
      actor.logger().error({ err: refused.thrown, command }, 'decide threw');
    } catch {
      // The logger could not serialise what was thrown (a Proxy whose traps throw): say it without.
      actor.logger().error({ err: (error as Error).message, command }, 'decide threw');
    }
  } else if (isRejection(error) && host.logger.isLevelEnabled('debug')) {
    actor.logger().debug({ reason: error.reason }, 'command rejected');
  }
}

/** Replies to every command of a finished batch, in order. */
export function answerBatch(host: ActorHost, actor: RepliedActor, done: BatchDone): void {
  const { requests, outcomes, started } = done;
  const ms = performance.now() - started;
  for (let i = 0; i < outcomes.length; i++) {
    settleCommand(host, actor, requests[i] as CommandRequest, outcomes[i] as Outcome, ms);
  }
}

/** Counts and times the outcome, then replies: metrics are current by the time the caller resumes. */
export function settleCommand(
  host: ActorHost,
  actor: RepliedActor,
  request: CommandRequest,
  outcome: Outcome,
  ms: number,
): void {
  const { metrics, options } = host;
  const { counters } = metrics;
  const byType = metrics.forType(actor.def.type);
  if (outcome instanceof Refused) {
    if (outcome.rejected) {
      counters.commandsRejected++;
      byType.commandsRejected++;
    } else {
      counters.commandsFailed++;
      byType.commandsFailed++;
    }
  } else {
    counters.commandsOk++;
    byType.commandsOk++;
    if (outcome.deduplicated) counters.dedupeHits++;
  }
  if (request.kind === 'execute') {
    Metrics.record(byType.latency, ms); // the runtime-wide latency adds these up (metrics.ts)
    if (ms >= options.slowCommandMs) {
      actor.logger().warn({ command: request.command.type, durationMs: Math.round(ms) }, 'slow command');
    }
  }
  if (outcome instanceof Refused) request.fail(outcome.error);
  else request.succeed(outcome);
  // afterAppend / onRefusal: after the reply, and (in a batch) after the batch's append is durable.
  if (host.interceptors !== null) commandSettled(host, actor, request, outcome, () => actor.logger());
}

/** The deliberately broken batcher 'reply-before-durable' (property test only): replies before the append. */
export function replyBeforeDurable(
  host: ActorHost,
  actor: RepliedActor,
  batch: Batch,
  started: number,
): void {
  for (const d of batch.decided) {
    const outcome = d.outcome;
    if (outcome.kind !== 'append') continue;
    const events = outcome.events.map((data, i) => ({
      streamId: actor.streamId,
      aggregateType: actor.def.type,
      aggregateId: actor.id,
      version: d.version - outcome.events.length + i + 1,
      position: 0,
      type: data.type,
      data,
      schemaVersion: actor.def.eventSchemaVersion,
      metadata: {},
      timestamp: '',
    }));
    settleCommand(
      host,
      actor,
      d.request,
      { events, version: d.version, state: d.state, deduplicated: false },
      performance.now() - started,
    );
  }
}

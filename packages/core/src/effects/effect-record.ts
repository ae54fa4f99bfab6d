import { createHash } from 'node:crypto';
import type { Command } from '../aggregate/aggregate.js';
import { CorruptData } from '../errors.js';
import type { TimerRecord } from '../timers/timer.js';
import {
  EFFECT_TIMER_PREFIX,
  type EffectError,
  type EffectInfo,
  type EffectRef,
  type EffectResult,
  RUN_EFFECT,
  type RunEffect,
} from './effect.js';

/**
 * How effect records look in the timer store, and what is derived from them. An effect's record
 * holds a `RunEffect` until the effect is settled, then its `EffectResult`, which keeps the
 * request beside it (`request`) so an operator can still retry it; `request` is taken off before
 * the result is delivered, so the aggregate receives exactly an `EffectResult`.
 */

/** The command of an effect record whose result waits to be delivered. */
export type StoredEffectResult = EffectResult & { readonly request: RunEffect };

/** The effect id of an effect record's timer name. */
export function effectIdOf(timerName: string): string {
  return timerName.slice(EFFECT_TIMER_PREFIX.length);
}

/** True when the record's command is a `RunEffect` (the effect has not settled yet). */
export function isRunEffect(command: Command): command is RunEffect {
  return command.type === RUN_EFFECT;
}

/**
 * The idempotency key of an effect: derived from its stream, id and the version of the decision
 * that requested it, so it is the same on every attempt and after every restart, and differs for
 * a later request under the same id. Hashed so that any stream id fits an HTTP header.
 */
export function effectIdempotencyKey(streamId: string, id: string, version: number): string {
  return createHash('sha256').update(`${streamId}\u0000${id}\u0000${version}`).digest('hex').slice(0, 32);
}

/** The result command stored for a settled effect (`request` kept for operators' retry). */
export function storedResult(
  record: TimerRecord,
  request: RunEffect,
  attempts: number,
  outcome: { readonly output: unknown } | { readonly error: EffectError },
): StoredEffectResult {
  const effect: EffectRef = {
    id: effectIdOf(record.name),
    name: request.effect,
    version: record.version,
    attempts,
  };
  return 'error' in outcome
    ? { type: request.resultType, effect, outcome: 'failed', error: outcome.error, request }
    : { type: request.resultType, effect, outcome: 'done', output: outcome.output, request };
}

/** The record as its aggregate receives it: the result without the stored request. */
export function deliverable(record: TimerRecord): TimerRecord {
  const { request: _kept, ...result } = record.command as StoredEffectResult;
  return { ...record, command: result };
}

/**
 * The request of an effect record (the RunEffect itself, or the one a result keeps). Throws
 * CorruptData for a record under an effect's name that holds neither (written past the runtime,
 * straight through a store's append, or damaged): a listing says which record, never a TypeError.
 */
export function requestOf(record: TimerRecord): RunEffect {
  const request = readRequest(record);
  if (request === undefined) {
    throw new CorruptData(
      record.streamId,
      record.version,
      `effect record '${record.name}' holds neither an effect request nor an effect result (command type ${JSON.stringify(String(record.command?.type))})`,
    );
  }
  return request;
}

/** {@link requestOf}, or undefined for a record that holds neither a request nor a result. */
export function readRequest(record: TimerRecord): RunEffect | undefined {
  const command: unknown = record.command;
  if (isObject(command) && isRunEffect(command as Command)) return isRequest(command) ? command : undefined;
  if (!isObject(command)) return undefined;
  const result = command as Partial<StoredEffectResult>;
  const effect: unknown = result.effect;
  if (result.outcome !== 'done' && result.outcome !== 'failed') return undefined;
  if (!isObject(effect) || typeof (effect as { attempts?: unknown }).attempts !== 'number') return undefined;
  return isRequest(result.request) ? result.request : undefined;
}

function isRequest(v: unknown): v is RunEffect {
  if (!isObject(v)) return false;
  const r = v as Partial<RunEffect>;
  return (
    r.type === RUN_EFFECT &&
    typeof r.effect === 'string' &&
    typeof r.resultType === 'string' &&
    typeof r.attempts === 'number' &&
    typeof r.requestedAt === 'number'
  );
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/**
 * An error as an effect record keeps it: message, string code and class name, plain JSON. Never
 * throws, whatever an implementation threw (a string, null, an object whose getters throw): the
 * runner records every failure.
 */
export function effectError(error: unknown): EffectError {
  const code = storableText(readString(error, 'code'));
  const name = isError(error) ? storableText(readString(error, 'name')) : undefined;
  return {
    message: storableText(messageOf(error)),
    ...(code === undefined ? {} : { code }),
    ...(name === undefined || name.length === 0 ? {} : { name }),
  };
}

/**
 * An error's string as every store can keep it: U+0000 and lone surrogates (a message cut in
 * the middle of an emoji) become U+FFFD. PostgreSQL's jsonb refuses both, and a failure the
 * store refuses could never be recorded: the effect would be stuck, neither retried nor settled.
 */
export function storableText<T extends string | undefined>(s: T): T {
  if (s === undefined) return s;
  // `toWellFormed`: Node 20+, ES2024 (the ES2023 lib has no declaration).
  return (s as string & { toWellFormed(): string }).toWellFormed().replaceAll('\u0000', '\uFFFD') as T;
}

function messageOf(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = readString(error, 'message');
  if (message !== undefined) return message;
  if (isError(error)) return `${readString(error, 'name') ?? 'Error'} (its message could not be read)`;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    try {
      return String(error);
    } catch {
      return 'an unprintable value was thrown';
    }
  }
}

/** `instanceof Error`, false when asking throws (a Proxy whose getPrototypeOf trap throws, a revoked one). */
function isError(error: unknown): boolean {
  try {
    return error instanceof Error;
  } catch {
    return false;
  }
}

/** `o[key]` when `o` is an object whose `key` reads as a string (a getter that throws reads as nothing). */
function readString(o: unknown, key: string): string | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  try {
    const v: unknown = (o as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** An effect record as operators see it; `running` says whether an attempt runs in this runtime now. */
export function effectInfo(record: TimerRecord, running: boolean): EffectInfo {
  const request = requestOf(record);
  const command = record.command;
  let state: EffectInfo['state'];
  let attempts = request.attempts;
  let lastError = request.lastError;
  if (isRunEffect(command)) state = running ? 'running' : command.attempts === 0 ? 'pending' : 'retrying';
  else {
    const result = command as StoredEffectResult;
    state = result.outcome === 'done' ? 'delivering' : 'failed';
    attempts = result.effect.attempts;
    if (result.outcome === 'failed') lastError = result.error;
  }
  return {
    streamId: record.streamId,
    id: effectIdOf(record.name),
    name: request.effect,
    version: record.version,
    state,
    attempts,
    input: request.input,
    nextAt: record.dueAt,
    requestedAt: request.requestedAt,
    ...(lastError === undefined ? {} : { lastError }),
    resultType: request.resultType,
  };
}

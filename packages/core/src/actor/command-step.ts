import type { AnyAggregate, DomainErrors } from '../aggregate/aggregate.js';
import { type Codec, encodeEvent, UnstorableValue } from '../codec/codec.js';
import { encodeJsonEvent, jsonCodec } from '../codec/json-codec.js';
import { richCodec } from '../codec/rich-codec.js';
import { type EffectResult, isEffectTimerName } from '../effects/effect.js';
import { type EffectCatalog, NO_EFFECTS } from '../effects/effect-catalog.js';
import {
  DecideFailed,
  describe,
  InvalidArgument,
  isRejection,
  Rejection,
  VersionConflict,
} from '../errors.js';
import type { DomainEvent, EventMetadata } from '../store/store.js';
import type { TimerChange } from '../timers/timer.js';
import { RuntimeDecideContext } from './decide-context.js';
import type { DedupeWindow } from './dedupe.js';
import { eventList } from './event-list.js';
import { Refused } from './refused.js';
import type { CommandRequest } from './request.js';
import { decisionTimers } from './timer-step.js';

/**
 * The runtime's command step: the one place where a command's fate is decided, as pure
 * functions of the aggregate's state, version and dedupe window and the request. The actor
 * does the I/O around it (refresh before, append and reply after).
 */

/**
 * Append these events (encoded by the aggregate's codec); `state` is the aggregate's state after
 * them, folded from their decoded encodings (`decoded`, the same as `events` for plain JSON).
 */
export interface Append {
  readonly kind: 'append';
  readonly events: readonly DomainEvent[];
  readonly decoded: readonly DomainEvent[];
  readonly state: unknown;
  /**
   * The decision's timer changes, to write in the same append (a firing's cancel of its own
   * timer first); undefined when there are none.
   */
  readonly timers?: readonly TimerChange[] | undefined;
}

/** Nothing to do: the command decided no event. */
export interface Nothing {
  readonly kind: 'nothing';
}

/**
 * The commandId was accepted before; `at` is where its events start (`<= 0`: none, at version
 * `-at`, and then `fingerprint` is the original command's, if known).
 */
export interface Duplicate {
  readonly kind: 'duplicate';
  readonly at: number;
  readonly fingerprint: string | undefined;
}

/** What becomes of a command: append / nothing to do / duplicate / refused. */
export type StepOutcome = Append | Nothing | Duplicate | Refused;

const NOTHING: Nothing = Object.freeze({ kind: 'nothing' });

/**
 * Decides one execute or inject request at `version`: synchronously when decide returns an
 * array, as a promise when it returns one. Throws (or rejects) only when `evolve` throws: the
 * state can then no longer be trusted, which is the actor's crash, not the command's refusal.
 * Events are folded before anything is stored, so an event evolve cannot fold never reaches
 * the stream and a failed append leaves the state untouched (invariant 4).
 */
export function commandStep(
  def: AnyAggregate,
  id: string,
  streamId: string,
  state: unknown,
  version: number,
  dedupe: DedupeWindow | null,
  request: CommandRequest,
  metadata: EventMetadata,
  now: number,
  effects: EffectCatalog = NO_EFFECTS,
): StepOutcome | Promise<StepOutcome> {
  const { commandId, expectedVersion } = request.options;
  if (commandId !== undefined && dedupe !== null) {
    const seen = dedupe.remembered(commandId);
    if (seen !== undefined) return { kind: 'duplicate', at: seen.at, fingerprint: seen.fingerprint };
  }
  if (expectedVersion !== undefined && expectedVersion !== version) {
    return new Refused(new VersionConflict(streamId, expectedVersion, version), true);
  }
  if (request.kind === 'inject') return fold(def, streamId, state, request.events, true);
  const timer = request.timer;
  const fired =
    timer === undefined ? undefined : { name: timer.name, version: timer.version, dueAt: timer.dueAt };
  // A firing of an effect record is the effect's result (RunEffect records never reach an actor).
  const settled =
    timer !== undefined && isEffectTimerName(timer.name) ? (timer.command as EffectResult).effect : undefined;
  const ctx = new RuntimeDecideContext(def.type, id, version, now, metadata, fired, effects, settled);
  let decided: readonly DomainEvent[] | Promise<readonly DomainEvent[]>;
  let thenable: boolean;
  try {
    decided = def.decide(state, request.command, ctx);
    // Inside the try: reading `.then` of what decide returned may throw (a Proxy, a getter).
    thenable = isThenable(decided);
  } catch (error) {
    ctx.close();
    return ctx.recorder?.error === undefined
      ? refusal(def, streamId, error)
      : new Refused(ctx.recorder.error, false);
  }
  if (!thenable) return decidedEvents(def, streamId, state, decided as readonly DomainEvent[], ctx);
  // Both outcomes handled here: a rejected decide can never become an unhandled rejection.
  return Promise.resolve(decided).then(
    (events) => decidedEvents(def, streamId, state, events, ctx),
    (error: unknown) => {
      ctx.close();
      return ctx.recorder?.error === undefined
        ? refusal(def, streamId, error)
        : new Refused(ctx.recorder.error, false);
    },
  );
}

/** Checks what decide returned, then folds it with the decision's timer changes. */
function decidedEvents(
  def: AnyAggregate,
  streamId: string,
  state: unknown,
  events: unknown,
  ctx: RuntimeDecideContext,
): StepOutcome {
  ctx.close();
  let list: readonly DomainEvent[] | undefined;
  try {
    list = eventList(events);
  } catch {
    list = undefined; // looking at it threw (a getter on an item or on its `type`)
  }
  if (list === undefined) {
    const why = new InvalidArgument(
      'decide must return an array of objects with a string `type` (non-empty), or a promise of one (a plain array, not a Proxy)',
    );
    return new Refused(new DecideFailed(streamId, why), false);
  }
  const folded = fold(def, streamId, state, list);
  if (folded.kind === 'refused' || (ctx.recorder === undefined && ctx.firedTimer === undefined))
    return folded;
  return decisionTimers(folded, streamId, ctx);
}

/**
 * Encodes the events with the aggregate's codec (an event it cannot keep exactly refuses the
 * command, nothing stored), then folds what replay will see, `decode(encode(event))`, into the
 * state before anything is stored. Plain JSON passes through without a copy, except for injected
 * events (`copy`): those are the caller's objects, so evolve folds a copy read back from their
 * JSON, as replay does, and a caller changing them afterwards changes nothing of the state.
 */
function fold(
  def: AnyAggregate,
  streamId: string,
  state: unknown,
  events: readonly DomainEvent[],
  copy = false,
): Append | Nothing | Refused {
  if (events.length === 0) return NOTHING;
  const codec = def.codec;
  let encoded: DomainEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    let data: unknown;
    try {
      if (codec === jsonCodec) data = encodeJsonEvent(event, eventPath(i));
      else {
        data = encodeEvent(codec, event, eventPath(i));
        if (codec !== richCodec) assertExactJson(codec, data, eventPath(i));
      }
    } catch (error) {
      return new Refused(unstorable(streamId, event, error), false);
    }
    if (encoded === undefined && data !== event) encoded = events.slice(0, i);
    encoded?.push(data as DomainEvent);
  }
  const stored = encoded ?? events;
  const decoded = copy
    ? stored.map((e) => codec.decode(JSON.parse(JSON.stringify(e))) as DomainEvent)
    : codec === jsonCodec
      ? stored
      : stored.map((e) => codec.decode(e) as DomainEvent);
  let next = state;
  for (const e of decoded) next = def.evolve(next, e);
  // An async evolve: every later fold would get a promise for a state, live and on replay alike,
  // and no caller would notice until much later. A crash names it now, before anything is stored.
  if (next instanceof Promise) {
    next.catch(() => undefined); // its outcome is of no use: never an unhandled rejection
    throw new TypeError(
      `${streamId}: evolve returned a promise; evolve must return the next state synchronously`,
    );
  }
  return { kind: 'append', events: stored, decoded, state: next };
}

/**
 * A codec of the application's own must return data the stores keep exactly (the `Codec`
 * contract): evolve folds `decode(data)` live, replay folds `decode` of the stored JSON, and the
 * two differ when JSON would change the data (a Date left in it comes back a string). The
 * built-in codecs are exact by construction (and by their property tests), so only others are walked.
 */
function assertExactJson(codec: Codec, data: unknown, path: string): void {
  let exact: unknown;
  try {
    exact = jsonCodec.encode(data, path);
  } catch (error) {
    const what =
      error instanceof UnstorableValue
        ? `${error.found} at ${error.path}`
        : `data it could not read (${describe(error)})`;
    throw new InvalidArgument(
      `the '${codec.name}' codec returned ${what}, which the stores cannot keep exactly (its encode must return plain JSON data)`,
    );
  }
  if (exact !== data) {
    throw new InvalidArgument(
      `the '${codec.name}' codec returned data JSON would change (a -0, an undefined-valued key or a null-prototype object in ${path})`,
    );
  }
}

const EVENT_PATHS: Array<string | undefined> = new Array(64).fill(undefined);

/** `events[i]`, the path codecs name an event by: built once for the first indexes, not once per event. */
function eventPath(i: number): string {
  if (i >= EVENT_PATHS.length) return `events[${i}]`;
  let path = EVENT_PATHS[i];
  if (path === undefined) {
    path = `events[${i}]`;
    EVENT_PATHS[i] = path;
  }
  return path;
}

/** The codec's refusal (its UnstorableValue kept, `.path` and `.found` included), naming the stream and event type too. */
function unstorable(streamId: string, event: unknown, error: unknown): InvalidArgument {
  let type: unknown;
  try {
    type = (event as { type?: unknown } | null)?.type;
  } catch {
    type = undefined; // a getter or Proxy trap that throws: the event goes unnamed
  }
  const what = typeof type === 'string' ? `event '${type}'` : 'an event';
  const prefix = `${streamId}: ${what} cannot be stored: `;
  let ours: boolean;
  try {
    ours = error instanceof InvalidArgument;
  } catch {
    ours = false; // a codec threw a Proxy whose traps throw
  }
  if (ours) {
    (error as InvalidArgument).message = prefix + (error as InvalidArgument).message;
    return error as InvalidArgument;
  }
  return new InvalidArgument(prefix + describe(error));
}

/** What decide threw: a refusal (`reject()` or one of the aggregate's domain errors) or a bug. */
function refusal(def: AnyAggregate, streamId: string, error: unknown): Refused {
  try {
    if (isRejection(error)) return new Refused(error, true);
    if (isDomainError(def.domainErrors, error)) return new Refused(asRejection(error as Error), true);
  } catch {
    // Looking at it threw (a Proxy whose traps throw): no rejection, a bug in decide like any other.
  }
  return new Refused(new DecideFailed(streamId, error), false, error);
}

function isDomainError(domainErrors: DomainErrors | undefined, error: unknown): boolean {
  if (domainErrors === undefined || !(error instanceof Error)) return false;
  if (typeof domainErrors !== 'function') return domainErrors.some((c) => error instanceof c);
  try {
    return domainErrors(error) === true;
  } catch {
    return false; // a predicate that throws names nothing: the error stays a bug in decide
  }
}

/** A domain error as a Rejection: reason = its string `code`, else its `name`; the same message. */
function asRejection(error: Error): Rejection {
  const code = (error as { code?: unknown }).code;
  const rejection = new Rejection(typeof code === 'string' && code.length > 0 ? code : error.name);
  rejection.message = error.message;
  return rejection;
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

import type { Command } from '../aggregate/aggregate.js';
import { plainJsonProblem } from '../codec/plain-json.js';
import { EFFECT_TIMER_PREFIX, isEffectTimerName, RUN_EFFECT } from '../effects/effect.js';
import { InvalidArgument } from '../errors.js';
import type { EventMetadata } from '../store/store.js';
import { assertPortableJson, assertStorableKey } from '../store/store-input.js';
import { addIsoDuration, parseIsoDuration } from './iso-duration.js';
import type {
  DecideTimers,
  MissedTimerPolicy,
  ScheduleOptions,
  TimerChange,
  TimerRecord,
  TimerWhen,
} from './timer.js';

/** A timer change as decide asked for it, before the version of its events is known. */
export type TimerIntent =
  | {
      readonly op: 'schedule';
      readonly name: string;
      readonly dueAt: number;
      readonly command: Command;
      readonly missed: MissedTimerPolicy;
    }
  | { readonly op: 'cancel'; readonly name: string };

/**
 * `ctx.timers`: records what decide schedules and cancels, in order, without touching anything.
 * The command step turns the intents into the TimerChanges of the decision's append once it
 * knows the version of its last event. Each call validates its input at once (InvalidArgument,
 * thrown into decide); the first such error is also kept, so the command is refused with it even
 * when decide catches the throw.
 */
export class TimerRecorder implements DecideTimers {
  readonly #now: number;
  #intents: TimerIntent[] | undefined;
  #closed = false;
  /** The first invalid call, if any: the command is refused with it. */
  error: InvalidArgument | undefined;

  /** `now`: the decision's `ctx.now` in epoch ms, from which `{ after }` counts. */
  constructor(now: number) {
    this.#now = now;
  }

  /** What decide recorded, in call order (empty when nothing). */
  get intents(): readonly TimerIntent[] {
    return this.#intents ?? [];
  }

  schedule<C extends Command>(name: string, when: TimerWhen, command: C, opts?: ScheduleOptions): void {
    this.guard(() => {
      assertTimerName(name);
      const dueAt = resolveWhen(when, this.#now, name);
      const copy = plainCommand(command, name);
      if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
        throw new InvalidArgument(`timer '${name}': options must be an object`);
      }
      // A misspelt `missed` would otherwise fire a timer that asked to be dropped.
      for (const key of Object.keys(opts ?? {})) {
        if (key !== 'missed')
          throw new InvalidArgument(`timer '${name}': unknown option '${key}' (known: missed)`);
      }
      const missed = opts?.missed ?? 'fire';
      if (missed !== 'fire' && missed !== 'drop') {
        throw new InvalidArgument(
          `timer '${name}': missed must be 'fire' or 'drop', got ${JSON.stringify(missed)}`,
        );
      }
      this.#push({ op: 'schedule', name, dueAt, command: copy, missed });
    });
  }

  cancel(name: string): void {
    this.guard(() => {
      assertTimerName(name);
      this.#push({ op: 'cancel', name });
    });
  }

  /**
   * The decision is over (decide returned, or its promise settled): its intents were taken, so a
   * later call through a DecideContext decide kept would be lost silently; it throws instead.
   */
  close(): void {
    this.#closed = true;
  }

  #push(intent: TimerIntent): void {
    if (this.#closed) {
      throw new InvalidArgument(
        'ctx.timers / ctx.effects used after decide returned: a decision records its timers and ' +
          'effects only while decide runs (until its promise settles); do not keep the DecideContext',
      );
    }
    if (this.#intents === undefined) this.#intents = [];
    this.#intents.push(intent);
  }

  /**
   * Records an intent validated elsewhere (the effect recorder's requests and cancels), in call
   * order with the timers' own: one list, so the append applies them in the order decide asked.
   */
  record(intent: TimerIntent): void {
    this.#push(intent);
  }

  /** Runs one recording call: an InvalidArgument it throws is kept (the command is refused with it) and rethrown. */
  guard(record: () => void): void {
    try {
      record();
    } catch (error) {
      if (error instanceof InvalidArgument) this.error ??= error;
      throw error;
    }
  }
}

/**
 * The TimerChanges of a decision: its intents with the stream, the version of the decision's
 * last event (with the name, the timer's identity) and the metadata the firing will carry.
 */
export function timerChanges(
  intents: readonly TimerIntent[],
  streamId: string,
  version: number,
  metadata: EventMetadata | undefined,
): TimerChange[] {
  return intents.map((intent): TimerChange => {
    if (intent.op === 'cancel') return intent;
    const timer: TimerRecord = {
      streamId,
      name: intent.name,
      dueAt: intent.dueAt,
      command: intent.command,
      version,
      missed: intent.missed,
      ...(metadata === undefined ? {} : { metadata }),
    };
    return { op: 'schedule', timer };
  });
}

/**
 * The metadata a timer carries into its firing: the scheduling command's correlation and tenant,
 * its commandId as the firing's causation, and the caller's own keys (trace context); never the
 * runtime's own keys (commandId, fingerprint, codec), which belong to the scheduling events.
 */
export function firingMetadata(m: Readonly<EventMetadata>): EventMetadata | undefined {
  const out: EventMetadata = {};
  let any = false;
  for (const key of Object.keys(m)) {
    if (key === 'commandId' || key === 'fingerprint' || key === 'codec' || key === 'causationId') continue;
    out[key] = m[key];
    any = true;
  }
  const cause = m.commandId ?? m.causationId;
  if (cause !== undefined) {
    out.causationId = cause;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * Throws InvalidArgument unless `name` is a timer name every store can keep and not one of the
 * names reserved for effect records (they are requested with `ctx.effects`, listed with
 * `runtime.effects()`).
 */
export function assertTimerName(name: unknown): asserts name is string {
  assertStorableKey('timer name', name);
  if (isEffectTimerName(name)) {
    throw new InvalidArgument(
      `timer name '${name}': names starting with '${EFFECT_TIMER_PREFIX}' are reserved for durable effects; ` +
        'use ctx.effects to request one, runtime.effects() to see or act on one, or choose another timer name',
    );
  }
}

/** The due time of `when` (epoch ms, an integer), counting `{ after }` from `now`. */
export function resolveWhen(when: TimerWhen, now: number, name: string): number {
  if (typeof when !== 'object' || when === null || when instanceof Date || Array.isArray(when)) {
    throw new InvalidArgument(
      `timer '${name}': when must be { at: Date | epoch ms } or { after: ms | ISO-8601 duration }`,
    );
  }
  // Exactly one of them: { at, after } would silently ignore one, a misspelt key with it too.
  const keys = Object.keys(when);
  if (keys.length === 0) throw new InvalidArgument(`timer '${name}': when needs 'at' or 'after'`);
  if (keys.length !== 1 || (keys[0] !== 'at' && keys[0] !== 'after')) {
    throw new InvalidArgument(
      `timer '${name}': when takes exactly one of 'at' and 'after', got ${keys.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  if ('at' in when) {
    const at = when.at;
    const ms = at instanceof Date ? at.getTime() : at;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new InvalidArgument(`timer '${name}': at must be a valid Date or epoch milliseconds`);
    }
    return checkedDue(Math.ceil(ms), name);
  }
  if ('after' in when) {
    const after = when.after;
    if (typeof after === 'number') {
      if (!Number.isFinite(after) || after < 0) {
        throw new InvalidArgument(
          `timer '${name}': after must be a number of milliseconds >= 0, got ${String(after)}`,
        );
      }
      return checkedDue(Math.ceil(now + after), name);
    }
    if (typeof after === 'string') {
      let duration: ReturnType<typeof parseIsoDuration>;
      try {
        duration = parseIsoDuration(after);
      } catch (error) {
        throw new InvalidArgument(`timer '${name}': ${(error as Error).message}`);
      }
      return checkedDue(addIsoDuration(now, duration), name);
    }
    throw new InvalidArgument(
      `timer '${name}': after must be milliseconds or an ISO-8601 duration string, got ${typeof after}`,
    );
  }
  throw new InvalidArgument(`timer '${name}': when needs 'at' or 'after'`);
}

/** The latest (and, negated, earliest) epoch ms a Date can hold: ±100 000 000 days from 1970. */
export const MAX_DUE_MS = 8.64e15;

/**
 * A due time must be a moment a Date can hold: one beyond it is accepted by no `new Date`, so
 * every place that shows or logs the timer (a dropped missed timer's warning, the admin and CLI
 * listings) would throw on it.
 */
function checkedDue(ms: number, name: string): number {
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_DUE_MS)
    throw new InvalidArgument(
      `timer '${name}': the due time is out of range (${ms}); it must be a valid Date (within ±${MAX_DUE_MS} epoch ms)`,
    );
  return ms;
}

/**
 * A deep copy of the timer's command, checked to be plain JSON with a non-empty string `type`:
 * it is stored and read back much later, so it must survive JSON exactly, and decide must not be
 * able to change it after scheduling.
 */
function plainCommand(command: unknown, name: string): Command {
  const problem = plainJsonProblem(command, 'command', 0);
  if (problem !== undefined) throw new InvalidArgument(`timer '${name}': ${problem}`);
  const type = (command as { type?: unknown }).type;
  if (Array.isArray(command) || typeof type !== 'string' || type.length === 0) {
    throw new InvalidArgument(`timer '${name}': command must be an object with a non-empty string type`);
  }
  // The runtime hands a due record with this command type to the effect runner, not the aggregate:
  // a timer carrying it would run an effect nobody requested through ctx.effects.
  if (type === RUN_EFFECT) {
    throw new InvalidArgument(
      `timer '${name}': the command type '${RUN_EFFECT}' is the runtime's (durable effects); request an effect with ctx.effects`,
    );
  }
  return jsonCopy(command, `timer '${name}': command`) as Command;
}

/**
 * A JSON copy of a value plainJsonProblem accepted; InvalidArgument (kept by the recorder, so
 * the command is refused even if decide catches it) when it reads differently the second time
 * (a getter or Proxy now giving a BigInt, or throwing).
 */
export function jsonCopy(value: unknown, what: string): unknown {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgument(
      `${what} changed when read again (${error instanceof Error ? error.message : 'it threw'}), not JSON`,
    );
  }
  // Refused here, in decide, rather than by the store's append.
  assertPortableJson(json, what);
  return JSON.parse(json);
}

import { plainJsonProblem } from '../codec/plain-json.js';
import { InvalidArgument } from '../errors.js';
import { assertStorableId, assertStorableKey, show } from '../store/store-input.js';
import { jsonCopy, type TimerRecorder } from '../timers/timer-recorder.js';
import {
  type DecideEffects,
  EFFECT_SETTLED,
  type EffectRequestOptions,
  effectTimerName,
  RUN_EFFECT,
  type RunEffect,
} from './effect.js';
import { assertEffectAttempts, assertEffectTimeout, type EffectCatalog } from './effect-catalog.js';

const OPTION_KEYS = new Set(['id', 'resultType', 'timeoutMs', 'maxAttempts']);

/**
 * `ctx.effects`: turns decide's requests and cancels into timer intents of the decision, recorded
 * in the same list as `ctx.timers`' (so the append applies both in the order decide asked). A
 * request is a schedule of the effect record (`@effect:<id>`, due at the decision's `now`, its
 * command a `RunEffect` with no attempt made yet); a cancel is the cancel of that record. Each
 * call validates its input at once (InvalidArgument thrown into decide, and kept, so the command
 * is refused with it even when decide catches the throw), as the timer recorder does.
 */
export class EffectRecorder implements DecideEffects {
  readonly #timers: TimerRecorder;
  readonly #catalog: EffectCatalog | undefined;
  readonly #now: number;

  /**
   * `timers`: the decision's timer recorder, which keeps the intents and the first error.
   * `catalog`: the runtime's registered effects; undefined (decide run outside a runtime, as in
   * tests) accepts any name. `now`: the decision's `ctx.now` in epoch ms.
   */
  constructor(timers: TimerRecorder, catalog: EffectCatalog | undefined, now: number) {
    this.#timers = timers;
    this.#catalog = catalog;
    this.#now = now;
  }

  request(name: string, input: unknown, opts?: EffectRequestOptions): string {
    let id = '';
    this.#timers.guard(() => {
      const known = this.#catalog?.definitions;
      if (typeof name !== 'string' || name.length === 0)
        throw new InvalidArgument(`effect name must be a non-empty string, got ${show(name)}`);
      if (known !== undefined && !known.has(name)) {
        const names = [...known.keys()].map((n) => `'${n}'`).join(', ');
        throw new InvalidArgument(
          `effect ${JSON.stringify(name) ?? String(name)} is not registered with the runtime ` +
            (known.size === 0
              ? '(no effect is: register implementations in RuntimeOptions.effects)'
              : `(registered: ${names})`),
        );
      }
      if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts)))
        throw new InvalidArgument(`effect '${name}': options must be an object`);
      for (const key of Object.keys(opts ?? {})) {
        if (!OPTION_KEYS.has(key))
          throw new InvalidArgument(
            `effect '${name}': unknown option '${key}' (known: ${[...OPTION_KEYS].join(', ')})`,
          );
      }
      id = opts?.id ?? name;
      assertEffectId(id);
      const resultType = opts?.resultType ?? EFFECT_SETTLED;
      if (typeof resultType !== 'string' || resultType.length === 0 || resultType === RUN_EFFECT)
        throw new InvalidArgument(
          `effect '${name}': resultType must be a non-empty string (a command type of the aggregate), got ${String(resultType)}`,
        );
      const problem =
        input === undefined ? 'input is undefined, not JSON' : plainJsonProblem(input, 'input', 0);
      if (problem !== undefined) throw new InvalidArgument(`effect '${name}': ${problem}`);
      const command: RunEffect = {
        type: RUN_EFFECT,
        effect: name,
        // A copy: decide must not be able to change what is stored after requesting it.
        input: jsonCopy(input, `effect '${name}': input`),
        resultType,
        attempts: 0,
        requestedAt: this.#now,
        ...(opts?.timeoutMs === undefined ? {} : { timeoutMs: checkedTimeout(name, opts.timeoutMs) }),
        ...(opts?.maxAttempts === undefined ? {} : { maxAttempts: checkedAttempts(name, opts.maxAttempts) }),
      };
      this.#timers.record({
        op: 'schedule',
        name: effectTimerName(id),
        dueAt: this.#now,
        command,
        // An effect is never dropped for being overdue: it runs late rather than not at all.
        missed: 'fire',
      });
    });
    return id;
  }

  cancel(id: string): void {
    this.#timers.guard(() => {
      assertEffectId(id);
      this.#timers.record({ op: 'cancel', name: effectTimerName(id) });
    });
  }
}

/** Throws InvalidArgument unless `id` can name an effect (its record's timer name is storable). */
export function assertEffectId(id: unknown): asserts id is string {
  assertStorableId('effect id', id);
  assertStorableKey(`effect id '${id}' as its record's timer name`, effectTimerName(id));
}

function checkedTimeout(name: string, v: unknown): number {
  assertEffectTimeout(`effect '${name}': timeoutMs`, v);
  return v;
}

function checkedAttempts(name: string, v: unknown): number {
  assertEffectAttempts(`effect '${name}': maxAttempts`, v);
  return v;
}

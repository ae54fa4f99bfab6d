import type { Command } from '../aggregate/aggregate.js';

/**
 * Durable effects: the contract shared by decide, the runtime's effect runner, the stores, the
 * xstate adapter and the operators' tools.
 *
 * A decision requests an effect (a name registered with the runtime, plain-JSON input); the
 * request is written in the same store append as the decision's events, as a timer record with
 * a reserved name (`EFFECT_TIMER_PREFIX` + the effect's id) whose command is a `RunEffect`. The
 * timer service hands due `RunEffect` records to the effect runner instead of an actor; the
 * runner calls the implementation (bounded concurrency, a timeout per attempt, jittered
 * exponential back-off, at most `maxAttempts` attempts), then records the outcome with
 * `TimerStore.reschedule`: a failed attempt as the same `RunEffect` due later (attempts + 1,
 * last error), the final outcome as an `EffectResult` command due now. That record fires like
 * any timer: delivered to the aggregate through its mailbox, its commandId derived from the
 * record's identity (name + version), the record removed in the same append as the events the
 * result decides. So an effect runs at least once, and its result takes effect exactly once.
 */

/** Timer names starting with this are effect records; user timer names may not. */
export const EFFECT_TIMER_PREFIX = '@effect:';

/** The command type of an effect record waiting to run. It is never delivered to an aggregate. */
export const RUN_EFFECT = '@actorfold/run-effect';

/** An error as an effect record keeps it (plain JSON). */
export interface EffectError {
  readonly message: string;
  /** The error's `code`, when it had a string one (ActorfoldError codes, 'EFFECT_TIMEOUT', ...). */
  readonly code?: string;
  /** The error's class name. */
  readonly name?: string;
}

/** The command of an effect record waiting to run (first attempt, or a retry after a failure). */
export interface RunEffect extends Command {
  readonly type: typeof RUN_EFFECT;
  /** The registered implementation's name. */
  readonly effect: string;
  /** Plain JSON, as decide gave it. */
  readonly input: unknown;
  /** The command type the result is delivered as. */
  readonly resultType: string;
  /** Attempts made so far (0 before the first). */
  readonly attempts: number;
  /** Why the last attempt failed. */
  readonly lastError?: EffectError;
  /** When decide requested it (the decision's `ctx.now`, epoch ms). */
  readonly requestedAt: number;
  /** Per-request overrides of the runtime's settings. */
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

/** Which effect a result belongs to (`EffectResult.effect`, `ctx.settledEffect`). */
export interface EffectRef {
  /** Unique among the aggregate's pending effects (default: the effect's name). */
  readonly id: string;
  /** The registered implementation's name. */
  readonly name: string;
  /** The stream version of the decision that requested it: with `id`, the effect's identity. */
  readonly version: number;
  /** Attempts it took. */
  readonly attempts: number;
}

/**
 * What an aggregate receives when an effect it requested finished: a command of the type the
 * request named (`resultType`, default `EffectSettled`), with the output (plain JSON) or the
 * final error. Delivered once in effect: its commandId derives from the effect's identity.
 */
export type EffectResult<O = unknown> =
  | {
      readonly type: string;
      readonly effect: EffectRef;
      readonly outcome: 'done';
      readonly output: O;
    }
  | {
      readonly type: string;
      readonly effect: EffectRef;
      readonly outcome: 'failed';
      /**
       * `code` 'EFFECT_ABANDONED' when an operator abandoned it; 'EFFECT_TIMEOUT' after a timeout;
       * 'EFFECT_OUTPUT_NOT_JSON' or 'EFFECT_RESULT_NOT_STORABLE' for an output it could not keep.
       */
      readonly error: EffectError;
    };

/** The default `resultType`. */
export const EFFECT_SETTLED = 'EffectSettled';

/** Options of `DecideEffects.request`. */
export interface EffectRequestOptions {
  /**
   * Names this effect among the aggregate's pending ones. Default: the effect's name. Requesting
   * an id that is still pending replaces it (the old one is cancelled, aborted if running).
   */
  id?: string;
  /** The command type the result is delivered as. Default `EffectSettled`. */
  resultType?: string;
  /** Per attempt, overriding the implementation's and the runtime's default. */
  timeoutMs?: number;
  /** Attempts at most (the retry budget), overriding the implementation's and the runtime's default. */
  maxAttempts?: number;
}

/**
 * What decide uses to request and cancel effects (`ctx.effects`). Requests are recorded with the
 * decision and written atomically with its events; a decision that requests or cancels an
 * effect must also decide at least one event that records why.
 */
export interface DecideEffects {
  /** Requests the effect `name` (registered with the runtime) with plain-JSON `input`; returns its id. */
  request(name: string, input: unknown, opts?: EffectRequestOptions): string;
  /** Cancels the pending effect `id`: not started or retried again, aborted if running; nothing when there is none. */
  cancel(id: string): void;
}

/** What an implementation is given besides its input. */
export interface EffectContext {
  /** Stable across attempts and restarts: pass it to the outside system so it can deduplicate. */
  readonly idempotencyKey: string;
  /** Aborted on timeout, on cancellation by the aggregate, and at shutdown. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly streamId: string;
  readonly effect: Omit<EffectRef, 'attempts'>;
}

/** An effect's implementation: calls the outside world; its resolved value (plain JSON) is the output. */
export type EffectImplementation<I = unknown, O = unknown> = (input: I, ctx: EffectContext) => Promise<O> | O;

/** An implementation with its own settings. */
export interface EffectDefinition<I = unknown, O = unknown> {
  run: EffectImplementation<I, O>;
  /** Per attempt; default the runtime's `effects.timeoutMs`. */
  timeoutMs?: number;
  /** Default the runtime's `effects.maxAttempts`. */
  maxAttempts?: number;
  /**
   * Whether a failure is worth another attempt (only `true` says yes). Default: every error except
   * one with `retryable: false`. May be async: its answer is awaited, within the effect's
   * `timeoutMs`; one that throws, rejects or does not answer in time counts as retryable (the
   * default for an error that does not say), and is logged as a warning naming the effect.
   */
  retryable?(error: unknown): boolean | Promise<boolean>;
}

/** `RuntimeOptions.effects`. */
export interface EffectsOptions {
  /**
   * Implementations by name. An effect requested under another name fails the request
   * (INVALID_ARGUMENT). Each may declare its input type: the runtime passes it the input decide
   * requested, as stored (plain JSON), without checking it against that type.
   */
  implementations: Readonly<Record<string, EffectImplementation<never> | EffectDefinition<never>>>;
  /** Attempts running at once (p-queue). Default 16. */
  concurrency?: number;
  /** Per attempt. Default 30 000 ms. */
  timeoutMs?: number;
  /** Attempts per effect, the first included. Default 5. */
  maxAttempts?: number;
  /** Back-off between attempts: from `initialMs` (default 200) times `factor` (default 2) per attempt, up to `maxMs` (default 60 000), full jitter. */
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
}

/** Where an effect stands, as operators see it. */
export type EffectState =
  /** Waiting for its first attempt. */
  | 'pending'
  /** An attempt is running on this runtime. */
  | 'running'
  /** Failed at least once; waiting for the next attempt. */
  | 'retrying'
  /** Done; its result waits to be delivered. */
  | 'delivering'
  /** Failed for good (budget spent, not retryable, or abandoned); the failure waits to be delivered. */
  | 'failed';

/** An effect as `runtime.effects()` lists it. */
export interface EffectInfo {
  readonly streamId: string;
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly state: EffectState;
  readonly attempts: number;
  readonly input: unknown;
  /** When it runs next (or its result is delivered), epoch ms. */
  readonly nextAt: number;
  readonly requestedAt: number;
  readonly lastError?: EffectError;
  readonly resultType: string;
}

/** Filters for `RuntimeEffects.list`. */
export interface EffectQuery {
  streamId?: string;
  state?: EffectState;
  limit?: number;
}

/** An operator's view of the runtime's effects (`runtime.effects()`). */
export interface RuntimeEffects {
  /** Effects not yet settled (requested, running, retrying, or with a result waiting), earliest next first. */
  list(query?: EffectQuery): AsyncIterable<EffectInfo>;
  get(streamId: string, id: string): Promise<EffectInfo | undefined>;
  /** How many effects are not yet settled. */
  count(): Promise<number>;
  /**
   * Runs it again now with a fresh budget (a failed one is no longer delivered as failed); false
   * when there is none: never requested, cancelled, or its result already delivered (a delivery
   * in progress is waited for). A running attempt is aborted, its outcome dropped. Throws
   * RuntimeClosed once the runtime is shutting down.
   */
  retry(streamId: string, id: string): Promise<boolean>;
  /**
   * Stops retrying: its failure (code 'EFFECT_ABANDONED') is delivered now; false when there is
   * none or it has settled already (its result waits for delivery). Throws RuntimeClosed once
   * the runtime is shutting down.
   */
  abandon(streamId: string, id: string, reason?: string): Promise<boolean>;
}

/** The timer name of effect `id`. */
export function effectTimerName(id: string): string {
  return EFFECT_TIMER_PREFIX + id;
}

/** True for the timer names of effect records. */
export function isEffectTimerName(name: string): boolean {
  return name.startsWith(EFFECT_TIMER_PREFIX);
}

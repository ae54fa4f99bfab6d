import { isPositiveInt } from '../aggregate/aggregate.js';
import { MAX_TIMER_MS } from '../clock.js';
import { InvalidArgument } from '../errors.js';
import { assertStorableId } from '../store/store-input.js';
import type { EffectDefinition, EffectImplementation, EffectsOptions } from './effect.js';

/** The back-off between attempts of one effect, after defaults were applied. */
export interface EffectBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

/**
 * `RuntimeOptions.effects` after checking and defaults: the registered implementations by name
 * (each as a definition) and the runner's settings. Decide's recorder checks requested names
 * against it; the runner reads its settings.
 */
export interface EffectCatalog {
  readonly definitions: ReadonlyMap<string, EffectDefinition>;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoff: EffectBackoff;
}

/** Attempts per effect at most, whatever is asked: a budget beyond this is a mistake, not a policy. */
export const MAX_EFFECT_ATTEMPTS = 1_000_000;

/** The defaults of `EffectsOptions`. */
export const EFFECT_DEFAULTS = {
  concurrency: 16,
  timeoutMs: 30_000,
  maxAttempts: 5,
  backoff: { initialMs: 200, maxMs: 60_000, factor: 2 },
} as const;

/** A runtime without `effects`: nothing registered, default settings. */
export const NO_EFFECTS: EffectCatalog = {
  definitions: new Map(),
  concurrency: EFFECT_DEFAULTS.concurrency,
  timeoutMs: EFFECT_DEFAULTS.timeoutMs,
  maxAttempts: EFFECT_DEFAULTS.maxAttempts,
  backoff: EFFECT_DEFAULTS.backoff,
};

const OPTION_KEYS = new Set(['implementations', 'concurrency', 'timeoutMs', 'maxAttempts', 'backoff']);
const DEFINITION_KEYS = new Set(['run', 'timeoutMs', 'maxAttempts', 'retryable']);
const BACKOFF_KEYS = new Set(['initialMs', 'maxMs', 'factor']);

/**
 * Checks `RuntimeOptions.effects` strictly (unknown keys too: a misspelt `timeoutMS` would
 * otherwise be ignored silently) and fills in the defaults. Throws InvalidArgument naming the option.
 */
export function resolveEffects(o: unknown): EffectCatalog {
  if (!isPlainObject(o))
    throw new InvalidArgument(
      'effects must be an object { implementations, concurrency, timeoutMs, maxAttempts, backoff }',
    );
  unknownKeys('effects', o, OPTION_KEYS);
  const options = o as EffectsOptions;
  const impls: unknown = options.implementations;
  if (!isPlainObject(impls))
    throw new InvalidArgument('effects.implementations must be an object of implementations by name');
  const definitions = new Map<string, EffectDefinition>();
  for (const [name, impl] of Object.entries(impls)) {
    definitions.set(name, definitionOf(name, impl));
  }
  // `=== undefined`, not `??`: null is a wrong value, refused like any other, not a default.
  const concurrency = options.concurrency === undefined ? EFFECT_DEFAULTS.concurrency : options.concurrency;
  if (!isPositiveInt(concurrency))
    throw new InvalidArgument(`effects.concurrency must be a positive integer, got ${String(concurrency)}`);
  const timeoutMs = options.timeoutMs === undefined ? EFFECT_DEFAULTS.timeoutMs : options.timeoutMs;
  assertEffectTimeout('effects.timeoutMs', timeoutMs);
  const maxAttempts = options.maxAttempts === undefined ? EFFECT_DEFAULTS.maxAttempts : options.maxAttempts;
  assertEffectAttempts('effects.maxAttempts', maxAttempts);
  return { definitions, concurrency, timeoutMs, maxAttempts, backoff: resolveBackoff(options.backoff) };
}

/** Throws InvalidArgument unless `v` is a timeout an attempt can have: whole ms from 1 to the longest Node timer. */
export function assertEffectTimeout(what: string, v: unknown): asserts v is number {
  if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > MAX_TIMER_MS)
    throw new InvalidArgument(
      `${what} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(v)}`,
    );
}

/** Throws InvalidArgument unless `v` is an attempt budget: an integer from 1 to MAX_EFFECT_ATTEMPTS. */
export function assertEffectAttempts(what: string, v: unknown): asserts v is number {
  if (!isPositiveInt(v) || (v as number) > MAX_EFFECT_ATTEMPTS)
    throw new InvalidArgument(
      `${what} must be an integer from 1 (no retry) to ${MAX_EFFECT_ATTEMPTS}, got ${String(v)}`,
    );
}

function definitionOf(name: string, impl: unknown): EffectDefinition {
  const at = `effects.implementations['${name}']`;
  if (name.length === 0) throw new InvalidArgument('effects.implementations: a name must not be empty');
  // The name is stored in every request (and is the default effect id): every store must keep it.
  assertStorableId('effects.implementations: a name', name);
  if (typeof impl === 'function') return { run: impl as EffectImplementation };
  if (!isPlainObject(impl) || typeof (impl as { run?: unknown }).run !== 'function')
    throw new InvalidArgument(
      `${at} must be a function or an object { run, timeoutMs?, maxAttempts?, retryable? }`,
    );
  unknownKeys(at, impl, DEFINITION_KEYS);
  const def = impl as EffectDefinition;
  if (def.timeoutMs !== undefined) assertEffectTimeout(`${at}.timeoutMs`, def.timeoutMs);
  if (def.maxAttempts !== undefined) assertEffectAttempts(`${at}.maxAttempts`, def.maxAttempts);
  if (def.retryable !== undefined && typeof def.retryable !== 'function')
    throw new InvalidArgument(`${at}.retryable must be a function (error) => boolean | Promise<boolean>`);
  return def;
}

function resolveBackoff(o: unknown): EffectBackoff {
  if (o === undefined) return EFFECT_DEFAULTS.backoff;
  if (!isPlainObject(o))
    throw new InvalidArgument('effects.backoff must be an object { initialMs, maxMs, factor }');
  unknownKeys('effects.backoff', o, BACKOFF_KEYS);
  const b = o as { initialMs?: unknown; maxMs?: unknown; factor?: unknown };
  const initialMs = b.initialMs === undefined ? EFFECT_DEFAULTS.backoff.initialMs : b.initialMs;
  const maxMs =
    b.maxMs === undefined ? Math.max(initialMs as number, EFFECT_DEFAULTS.backoff.maxMs) : b.maxMs;
  const factor = b.factor === undefined ? EFFECT_DEFAULTS.backoff.factor : b.factor;
  for (const [key, v] of [
    ['initialMs', initialMs],
    ['maxMs', maxMs],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TIMER_MS)
      throw new InvalidArgument(
        `effects.backoff.${key} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(v)}`,
      );
  }
  if ((maxMs as number) < (initialMs as number))
    throw new InvalidArgument('effects.backoff.maxMs must be >= effects.backoff.initialMs');
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 100)
    throw new InvalidArgument(`effects.backoff.factor must be a number from 1 to 100, got ${String(factor)}`);
  return { initialMs: initialMs as number, maxMs: maxMs as number, factor };
}

/**
 * The delay before the attempt after failed attempt number `attempt` (1-based): full jitter,
 * uniformly between 0 and `initialMs · factor^(attempt-1)` capped at `maxMs`, so that effects
 * that failed together (a remote went down) do not come back in step.
 */
export function effectBackoffDelay(backoff: EffectBackoff, attempt: number, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.min(attempt - 1, 64));
  return Math.round(random() * ceiling);
}

function unknownKeys(what: string, o: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(o)) {
    if (!known.has(key))
      throw new InvalidArgument(`${what} has an unknown option '${key}' (known: ${[...known].join(', ')})`);
  }
}

function isPlainObject(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

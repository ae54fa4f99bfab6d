/**
 * The purity check of a scenario: decide runs twice on the same state and command, and evolve
 * folds each event twice (the second time a copy, as replay gives it), the second run of each
 * with the clock moved on. Replay folds the stored events again, so an aggregate whose decide or
 * evolve reads anything else (the clock, random numbers, a counter outside it) would be rebuilt
 * differently from what the caller was shown; the scenario fails, whatever it expected.
 */
import type { AggregateDefinition, Command, DomainEvent } from '@actorfold/core';

/**
 * Where a definition offers a variant of itself that checks its own purity more closely, with
 * messages in its own terms (@actorfold/xstate: the state and the action of a machine).
 */
const WITH_PURITY_CHECK = Symbol.for('actorfold.withPurityCheck');

/** The definition's own purity-checked variant when it has one, else the definition. */
export function purityChecked<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
): AggregateDefinition<S, C, E> {
  const variant = (definition as { [WITH_PURITY_CHECK]?: unknown })[WITH_PURITY_CHECK];
  return typeof variant === 'function'
    ? (variant.call(definition) as AggregateDefinition<S, C, E>)
    : definition;
}

/** How far the clock moves for the second run: an hour and a millisecond, so no rounding hides it. */
const CLOCK_SHIFT_MS = 3_600_001;

/**
 * Runs `fn` (synchronous) with `Date` moved on: `Date.now()`, `new Date()` and `Date()` read a
 * later time, so code reading the clock cannot look pure by running twice within a millisecond.
 * The real `Date` is back before this returns or throws.
 */
export function withClockMovedOn<T>(fn: () => T): T {
  const RealDate = Date;
  const later = () => RealDate.now() + CLOCK_SHIFT_MS;
  function MovedDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(later()).toString();
    return args.length === 0
      ? new RealDate(later())
      : new RealDate(...(args as ConstructorParameters<DateConstructor>));
  }
  Object.assign(MovedDate, { now: later, parse: RealDate.parse, UTC: RealDate.UTC });
  MovedDate.prototype = RealDate.prototype;
  globalThis.Date = MovedDate as unknown as DateConstructor;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

/** A copy of an event as replay would hand it over: not the object decide returned. */
export function replayCopy<E>(event: E): E {
  try {
    return structuredClone(event);
  } catch {
    // Functions and the like cannot be cloned (and cannot be stored either: the codec says so).
    return event;
  }
}

/**
 * The first path where two values differ, with both values (`events[0].id: "a" vs "b"`), or
 * undefined when they are equal as {@link deepEqual} sees it (undefined properties are absent).
 */
export function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (Object.is(a, b)) return undefined;
  const differ = () => `${path}: ${brief(a)} vs ${brief(b)}`;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return differ();
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return differ();
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) ? undefined : differ();
  if (a instanceof Map || a instanceof Set)
    return firstDifference([...a], [...(b as Map<unknown, unknown> | Set<unknown>)], path);
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return `${path}.length: ${a.length} vs ${other.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], other[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const d = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (d !== undefined) return d;
  }
  return undefined;
}

function brief(value: unknown): string {
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return String(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return String(value);
  }
}

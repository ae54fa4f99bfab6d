/**
 * The impurity check of a statechart aggregate: take a transition twice from the same snapshot
 * and compare. xstate's `transition` is pure when the machine's guards and assigners are, so any
 * difference means one of them read something replay will not see again (the clock, random
 * numbers, a counter outside the machine), and the context replay builds would differ from the
 * one the caller was shown.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/** How far the clock moves for the second run: an hour and a millisecond, so that no rounding hides it. */
const CLOCK_SHIFT_MS = 3_600_001;

/**
 * Runs `fn` (synchronous) with `Date` moved on by {@link CLOCK_SHIFT_MS}: `Date.now()`, `new Date()`
 * and `Date()` read the later time. Two runs inside one millisecond would otherwise read the
 * same clock, and an assigner reading it would look pure. Nothing else runs meanwhile (the code
 * is synchronous), and the real `Date` is back before this returns or throws.
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

/** What one run of a transition produced, as far as replay must reproduce it. */
export interface TransitionResult {
  readonly snapshot: AnyMachineSnapshot;
  readonly emitted: readonly EventObject[];
  /** The timers it scheduled and cancelled: a delay computed from the clock differs between runs. */
  readonly timers?: readonly unknown[];
  /** The effects it requested and cancelled: an input computed from the clock differs between runs. */
  readonly effects?: readonly unknown[];
}

/** Where two runs of the same transition differ (`context.todos[0].id: "a" vs "b"`), or undefined. */
export function transitionDifference(a: TransitionResult, b: TransitionResult): string | undefined {
  const value = firstDifference(a.snapshot.value, b.snapshot.value, 'state');
  if (value !== undefined) return `it reached a different state, ${value}`;
  return (
    firstDifference(a.snapshot.status, b.snapshot.status, 'status') ??
    firstDifference(a.snapshot.context, b.snapshot.context, 'context') ??
    firstDifference(a.emitted, b.emitted, 'emitted') ??
    firstDifference(a.snapshot.output, b.snapshot.output, 'output') ??
    firstDifference(a.timers ?? [], b.timers ?? [], 'timers') ??
    firstDifference(a.effects ?? [], b.effects ?? [], 'effects')
  );
}

/** The first path where two values differ, with both values; undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (Object.is(a, b)) return undefined;
  const differ = () => `${path}: ${show(a)} vs ${show(b)}`;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return differ();
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return differ();
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) ? undefined : differ();
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return `${path}.length: ${a.length} vs ${other.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], other[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (a instanceof Map || a instanceof Set) {
    return firstDifference([...a], [...(b as Map<unknown, unknown> | Set<unknown>)], path);
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

/**
 * The actions that ran when `event` was taken from `from`, named as a reader finds them in the
 * machine: `action 'addTodo'` for a named action, `an inline assign` for an inline one, each
 * with the event and the state node that holds it. Entry actions of the states entered included.
 */
export function actionsTaken(
  machine: AnyStateMachine,
  from: AnyMachineSnapshot,
  event: EventObject,
): string[] {
  const names: string[] = [];
  let transitions: ReturnType<AnyStateMachine['getTransitionData']>;
  try {
    transitions = machine.getTransitionData(from, event);
  } catch {
    return names;
  }
  for (const t of transitions) {
    for (const action of t.actions) names.push(`${nameOf(action)} on '${event.type}' in '${t.source.id}'`);
    for (const target of t.target ?? []) {
      for (const action of target.entry) names.push(`${nameOf(action)} on entry to '${target.id}'`);
    }
  }
  return names;
}

function nameOf(action: unknown): string {
  if (typeof action === 'string') return `action '${action}'`;
  const type = (action as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !type.startsWith('xstate.')) return `action '${type}'`;
  const kind = typeof type === 'string' ? type.slice('xstate.'.length) : 'action';
  return `an inline ${kind}`;
}

function show(value: unknown): string {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Date(invalid)' : `Date(${value.toISOString()})`;
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return String(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return String(value);
  }
}

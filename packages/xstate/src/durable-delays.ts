/**
 * The delays of a machine's `after` transitions, made durable-timer ready. xstate takes a delay
 * in milliseconds: a number key (`after: { 5000: … }`), or a named delay from
 * `setup({ delays })`, a number or a function of context and event. A delay that does not
 * resolve to a number makes xstate take the transition at once, silently; so this module
 *
 * - gives keys written as ISO-8601 durations (`after: { PT15M: … }`) their length as named delays,
 * - wraps named delays so that a function may also return an ISO-8601 duration, and
 * - refuses, when the transition is taken, a delay that is neither (a negative, NaN or missing one).
 */
import { InvalidArgument } from '@actorfold/core';
import type { AnyStateMachine, StateNode } from 'xstate';
import { isIsoDuration, isoDurationMs } from './iso-duration.js';

type DelayImpl = number | ((args: unknown, params: unknown) => unknown);

/** The machine with its delays in milliseconds (itself when it has no delays to convert). */
export function withDurableDelays(machine: AnyStateMachine): AnyStateMachine {
  const named: Record<string, unknown> = machine.implementations.delays ?? {};
  const delays: Record<string, DelayImpl> = {};
  for (const [name, impl] of Object.entries(named)) {
    delays[name] =
      typeof impl === 'function'
        ? (args: unknown, params: unknown) =>
            delayMs(name, (impl as (a: unknown, p: unknown) => unknown)(args, params))
        : delayMs(name, impl);
  }
  for (const key of afterKeys(machine.root)) {
    // An unusable key (P1M, say) is left alone: findUnsupportedFeatures reports it.
    if (typeof key === 'string' && !(key in delays) && delayProblem(key, delays) === undefined)
      delays[key] = isoDurationMs(key);
  }
  if (Object.keys(delays).length === 0) return machine;
  // The delays' types are the machine's own; provide() cannot know the converted ones match.
  return machine.provide({ delays } as Parameters<AnyStateMachine['provide']>[0]);
}

/** A delay in milliseconds, from a number or an ISO-8601 duration. */
export function delayMs(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string' && isIsoDuration(value)) return isoDurationMs(value);
  throw new InvalidArgument(
    `delay '${name}' gave ${JSON.stringify(value) ?? String(value)}: a delay is a number of milliseconds (0 or more) or an ISO-8601 duration such as 'PT15M'`,
  );
}

/**
 * What is wrong with a state's delay as written, or undefined: a string key must name a delay
 * of `setup({ delays })` or be an ISO-8601 duration of fixed length.
 */
export function delayProblem(delay: unknown, named: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof delay === 'number') return Number.isFinite(delay) && delay >= 0 ? undefined : `${delay} ms`;
  if (typeof delay !== 'string') return undefined;
  if (delay in named) return undefined;
  if (!isIsoDuration(delay)) {
    return `'${delay}' is neither a delay named in setup({ delays }) nor an ISO-8601 duration such as 'PT15M'`;
  }
  try {
    isoDurationMs(delay);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function afterKeys(node: StateNode): unknown[] {
  const keys: unknown[] = node.after.map((t) => t.delay);
  for (const child of Object.values(node.states)) keys.push(...afterKeys(child));
  return keys;
}

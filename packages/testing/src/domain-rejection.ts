/**
 * An aggregate's `domainErrors` option names the errors its decide throws to refuse a command
 * (classes, or a predicate). Scenarios turn such an error into the Rejection the runtime gives
 * callers: reason = the error's string `code` when it has one, else its `name`; its message kept.
 */
import { type AggregateDefinition, type Command, type DomainEvent, Rejection } from '@actorfold/core';

type ErrorClass = abstract new (...args: never[]) => Error;

/** The Rejection a thrown domain error stands for, or undefined when the aggregate does not name it. */
export function domainRejection<S, C extends Command, E extends DomainEvent>(
  definition: AggregateDefinition<S, C, E>,
  error: unknown,
): Rejection | undefined {
  // Read loosely: the option is optional, and older definitions do not have it at all.
  const named = (definition as { domainErrors?: unknown }).domainErrors;
  if (named === undefined || !isDomainError(named, error)) return undefined;
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  const reason = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  return new Rejection(reason, typeof e.message === 'string' ? e.message : undefined);
}

function isDomainError(named: unknown, error: unknown): boolean {
  if (Array.isArray(named))
    return named.some((c) => typeof c === 'function' && error instanceof (c as ErrorClass));
  // A predicate: any function that is not itself an error class.
  return typeof named === 'function' && (named as (error: unknown) => unknown)(error) === true;
}

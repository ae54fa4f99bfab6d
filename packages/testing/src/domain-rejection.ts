/**
 * An aggregate's `domainErrors` option names the errors its decide throws to refuse a command
 * (classes, or a predicate). Scenarios turn such an error into the Rejection the runtime gives
 * callers: reason = the error's non-empty string `code`, else its `name`; its message as it is.
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
  if (!(error instanceof Error) || !isDomainError(named, error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const rejection = new Rejection(typeof code === 'string' && code.length > 0 ? code : error.name);
  rejection.message = error.message;
  return rejection;
}

function isDomainError(named: unknown, error: Error): boolean {
  if (Array.isArray(named))
    return named.some((c) => typeof c === 'function' && error instanceof (c as ErrorClass));
  if (typeof named !== 'function') return false;
  try {
    return (named as (error: unknown) => unknown)(error) === true;
  } catch {
    return false; // a predicate that throws names nothing: the error stays a bug in decide
  }
}

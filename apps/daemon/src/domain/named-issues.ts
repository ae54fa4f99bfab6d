/**
 * Command validation messages that name the field: `amount: expected a whole number, got "5"`.
 * The runtime's InvalidCommand message joins the issues' messages; a Standard Schema issue
 * carries its field in `path`, which the message alone would lose.
 */
import type { StandardSchemaV1 } from '@actorfold/core';

type Result<T> = StandardSchemaV1.Result<T>;

/** Wraps a Standard Schema validator so that each issue's message starts with its path. */
export function namedIssues<C>(schema: StandardSchemaV1<unknown, C>): StandardSchemaV1<unknown, C> {
  const inner = schema['~standard'];
  return {
    '~standard': {
      version: 1,
      vendor: inner.vendor,
      validate(value: unknown): Result<C> | Promise<Result<C>> {
        const result = inner.validate(value);
        return result instanceof Promise ? result.then(named) : named(result);
      },
    },
  };
}

function named<C>(result: Result<C>): Result<C> {
  if (result.issues === undefined) return result;
  return {
    issues: result.issues.map((issue) => {
      const path = issuePath(issue);
      return path === '' ? issue : { ...issue, message: `${path}: ${issue.message}` };
    }),
  };
}

/** The field an issue is about, dotted (`'amount'`, `'items.0.sku'`); `''` for the command itself. */
export function issuePath(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.');
}

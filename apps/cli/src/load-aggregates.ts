/**
 * Loads the aggregate definitions a user module exports (directly, or in an exported array such
 * as `aggregates`), for `actorfold state --module`. The module is the user's own code: it runs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnyAggregate, isAggregateDefinition } from '@actorfold/core';
import { CliError, EXIT } from './cli-error.js';

/** Every aggregate definition exported by the module at `file`, by type. */
export async function loadAggregates(file: string): Promise<Map<string, AnyAggregate>> {
  const path = resolve(file);
  if (!existsSync(path))
    throw new CliError(
      EXIT.NOT_FOUND,
      `no module at ${path}`,
      'give a built .js file that exports your aggregates',
    );
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(
      EXIT.FAILED,
      `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  const found = new Map<string, AnyAggregate>();
  for (const value of Object.values(mod)) {
    for (const candidate of Array.isArray(value) ? value : [value]) {
      if (isAggregateDefinition(candidate)) found.set(candidate.type, candidate);
    }
  }
  if (found.size === 0) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `${path} exports no aggregate definitions`,
      'export what defineAggregate() or fromMachine() returned',
    );
  }
  return found;
}

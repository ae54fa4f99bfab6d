/**
 * Loads the aggregate definitions a user module exports (directly, or in an exported array such
 * as `aggregates`), for `actorfold state --module`. The module is the user's own code: it runs.
 * A TypeScript module is loaded through tsx when tsx can be found (from the module's folder, or
 * next to the CLI); otherwise the error says how to load it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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
    mod = await importModule(path);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const unknownExtension = (e as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION';
    throw new CliError(
      EXIT.FAILED,
      `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}`,
      unknownExtension ? TS_HINT : undefined,
      { cause: e },
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

const TS_HINT = `give a built .js module (for example dist/domain/index.js after tsc), or run the CLI
under a TypeScript loader: node --import tsx node_modules/.bin/actorfold state …,
or install tsx in your project (npm install -D tsx) and the CLI loads .ts modules through it`;

/** TypeScript sources, which Node 20 cannot import by itself. */
const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

async function importModule(path: string): Promise<Record<string, unknown>> {
  if (!TYPESCRIPT.test(path)) return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const api = await tsxApi(path);
  if (api === undefined) {
    // Perhaps the CLI already runs under a loader (node --import tsx): then a plain import works.
    try {
      return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
      throw new CliError(
        EXIT.FAILED,
        `cannot load ${path}: Node cannot import TypeScript by itself`,
        TS_HINT,
        {
          cause: e,
        },
      );
    }
  }
  return (await api.tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
}

interface TsxApi {
  tsImport(specifier: string, parent: string): Promise<unknown>;
}

/** tsx's import API, found from the user's module first (their project), then from the CLI. */
async function tsxApi(modulePath: string): Promise<TsxApi | undefined> {
  for (const from of [pathToFileURL(`${dirname(modulePath)}/`).href, import.meta.url]) {
    let manifest: string;
    try {
      manifest = createRequire(from).resolve('tsx/package.json');
    } catch {
      continue;
    }
    // The ESM entry of `tsx/esm/api` from its exports map (require.resolve would give the CJS one).
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports?: Record<string, { import?: string | { default?: string } }>;
    };
    const entry = pkg.exports?.['./esm/api']?.import;
    const file = typeof entry === 'string' ? entry : entry?.default;
    if (file === undefined) continue;
    const api = (await import(pathToFileURL(join(dirname(manifest), file)).href)) as Partial<TsxApi>;
    if (typeof api.tsImport === 'function') return api as TsxApi;
  }
  return undefined;
}

/**
 * `actorfold-postgres`: the store's own small command line. One command for now:
 *
 *   actorfold-postgres migrate --url postgres://user@host/db [--schema actorfold] [--json]
 *
 * The URL may also come from DATABASE_URL. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { migrate } from './migrations.js';
import { DEFAULT_SCHEMA } from './schema.js';

const USAGE = `usage: actorfold-postgres migrate --url <postgres://...> [--schema ${DEFAULT_SCHEMA}] [--json]

Creates or upgrades the tables of an actorfold PostgreSQL store (idempotent).
--url defaults to $DATABASE_URL.`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const url = values.url ?? process.env.DATABASE_URL;
  if (positionals.length !== 1 || positionals[0] !== 'migrate' || url === undefined || url === '') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const schema = values.schema ?? DEFAULT_SCHEMA;
  try {
    const result = await migrate({ connectionString: url, schema });
    if (values.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.applied.length === 0)
      process.stdout.write(`schema ${schema} is up to date (version ${result.to})\n`);
    else {
      for (const m of result.applied) process.stdout.write(`applied ${m.version}: ${m.description}\n`);
      process.stdout.write(`schema ${schema} is now at version ${result.to} (was ${result.from})\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`actorfold-postgres: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      schema: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));

/**
 * Per-file databases and per-store schemas on the tests' PostgreSQL server. `skipReason` is set
 * when there is no server: suites then skip (pg-server.ts printed why).
 */
import pg from 'pg';
import { inject } from 'vitest';

const postgres = inject('postgres');

/** Why the PostgreSQL tests skip here, or undefined when a server is there. */
export const skipReason: string | undefined = postgres.skip;

/** The URL of a new, empty database named after `name` (unique per call). */
export async function freshDatabase(name: string): Promise<string> {
  if (postgres.url === undefined) throw new Error(`no PostgreSQL server: ${postgres.skip}`);
  const database = `${name}_${process.pid}_${Date.now().toString(36)}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgres.url);
  url.pathname = `/${database}`;
  return url.toString();
}

let schemas = 0;

/** A schema name not used before in this process. */
export function freshSchema(prefix = 's'): string {
  schemas++;
  return `${prefix}${schemas}`;
}

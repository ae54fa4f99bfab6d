/**
 * The store's schema, created and upgraded only by an explicit, idempotent `migrate()` (or the
 * `actorfold-postgres migrate` command), never as a side effect of opening a store. Applied
 * migrations are recorded in `<schema>.schema_migrations`; concurrent migrators (several
 * daemons starting at once) are serialised by an advisory transaction lock.
 */
import { InvalidArgument, StoreError } from '@actorfold/core';
import pg, { type Pool, type PoolClient } from 'pg';
import { appendFunctionDdl, appendProceduresDdl, logHeadDdl } from './global-order.js';
import { appendFunctionV1Ddl } from './legacy-append-function.js';
import { DEFAULT_SCHEMA, type Queryable, type SqlNames, sqlNames } from './schema.js';
import { describe, errorCode, UNDEFINED_TABLE } from './store-errors.js';
import { timersDdl, timersJsonTextDdl } from './timer-store.js';

interface Migration {
  readonly version: number;
  readonly description: string;
  sql(n: SqlNames): string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, log head and append function, snapshots, checkpoints',
    sql: (n) => `
CREATE TABLE ${n.events} (
  position bigint PRIMARY KEY,
  stream_id text NOT NULL,
  version bigint NOT NULL,
  type text NOT NULL,
  data text NOT NULL,
  metadata text NOT NULL,
  schema_version integer NOT NULL,
  event_timestamp text NOT NULL,
  CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);
${logHeadDdl(n)}
${appendFunctionV1Ddl(n)}
CREATE TABLE ${n.snapshots} (
  stream_id text NOT NULL,
  version bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (stream_id, version)
);
CREATE TABLE ${n.checkpoints} (
  name text PRIMARY KEY,
  position bigint NOT NULL,
  state text
);`,
  },
  {
    version: 2,
    description: 'durable timers: the timers table and its due-time index',
    sql: timersDdl,
  },
  {
    version: 3,
    description: 'append_events_v3, append_durably, append_settle: no global lock held through the WAL flush',
    sql: (n) => `${appendFunctionDdl(n)}\n${appendProceduresDdl(n)}`,
  },
  {
    version: 4,
    description: 'timers keep their command and metadata as the JSON text written (jsonb reorders keys)',
    sql: timersJsonTextDdl,
  },
];

/** The schema version this package reads and writes. */
export const SCHEMA_VERSION = (MIGRATIONS.at(-1) as Migration).version;

/** Where to migrate: a connection string or a pool, and the schema (default `actorfold`). */
export interface MigrateOptions {
  connectionString?: string;
  pool?: Pool;
  schema?: string;
}

/** What `migrate` did. */
export interface MigrationResult {
  schema: string;
  /** The schema version before (0: nothing there yet). */
  from: number;
  /** The schema version now (always SCHEMA_VERSION). */
  to: number;
  /** The migrations applied by this call, oldest first (empty when already up to date). */
  applied: Array<{ version: number; description: string }>;
}

/**
 * Creates or upgrades the store's tables in `schema`, in one transaction. Idempotent: running it
 * again (also from several processes at once) applies nothing more. Fails with StoreError when
 * the database holds a newer schema version than this package knows.
 * @example
 * await migrate({ connectionString: process.env.DATABASE_URL, schema: 'actorfold' });
 */
export async function migrate(opts: MigrateOptions): Promise<MigrationResult> {
  return migrateTo(opts, SCHEMA_VERSION);
}

/**
 * `migrate`, stopping at schema version `target`. Not exported by the package: tests use it to
 * build a database as an older package left it, then upgrade it.
 */
export async function migrateTo(opts: MigrateOptions, target: number): Promise<MigrationResult> {
  const n = sqlNames(opts.schema ?? DEFAULT_SCHEMA);
  const { client, done } = await connectOnce(opts, n.schema);
  let failed: unknown;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `actorfold:migrate:${n.schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${n.schema}`);
    await client.query(`
CREATE TABLE IF NOT EXISTS ${n.migrations} (
  version integer PRIMARY KEY,
  description text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`);
    const from = await appliedVersion(client, n);
    if (from > SCHEMA_VERSION) throw newerSchema(n.schema, from);
    const applied: MigrationResult['applied'] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from || m.version > target) continue;
      await client.query(m.sql(n));
      await client.query(`INSERT INTO ${n.migrations} (version, description) VALUES ($1, $2)`, [
        m.version,
        m.description,
      ]);
      applied.push({ version: m.version, description: m.description });
    }
    await client.query('COMMIT');
    return { schema: n.schema, from, to: Math.max(from, target), applied };
  } catch (e) {
    failed = e;
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof StoreError) throw e;
    throw new StoreError('IO', `migrating schema ${n.schema} failed: ${describe(e)}`, { cause: e });
  } finally {
    await done(failed);
  }
}

/**
 * Throws StoreError unless the schema holds exactly the version this package uses, with a
 * message that says what to run.
 */
export async function assertMigrated(db: Pool, n: SqlNames): Promise<void> {
  let version: number;
  try {
    version = await appliedVersion(db, n);
  } catch (e) {
    if (errorCode(e) !== UNDEFINED_TABLE) throw e;
    version = 0;
  }
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) throw newerSchema(n.schema, version);
  throw new StoreError(
    'IO',
    `schema ${n.schema} is at version ${version}, this @actorfold/postgres needs ${SCHEMA_VERSION}: ` +
      `run migrate({ schema: '${n.schema}', ... }) or \`actorfold-postgres migrate --url <url> --schema ${n.schema}\` first ` +
      '(or open the store with `migrate: true`)',
  );
}

async function appliedVersion(db: Queryable, n: SqlNames): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${n.migrations}`,
  );
  return rows[0]?.version ?? 0;
}

function newerSchema(schema: string, version: number): StoreError {
  return new StoreError(
    'IO',
    `schema ${schema} is at version ${version}, newer than this @actorfold/postgres knows (${SCHEMA_VERSION}): upgrade the package`,
  );
}

/** A client from the given pool, or a one-off connection from the connection string. */
async function connectOnce(
  opts: MigrateOptions,
  schema: string,
): Promise<{ client: PoolClient | pg.Client; done: (failed: unknown) => Promise<void> }> {
  try {
    if (opts.pool !== undefined) {
      const client = await opts.pool.connect();
      return {
        client,
        done: async (failed) => client.release(failed instanceof Error ? failed : undefined),
      };
    }
    if (typeof opts.connectionString !== 'string')
      throw new InvalidArgument('migrate needs a connectionString or a pool');
    const client = new pg.Client({ connectionString: opts.connectionString });
    client.on('error', () => undefined); // a dropped connection fails the running query instead
    await client.connect();
    return { client, done: () => client.end() };
  } catch (e) {
    if (e instanceof StoreError || e instanceof InvalidArgument) throw e;
    throw new StoreError('IO', `cannot connect to PostgreSQL to migrate schema ${schema}: ${describe(e)}`, {
      cause: e,
    });
  }
}

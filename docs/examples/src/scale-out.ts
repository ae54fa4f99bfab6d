/**
 * docs/scale-out.md: a runtime on PostgreSQL. Typechecked only: it needs a PostgreSQL server
 * (DATABASE_URL), which the examples test does not start; packages/postgres/test runs the store
 * against throwaway servers.
 */

// #region configuration
import { createRuntime } from '@actorfold/core';
import { account } from '@actorfold/example-daemon/domain';
import { migrate, postgresStore } from '@actorfold/postgres';

const connectionString = process.env.DATABASE_URL ?? 'postgres://localhost/app';

// Once per deploy (idempotent; safe when several daemons start at once).
await migrate({ connectionString, schema: 'billing' });

const runtime = await createRuntime({
  store: postgresStore({
    connectionString, // or `pool: new pg.Pool(...)`, which you then own
    schema: 'billing', // default 'actorfold'; one schema per store
    nodeId: 'billing-1', // default `<hostname>:<pid>`; shows in pg_stat_activity and NOT_OWNER errors
  }),
  aggregates: [account],
  maxConflictRetries: 10, // default 3: other nodes write the same streams
  dedupeWindow: 10_000, // callers retry with the same commandId, possibly on another node
});
// #endregion configuration
await runtime.shutdown();

/**
 * The SQL names of one store: every table lives in its own PostgreSQL schema, so several
 * stores (or test runs) share a database without touching each other. Schema names are
 * restricted to plain lowercase identifiers, so they are safe to splice into SQL and into the
 * LISTEN channel name without quoting rules to get wrong.
 */
import { InvalidArgument } from '@actorfold/core';
import type { Client, Pool, PoolClient } from 'pg';

/** Anything that runs a query: the store's pool, a client taken from it, or a one-off client. */
export type Queryable = Pool | PoolClient | Client;

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'actorfold';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** The qualified names of one store's objects. */
export interface SqlNames {
  readonly schema: string;
  readonly events: string;
  readonly logHead: string;
  readonly snapshots: string;
  readonly checkpoints: string;
  readonly migrations: string;
  /** Pending durable timers (timer-store.ts). */
  readonly timers: string;
  /** The append function (see global-order.ts). */
  readonly appendFunction: string;
  /** The procedure the store calls for a batch: the append function, its commit, then `settleProcedure`. */
  readonly appendProcedure: string;
  /** The procedure that makes committed appends durable (the flush barrier) and notifies. */
  readonly settleProcedure: string;
  /** Schema version 1's append function, kept for nodes of the previous package (legacy-append-function.ts). */
  readonly appendFunctionV1: string;
  /** The LISTEN/NOTIFY channel that announces the log head after each committed append. */
  readonly channel: string;
}

/** Throws InvalidArgument unless `schema` is a lowercase identifier of at most 48 characters. */
function checkSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidArgument(
      `schema must be a lowercase identifier (a-z, 0-9, _; not starting with a digit; at most 48 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

/** The names of the store in `schema` (checked). */
export function sqlNames(schema: string): SqlNames {
  const s = checkSchemaName(schema);
  return {
    schema: s,
    events: `${s}.events`,
    logHead: `${s}.log_head`,
    snapshots: `${s}.snapshots`,
    checkpoints: `${s}.checkpoints`,
    migrations: `${s}.schema_migrations`,
    timers: `${s}.timers`,
    appendFunction: `${s}.append_events_v3`,
    appendProcedure: `${s}.append_durably`,
    settleProcedure: `${s}.append_settle`,
    appendFunctionV1: `${s}.append_events`,
    channel: `actorfold_${s}`,
  };
}

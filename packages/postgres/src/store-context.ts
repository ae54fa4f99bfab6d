/**
 * What the parts of one store share: its pool, its SQL names, and the open/closed state that
 * turns every failure after `close()` into StoreError CLOSED.
 */
import { StoreError } from '@actorfold/core';
import type { Pool } from 'pg';
import type { SqlNames } from './schema.js';
import { toStoreError } from './store-errors.js';

export class StoreContext {
  readonly pool: Pool;
  readonly names: SqlNames;
  #closed = false;

  constructor(pool: Pool, names: SqlNames) {
    this.pool = pool;
    this.names = names;
  }

  get closed(): boolean {
    return this.#closed;
  }

  markClosed(): void {
    this.#closed = true;
  }

  /** Throws StoreError CLOSED once the store is closed. */
  ensureOpen(): void {
    if (this.#closed) {
      throw new StoreError('CLOSED', `the PostgreSQL store (schema ${this.names.schema}) is closed`);
    }
  }

  /** Runs `fn` (database calls made for `what`), turning its failures into StoreError. */
  async io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.ensureOpen();
    try {
      return await fn();
    } catch (e) {
      throw toStoreError(e, this.names.schema, what, this.#closed);
    }
  }
}

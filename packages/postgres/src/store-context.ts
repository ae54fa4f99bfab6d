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
  /**
   * Hears every stream head a read saw (lease mode: the lease keeper remembers the heads of
   * leased streams, for `knownStreamVersion`); a no-op otherwise.
   */
  readonly sawHead: (streamId: string, version: number) => void;
  #closed = false;
  #durable = 0;

  constructor(pool: Pool, names: SqlNames, sawHead: (streamId: string, version: number) => void = () => {}) {
    this.pool = pool;
    this.names = names;
    this.sawHead = sawHead;
  }

  /**
   * Every position up to this one is known durable (flushed, or replicated to synchronous
   * standbys): a batch of ours whose flush barrier returned, a read whose barrier ran or that
   * found the WAL flushed. Durability is a prefix of the log (the order lock makes WAL order
   * equal position order, global-order.ts), so a read of events at or below it needs no barrier.
   */
  get durable(): number {
    return this.#durable;
  }

  /** Records that every position up to `position` is durable. Only raises. */
  markDurable(position: number): void {
    if (position > this.#durable) this.#durable = position;
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

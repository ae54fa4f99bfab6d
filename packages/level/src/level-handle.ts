/** What the parts of a level store share: the open database, its folder, and the closed check. */
import { StoreError } from '@actorfold/core';
import type { ClassicLevel } from 'classic-level';
import { toStoreError } from './store-errors.js';

export class LevelHandle {
  readonly db: ClassicLevel<string, string>;
  readonly path: string;
  readonly sync: boolean;
  #closed = false;

  constructor(db: ClassicLevel<string, string>, path: string, sync: boolean) {
    this.db = db;
    this.path = path;
    this.sync = sync;
  }

  get closed(): boolean {
    return this.#closed;
  }

  markClosed(): void {
    this.#closed = true;
  }

  /** Throws StoreError reason CLOSED once close() was called. */
  ensureOpen(): void {
    if (this.#closed) throw new StoreError('CLOSED', `the LevelDB store at ${this.path} is closed`);
  }

  /** Runs a LevelDB call, turning its failure into StoreError (CLOSED or IO) naming the folder. */
  async io<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw toStoreError(e, this.path, what, this.#closed);
    }
  }
}

/**
 * What the parts of a level store share: the open database, its folder, the closed check, and
 * whether it refuses writes.
 */
import { StoreError } from '@actorfold/core';
import type { ClassicLevel } from 'classic-level';
import { toStoreError } from './store-errors.js';
import { unknownOutcome, WriteRefusal } from './write-refusal.js';

export class LevelHandle {
  readonly db: ClassicLevel<string, string>;
  readonly path: string;
  readonly sync: boolean;
  /** Set once a write failed with an unknown outcome: no write is taken until the store is reopened. */
  readonly refusal: WriteRefusal;
  #closed = false;

  constructor(db: ClassicLevel<string, string>, path: string, sync: boolean) {
    this.db = db;
    this.path = path;
    this.sync = sync;
    this.refusal = new WriteRefusal(path);
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

  /**
   * Runs a LevelDB write outside group commit (snapshots, checkpoints): refused with the store's
   * refusal once a write failed; a failure makes the store refuse every later write and fails
   * with StoreError IO `outcomeUnknown` (CLOSED once the store is closed).
   */
  async write(what: string, call: () => Promise<void>): Promise<void> {
    const refused = this.refusal.error;
    if (refused !== undefined) throw refused;
    try {
      await call();
    } catch (e) {
      if (this.#closed) throw toStoreError(e, this.path, what, true);
      this.refusal.refuse(e);
      throw unknownOutcome(what, this.path, e);
    }
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

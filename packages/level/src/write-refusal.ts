/**
 * Whether a level store refuses writes, shared by everything in it that writes (group commit,
 * snapshots, checkpoints). A LevelDB write that failed may still be stored (a failed fsync leaves
 * it in the log, replayed on the next open), and after a failed log append (a full disk) LevelDB
 * acknowledges writes that the next open loses: so after any failed write the store writes
 * nothing more until it is reopened, and says why.
 */
import { StoreError } from '@actorfold/core';
import { describe } from './store-errors.js';

export class WriteRefusal {
  readonly #path: string;
  #error: StoreError | undefined;
  readonly #listeners = new Set<(refusal: StoreError) => void>();

  constructor(path: string) {
    this.#path = path;
  }

  /** The refusal every write now fails with; undefined while writes are taken. */
  get error(): StoreError | undefined {
    return this.#error;
  }

  /**
   * Refuses every later write because a write failed with `cause` (the first failure names the
   * refusal; later ones change nothing), and tells the listeners once. Returns the refusal.
   */
  refuse(cause: unknown): StoreError {
    if (this.#error !== undefined) return this.#error;
    const error = new StoreError(
      'IO',
      `the LevelDB store at ${this.#path} refuses writes since a write failed with an unknown outcome ` +
        `(${describe(cause)}): reopen it (restart the process)`,
      { cause },
    );
    this.#error = error;
    for (const listener of this.#listeners) {
      try {
        listener(error);
      } catch (e) {
        // A listener's bug must not stop the writer that called refuse(); it surfaces uncaught.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    this.#listeners.clear();
    return error;
  }

  /**
   * Calls `listener` once when writes start being refused (never if they already are); an error
   * it throws is rethrown on a microtask (uncaught), never into the store's write.
   */
  listen(listener: (refusal: StoreError) => void): () => void {
    if (this.#error !== undefined) return () => undefined;
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Forgets the listeners (the store closes). */
  clear(): void {
    this.#listeners.clear();
  }
}

/** The error of a write that failed and may still be stored: its outcome is unknown. */
export function unknownOutcome(what: string, path: string, cause: unknown): StoreError {
  return new StoreError(
    'IO',
    `${what} failed in the LevelDB store at ${path}: ${describe(cause)}. Its outcome is unknown: ` +
      'it may or may not be stored (it shows once the store is reopened)',
    { cause, outcomeUnknown: true },
  );
}

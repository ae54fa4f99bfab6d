/**
 * One effect record at a time: what the runtime does to an effect record (lease it, deliver its
 * result) and what an operator does to it (retry, abandon) run one after another per record, in
 * call order. Without it an operator's retry written while the record's result waited in its
 * aggregate's mailbox was erased by that delivery's append (it removes the record by name): the
 * retry said true, and the aggregate received the old outcome instead of the new one.
 *
 * Within one runtime only: runtimes sharing a store (postgresStore) do not see each other's locks.
 */
export class EffectLocks {
  /** The last section queued per record (stream and name); gone once it ends with none after it. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every section queued before it for this record has ended. */
  async run<T>(streamId: string, name: string, fn: () => Promise<T>): Promise<T> {
    const key = `${streamId}\u0000${name}`;
    const before = this.#tails.get(key);
    let end = () => {};
    const mine = new Promise<void>((resolve) => {
      end = resolve;
    });
    const tail = before === undefined ? mine : before.then(() => mine);
    this.#tails.set(key, tail);
    try {
      if (before !== undefined) await before;
      return await fn();
    } finally {
      end();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

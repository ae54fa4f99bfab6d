/**
 * A bounded FIFO mailbox that runs one item at a time. It only queues and calls its processor:
 * it knows nothing of aggregates. No per-instance closures and a lazily allocated array keep an
 * idle mailbox at a few dozen bytes (docs/internals.md has the measurements).
 */

/** Whoever handles the mailbox's items, one at a time. */
export interface MailboxProcessor<T> {
  /** Handles one item. Must not throw; a returned promise is awaited before the next item. */
  process(item: T): Promise<void> | undefined;
  /** Called once the mailbox has run dry (not when it was merely released empty). */
  drained(): void;
  /** Called after an item left the mailbox (processed or taken): there is room for one more. */
  freed(): void;
}

const HELD = 1;
const RUNNING = 2;

export class Mailbox<T> {
  #items: Array<T | undefined> | null = null;
  #head = 0;
  #flags = 0;
  readonly #processor: MailboxProcessor<T>;

  constructor(processor: MailboxProcessor<T>, held = false) {
    this.#processor = processor;
    if (held) this.#flags = HELD;
  }

  /** Items waiting, including the one being processed. */
  get size(): number {
    return this.#items === null ? 0 : this.#items.length - this.#head;
  }

  /** True while an item is being processed. */
  get running(): boolean {
    return (this.#flags & RUNNING) !== 0;
  }

  /** Queues an item; false when `capacity` items are already waiting. */
  offer(item: T, capacity: number): boolean {
    if (this.size >= capacity) return false;
    // A one-item literal: a push onto an empty array would reserve room for 16 or so.
    if (this.#items === null) this.#items = [item];
    else this.#items.push(item);
    if (this.#flags === 0) this.#drain();
    return true;
  }

  /**
   * The item queued right behind the one being processed, if any (not removed). With `takeNext`,
   * the processor can run several queued items together (a batch of commands).
   */
  peekNext(): T | undefined {
    const items = this.#items;
    return items === null || !this.running ? undefined : items[this.#head + 1];
  }

  /**
   * Removes the item being processed and makes the next one (from `peekNext`) the current one,
   * so it no longer waits and `takeAll` leaves it to the processor. Call only while processing,
   * with an item behind the current one.
   */
  takeNext(): T {
    const items = this.#items as Array<T | undefined>;
    items[this.#head++] = undefined;
    this.#processor.freed();
    return items[this.#head] as T;
  }

  /** Stops processing after the current item until `release()`. */
  hold(): void {
    this.#flags |= HELD;
  }

  /** Resumes processing. */
  release(): void {
    this.#flags &= ~HELD;
    if (this.#flags === 0 && this.size > 0) this.#drain();
  }

  /** Removes and returns every item not yet started. */
  takeAll(): T[] {
    const items = this.#items;
    if (items === null) return [];
    const start = this.running ? this.#head + 1 : this.#head;
    const rest = items.slice(start) as T[];
    items.length = start;
    return rest;
  }

  /**
   * Processes items in order until none is left or the mailbox is held. A pending item resumes
   * the loop once it settles (`#resume`): a plain `then` instead of an async function, whose
   * suspended frame costs several times the closure (this runs once per burst of requests).
   */
  #drain(): void {
    this.#flags |= RUNNING;
    this.#run(this.#items as Array<T | undefined>);
  }

  #run(items: Array<T | undefined>): void {
    while (this.#head < items.length && (this.#flags & HELD) === 0) {
      const item = items[this.#head] as T;
      const pending = this.#processor.process(item);
      if (pending !== undefined) {
        // A rejection (process must not throw) stays unhandled, as it did when awaited.
        void pending.then(() => this.#resume(items));
        return;
      }
      items[this.#head++] = undefined;
      this.#processor.freed();
    }
    this.#stop(items);
  }

  #resume(items: Array<T | undefined>): void {
    items[this.#head++] = undefined;
    this.#processor.freed();
    this.#run(items);
  }

  #stop(items: Array<T | undefined>): void {
    this.#flags &= ~RUNNING;
    if (this.#head >= items.length) {
      // Drop the array: an idle actor should not pay for the largest burst it ever saw.
      this.#items = null;
      this.#head = 0;
      this.#processor.drained();
    }
  }
}

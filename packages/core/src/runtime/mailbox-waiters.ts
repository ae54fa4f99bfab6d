import type { HostedActor } from '../actor/actor-host.js';
import type { Request } from '../actor/request.js';

/**
 * Callers waiting for room in a full mailbox (`onMailboxFull: 'wait'`), first come first served
 * per actor. Kept by the runtime, not the actor: an actor pays nothing for a queue it rarely
 * has. A waiter whose caller stopped waiting (CommandTimeout) is dropped when its turn comes.
 */
export class MailboxWaiters {
  readonly #byActor = new Map<HostedActor, Request[]>();
  #size = 0;

  /** Requests waiting, over all actors (timed-out ones included until their turn comes). */
  get size(): number {
    return this.#size;
  }

  /** Whether callers wait for `actor` (a new request then queues behind them). */
  has(actor: HostedActor): boolean {
    return this.#size > 0 && this.#byActor.has(actor);
  }

  add(actor: HostedActor, request: Request): void {
    const queue = this.#byActor.get(actor);
    if (queue === undefined) this.#byActor.set(actor, [request]);
    else queue.push(request);
    this.#size++;
  }

  /** Offers `actor`'s waiters to `enqueue`, in order, until one does not fit. */
  admit(actor: HostedActor, enqueue: (request: Request) => boolean): void {
    const queue = this.#byActor.get(actor);
    if (queue === undefined) return;
    let i = 0;
    while (i < queue.length) {
      const request = queue[i] as Request;
      if (!request.settled && !enqueue(request)) break;
      i++;
    }
    this.#drop(actor, queue, i);
  }

  /** Removes and returns every waiter of `actor`, in order (still waiting ones only). */
  take(actor: HostedActor): Request[] {
    const queue = this.#byActor.get(actor);
    if (queue === undefined) return [];
    this.#drop(actor, queue, queue.length);
    return queue.filter((r) => !r.settled);
  }

  /** Removes and returns every waiter (shutdown). */
  takeAll(): Request[] {
    const all = Array.from(this.#byActor.values()).flat();
    this.#byActor.clear();
    this.#size = 0;
    return all.filter((r) => !r.settled);
  }

  #drop(actor: HostedActor, queue: Request[], n: number): void {
    if (n === 0) return;
    this.#size -= n;
    if (n === queue.length) this.#byActor.delete(actor);
    else queue.splice(0, n);
  }
}

import { AggregateActor } from './actor.js';
import type { AnyAggregate } from './aggregate.js';
import type { RuntimeContext } from './context.js';

/**
 * Owns the map from stream id to its actor, and so the single-writer rule (invariant 1): a
 * stream has at most one entry; an entry that no longer accepts requests (evicting) is
 * replaced by a successor that starts recovering only once its predecessor is gone.
 */
export class Registry {
  readonly #actors = new Map<string, AggregateActor>();
  #ctx: RuntimeContext | undefined;

  /** Binds the registry to its runtime (the context refers back to the registry). */
  bind(ctx: RuntimeContext): void {
    this.#ctx = ctx;
  }

  /** Actors in the map: one per stream, the newest if one is handing over. */
  get size(): number {
    return this.#actors.size;
  }

  /** The stream's current actor, if any. */
  get(streamId: string): AggregateActor | undefined {
    return this.#actors.get(streamId);
  }

  /**
   * The actor that takes the next request for the stream, activating one when none is
   * resident, or a successor when the resident one is on its way out. Synchronous, so
   * requests are queued in the order callers made them (invariant 2).
   */
  route(def: AnyAggregate, id: string, streamId: string): AggregateActor {
    const current = this.#actors.get(streamId);
    if (current?.accepting) return current;
    const actor = new AggregateActor(this.#ctx as RuntimeContext, def, id, streamId);
    this.#actors.set(streamId, actor);
    actor.activate(current);
    return actor;
  }

  /** Removes the actor's entry, unless a successor already replaced it. */
  forget(actor: AggregateActor): void {
    if (this.#actors.get(actor.streamId) === actor) this.#actors.delete(actor.streamId);
  }

  values(): IterableIterator<AggregateActor> {
    return this.#actors.values();
  }
}

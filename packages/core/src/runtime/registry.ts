import { AggregateActor } from '../actor/actor.js';
import type { ActorHost, HostedActor } from '../actor/actor-host.js';
import type { AnyAggregate } from '../aggregate/aggregate.js';

/**
 * Owns the map from stream id to its actor, and so the single-writer rule (invariant 1): a
 * stream has at most one entry; an entry that no longer accepts requests (evicting) is
 * replaced by a successor that starts recovering only once its predecessor is gone.
 */
export class Registry {
  readonly #actors = new Map<string, AggregateActor>();
  #host: ActorHost | undefined;

  /** Binds the registry to the host its actors run in (the host refers back to the registry). */
  bind(host: ActorHost): void {
    this.#host = host;
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
    const actor = new AggregateActor(this.#host as ActorHost, def, id, streamId);
    this.#actors.set(streamId, actor);
    actor.activate(current);
    return actor;
  }

  /** Removes the actor's entry, unless a successor already replaced it. */
  forget(actor: HostedActor): void {
    if (this.#actors.get(actor.streamId) === actor) this.#actors.delete(actor.streamId);
  }

  values(): IterableIterator<AggregateActor> {
    return this.#actors.values();
  }
}

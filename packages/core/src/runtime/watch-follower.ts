import { parseStreamId } from '../store/store.js';
import { Subscription } from '../subscriptions/subscription.js';
import type { RuntimeContext } from './context.js';

/**
 * On a store other processes write to (no `knownStreamVersion`), watchers must also hear of their
 * appends. While anyone watches, one subscription follows the log from its end and asks each
 * watched stream's actor for its state; the actor's refresh then notifies the watchers as for
 * any change. A store this runtime writes alone needs none of it: its actors see every change.
 */
export class WatchFollower {
  readonly #ctx: RuntimeContext;
  /** Reads a stream's state through its actor (which refreshes it and notifies its watchers). */
  readonly #refreshState: (type: string, id: string) => Promise<unknown>;
  #following: AbortController | undefined;

  constructor(ctx: RuntimeContext, refreshState: (type: string, id: string) => Promise<unknown>) {
    this.#ctx = ctx;
    this.#refreshState = refreshState;
  }

  /** Follows the log if this store needs it and nobody follows yet. */
  start(): void {
    const { store, tail, watchers, logger } = this.#ctx;
    if (store.knownStreamVersion !== undefined || this.#following !== undefined) return;
    const abort = new AbortController();
    this.#following = abort;
    // One refresh per stream at a time; an event that lands meanwhile asks for one more after it.
    const refreshing = new Map<string, boolean>();
    const refresh = (type: string, id: string, streamId: string): void => {
      refreshing.set(streamId, false);
      this.#refreshState(type, id)
        .catch((err: unknown) => logger.debug({ err, streamId }, 'watch refresh failed'))
        .finally(() => {
          const again = refreshing.get(streamId) === true;
          refreshing.delete(streamId);
          if (again && watchers.has(streamId)) refresh(type, id, streamId);
        });
    };
    void (async () => {
      // A watch read its first state before this follower knew where the log ended: refresh every
      // watched stream once the starting point is fixed, so nothing in between is missed.
      const from = (await store.lastPosition?.()) ?? 0;
      for (const streamId of [...watchers.streams()]) {
        const { aggregateType, aggregateId } = parseStreamId(streamId);
        refresh(aggregateType, aggregateId, streamId);
      }
      for await (const e of new Subscription(store, tail, { fromPosition: from + 1, signal: abort.signal })) {
        if (!watchers.has(e.streamId)) continue;
        if (refreshing.has(e.streamId)) refreshing.set(e.streamId, true);
        else refresh(e.aggregateType, e.aggregateId, e.streamId);
      }
    })()
      .catch((err: unknown) => logger.warn({ err }, 'following the log for watchers stopped'))
      .finally(() => {
        if (this.#following === abort) this.#following = undefined;
      });
  }

  /** Stops following (nobody watches any more, or shutdown). */
  stop(): void {
    this.#following?.abort();
  }
}

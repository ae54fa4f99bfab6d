import { parseStreamId } from '../store/store.js';
import { Subscription } from '../subscriptions/subscription.js';
import type { RuntimeContext } from './context.js';

/**
 * Watchers hear of every append, not only those made through this runtime's actors: another
 * process's on a shared store, and one made straight through the store object (an import, a
 * repair script). While anyone watches, one subscription follows the log from its end, woken by
 * the store's append notification (`onAppend`; a poll for a store without it), and asks each
 * watched stream's actor for its state whenever an event of that stream is newer than what the
 * actor holds; the actor's refresh then notifies the watchers as for any change. Events the
 * actor appended itself (it already holds their version) cost nothing more than the log read.
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

  /** Follows the log, unless it already does. */
  start(): void {
    const { store, watchers, registry, logger } = this.#ctx;
    if (this.#following !== undefined) return;
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
      const from = await this.#ctx.retry.run(
        'watch: reading the log head',
        async () => (await store.lastPosition?.()) ?? 0,
        abort.signal,
      );
      for (const streamId of [...watchers.streams()]) {
        const { aggregateType, aggregateId } = parseStreamId(streamId);
        refresh(aggregateType, aggregateId, streamId);
      }
      for await (const e of new Subscription(this.#ctx, { fromPosition: from + 1, signal: abort.signal })) {
        if (!watchers.has(e.streamId)) continue;
        // Its resident actor holds this version already, and told the watchers when it got it.
        const actor = registry.get(e.streamId);
        if (actor?.resident && actor.version >= e.version) continue;
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

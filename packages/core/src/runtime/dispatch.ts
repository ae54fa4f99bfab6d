import { MailboxFull, RuntimeClosed } from '../errors.js';
import { observeRequest } from '../observability/observer.js';
import type { CommandTimeouts } from './command-timeouts.js';
import type { RuntimeContext } from './context.js';
import type { Dispatcher } from './handle.js';
import type { WatchFollower } from './watch-follower.js';

/**
 * How handles reach actors: route each request to the stream's actor (activating one when
 * needed), queue it, start its timeout; and register watchers, following the log for them
 * when the store is shared.
 */
export function createDispatcher(
  ctx: RuntimeContext,
  timeouts: CommandTimeouts,
  follower: WatchFollower,
  isClosed: () => boolean,
): Dispatcher {
  const { registry, metrics, options, watchers, observer } = ctx;
  return {
    dispatch: (def, id, request, timeout = true) => {
      if (isClosed()) return Promise.reject(new RuntimeClosed());
      const actor = registry.route(def, id, request.streamId);
      // Before offering: the actor may take the request up synchronously.
      if (observer !== null) observeRequest(observer, def, id, request);
      ctx.batchNow = Number.NaN;
      if (!ctx.offer(actor, request)) {
        metrics.counters.mailboxFull++;
        // Through the request, so an observation of it ends too.
        request.fail(new MailboxFull(request.streamId, options.mailboxCapacity));
        return request.promise;
      }
      // A batch that began inside offer read the clock after this call began (actor-host.ts).
      if (timeout) timeouts.watch(request, ctx.batchNow);
      return request.promise;
    },
    watch: (waiting) => {
      if (isClosed()) return false;
      timeouts.watch(waiting);
      return true;
    },
    isResident: (streamId) => registry.get(streamId)?.resident === true,
    addWatcher: (streamId, w) => {
      watchers.add(streamId, w);
      if (!isClosed()) follower.start();
    },
    removeWatcher: (streamId, w) => {
      watchers.remove(streamId, w);
      if (watchers.size === 0) follower.stop();
    },
  };
}

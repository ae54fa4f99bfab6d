import { MailboxFull, RuntimeClosed } from '../errors.js';
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
  const { registry, metrics, options, watchers } = ctx;
  return {
    dispatch: (def, id, request, timeout = true) => {
      if (isClosed()) return Promise.reject(new RuntimeClosed());
      const actor = registry.route(def, id, request.streamId);
      if (!ctx.offer(actor, request)) {
        metrics.counters.mailboxFull++;
        return Promise.reject(new MailboxFull(request.streamId, options.mailboxCapacity));
      }
      if (timeout) timeouts.watch(request);
      return request.promise;
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

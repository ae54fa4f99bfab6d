import type { EventStore } from '@actorfold/core';

/**
 * The store, with `close()` left for later: a runtime's shutdown closes its store, so a second
 * runtime over the same in-memory data (a "restart") needs the first close to keep the data.
 * Returns the wrapped store and the function that really closes it.
 */
export function keepOpen(store: EventStore): { store: EventStore; close: () => Promise<void> } {
  const kept = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'close') return async () => {};
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: kept, close: () => store.close() };
}

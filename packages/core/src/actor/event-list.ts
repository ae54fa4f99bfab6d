import { isProxy } from 'node:util/types';
import { type DomainEvent, isDomainEvent } from '../store/store.js';

/**
 * The events a decide returned or a caller injects, as an array the runtime reads once, by
 * index; undefined when it is not an array of events (holes included). A Proxy is refused: each
 * read may give another event, and the store would keep one read while evolve folds another
 * (as the codecs refuse a Proxy inside an event). An array of another class (a subclass with an
 * iterator or `slice` of its own) is copied by index, so nothing of it runs afterwards.
 * Throws when reading it throws (a getter on an item or its `type`).
 */
export function eventList(value: unknown): readonly DomainEvent[] | undefined {
  if (!Array.isArray(value) || isProxy(value)) return undefined;
  let list: unknown[] = value;
  if (Object.getPrototypeOf(value) !== Array.prototype) {
    list = new Array(value.length);
    for (let i = 0; i < value.length; i++) list[i] = value[i];
  }
  for (let i = 0; i < list.length; i++) if (!isDomainEvent(list[i])) return undefined;
  return list as DomainEvent[];
}

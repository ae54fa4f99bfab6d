/**
 * The live tail: new events as newline-delimited JSON over a long-lived response, fed by the
 * runtime's subscription (catch-up from a global position, then live). The subscription is
 * pull-based and this loop waits for the socket to drain before pulling again, so a slow reader
 * slows its own tail and nothing else.
 */
import type { ServerResponse } from 'node:http';
import type { EventEnvelope, Runtime } from '@actorfold/core';
import { AdminError } from './admin-error.js';
import { toErrorResponse } from './error-response.js';
import { intParam, listParam, onlyParams } from './query.js';

/** What `runtime.subscribe` takes (@actorfold/core). */
export interface SubscribeOptions {
  fromPosition?: number | 'end';
  filter?: { aggregateTypes?: string[]; eventTypes?: string[] };
  signal?: AbortSignal;
}

/** A runtime with the subscription API, checked structurally so older cores give a clear 501. */
interface SubscribingRuntime {
  subscribe(opts?: SubscribeOptions): AsyncIterable<EventEnvelope>;
}

/** The content type of the tail: one JSON event per line. */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/** Reads the tail's query: `from` (`end` or a position), `type` and `event` (comma-separated filters). */
export function tailOptions(query: URLSearchParams): Omit<SubscribeOptions, 'signal'> {
  onlyParams(query, ['from', 'type', 'event']);
  const raw = query.get('from');
  const fromPosition =
    raw === null || raw === '' || raw === 'end'
      ? 'end'
      : intParam(query, 'from', 1, 1, Number.MAX_SAFE_INTEGER);
  const aggregateTypes = listParam(query, 'type');
  const eventTypes = listParam(query, 'event');
  const filter = {
    ...(aggregateTypes === undefined ? {} : { aggregateTypes }),
    ...(eventTypes === undefined ? {} : { eventTypes }),
  };
  return { fromPosition, ...(Object.keys(filter).length === 0 ? {} : { filter }) };
}

/**
 * Streams events into `res` until the runtime shuts down, `signal` aborts (client gone, server
 * closing) or the socket fails. Headers are sent at once so the client knows the tail started.
 */
export async function streamTail(
  runtime: Runtime,
  options: Omit<SubscribeOptions, 'signal'>,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const subscribing = runtime as unknown as Partial<SubscribingRuntime>;
  if (typeof subscribing.subscribe !== 'function') {
    throw new AdminError('NOT_SUPPORTED', 'this runtime has no event subscriptions (runtime.subscribe)');
  }
  const events = subscribing.subscribe({ ...options, signal });
  res.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE, 'cache-control': 'no-store' });
  res.flushHeaders();
  try {
    for await (const event of events) {
      if (signal.aborted || res.destroyed) break;
      if (!res.write(`${JSON.stringify(event)}\n`)) await drained(res, signal);
    }
  } catch (e) {
    // The status line is long gone: the failure travels as a last line the client recognises.
    if (!res.destroyed) res.write(`${JSON.stringify(toErrorResponse(e).body)}\n`);
  } finally {
    if (!res.destroyed) res.end();
  }
}

/** Resolves once the response can take more, or when the client goes away. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

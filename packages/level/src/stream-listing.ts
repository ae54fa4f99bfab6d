/**
 * Lists the streams of a folder with their head versions, for operators' tools. It reads one key
 * per stream: after a stream's first key it seeks past the stream's range, so the cost grows with
 * the number of streams, not of events.
 */
import { InvalidArgument } from '@actorfold/core';
import { STREAMS_END, STREAMS_START, streamEnd, streamIdOfKey } from './keys.js';
import type { LevelHandle } from './level-handle.js';

export interface StreamInfo {
  streamId: string;
  /** The head version: the number of events in the stream. */
  version: number;
}

export interface ListStreamsOptions {
  /** Only streams whose id starts with this (for example `'account/'`). */
  prefix?: string;
  /** Start after this stream id (exclusive): for paging. */
  after?: string;
  /** Most streams to return. */
  limit?: number;
}

export async function* listStreams(
  h: LevelHandle,
  readHead: (streamId: string) => Promise<number>,
  opts: ListStreamsOptions,
): AsyncGenerator<StreamInfo> {
  checkOptions(opts);
  const prefix = `${STREAMS_START}${opts.prefix ?? ''}`;
  const from = opts.after === undefined ? prefix : streamEnd(opts.after);
  let left = opts.limit ?? Number.POSITIVE_INFINITY;
  const it = h.db.keys({ gte: from > prefix ? from : prefix, lt: STREAMS_END });
  try {
    while (left > 0) {
      const key = await h.io('listing streams', () => it.next());
      if (key === undefined || !key.startsWith(prefix)) return;
      const streamId = streamIdOfKey(key);
      yield { streamId, version: await readHead(streamId) };
      left--;
      it.seek(streamEnd(streamId));
    }
  } finally {
    await it.close();
  }
}

/**
 * Refuses options that would page wrongly rather than fail: a limit that is not an integer >= 0
 * (NaN listed nothing, 1.5 two streams), and a prefix or cursor that is not a string or holds what
 * no stream id can (U+0000 is the key separator: 'a\0' matched stream 'a'; a lone surrogate
 * reads as U+FFFD in a key).
 */
function checkOptions(opts: unknown): asserts opts is ListStreamsOptions {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new InvalidArgument(`listStreams: options must be an object, got ${String(opts)}`);
  }
  const { limit, prefix, after } = opts as Record<string, unknown>;
  if (limit !== undefined && !(typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 0)) {
    throw new InvalidArgument(`listStreams: limit must be an integer >= 0, got ${String(limit)}`);
  }
  for (const [name, v] of [
    ['prefix', prefix],
    ['after', after],
  ] as const) {
    if (v === undefined) continue;
    if (
      typeof v !== 'string' ||
      v.includes('\u0000') ||
      !(v as string & { isWellFormed(): boolean }).isWellFormed()
    ) {
      throw new InvalidArgument(
        `listStreams: ${name} must be a string without U+0000 or a lone surrogate, got ${JSON.stringify(String(v))}`,
      );
    }
  }
}

/**
 * Lists the streams of a folder with their head versions, for operators' tools. It reads one key
 * per stream: after a stream's first key it seeks past the stream's range, so the cost grows with
 * the number of streams, not of events.
 */
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

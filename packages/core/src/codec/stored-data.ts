import { CorruptData } from '../errors.js';
import type { EventEnvelope } from '../store/store.js';
import type { Codec } from './codec.js';
import { codecByName } from './codec-by-name.js';
import { jsonCodec } from './json-codec.js';

/**
 * The codec that wrote stored data, from the name recorded with it (none recorded: 'json'):
 * the aggregate's own codec when the names match (custom codecs included), else a built-in.
 * Undefined when no codec of that name is known.
 */
export function codecOf(recorded: unknown, own: Codec): Codec | undefined {
  if (recorded === undefined) return jsonCodec;
  if (typeof recorded !== 'string') return undefined;
  return recorded === own.name ? own : codecByName(recorded);
}

/**
 * An event's data as evolve sees it: decoded by the codec recorded in its metadata. Throws
 * CorruptData when that codec is unknown here (stored data is never guessed at).
 */
export function decodeEventData(env: EventEnvelope, own: Codec): unknown {
  const recorded = env.metadata.codec;
  if (recorded === undefined) return env.data; // json: decoding is the identity
  const codec = codecOf(recorded, own);
  if (codec === undefined) {
    throw new CorruptData(
      env.streamId,
      env.version,
      `written by an unknown codec ${JSON.stringify(recorded)}`,
    );
  }
  return codec.decode(env.data);
}

/** The envelope with its data decoded (the same envelope when it was stored as plain JSON). */
export function decodeEnvelope(env: EventEnvelope, own: Codec): EventEnvelope {
  if (env.metadata.codec === undefined) return env;
  return { ...env, data: decodeEventData(env, own) as EventEnvelope['data'] };
}

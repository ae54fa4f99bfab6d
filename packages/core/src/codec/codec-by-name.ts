import type { Codec } from './codec.js';
import { jsonCodec } from './json-codec.js';
import { richCodec } from './rich-codec.js';

const BUILT_IN: ReadonlyMap<string, Codec> = new Map([
  [jsonCodec.name, jsonCodec],
  [richCodec.name, richCodec],
]);

/**
 * The built-in codec of that name ('json', 'rich'), for read paths that decode stored data by
 * the codec recorded with it; undefined for any other name.
 */
export function codecByName(name: string): Codec | undefined {
  return BUILT_IN.get(name);
}

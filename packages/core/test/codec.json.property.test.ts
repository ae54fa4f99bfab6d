/**
 * The json codec's promise, over generated JSON-ish values with hostile values mixed in: it
 * either refuses with a path that really points at something JSON cannot keep, or what it returns
 * survives JSON exactly (and is the value itself when nothing had to be normalised).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Codec, jsonCodec, UnstorableValue } from '../src/index.js';
import { exactlyEqual, propertyOffends, type Target, targetOf, valueArb } from './support/hostile.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 20_000 : 2_000;
/** Long soak runs take minutes on a busy machine. */
const TIMEOUT = process.env.ACTORFOLD_SOAK ? 600_000 : 60_000;
const ROOT = 'v';

/** Whether the value a path points at is one JSON cannot keep as it is, judged without the codec. */
function valueOffends({ holder, value, ancestors }: Target, atTop: boolean): boolean {
  switch (typeof value) {
    case 'bigint':
    case 'function':
    case 'symbol':
      return true;
    case 'undefined':
      return atTop || Array.isArray(holder);
    case 'number':
      return !Number.isFinite(value);
    case 'object': {
      if (value === null) return false;
      if (ancestors.includes(value)) return true; // a cycle
      const proto: unknown = Object.getPrototypeOf(value);
      return Array.isArray(value) ? proto !== Array.prototype : proto !== Object.prototype && proto !== null;
    }
    default:
      return false;
  }
}

/** The property, for any codec claiming to be strict JSON (the real one, or a weakened one). */
function strictJson(codec: Codec) {
  return fc.property(valueArb, (value) => {
    let encoded: unknown;
    try {
      encoded = codec.encode(value, ROOT);
    } catch (error) {
      expect(error).toBeInstanceOf(UnstorableValue);
      const { path, code } = error as UnstorableValue;
      expect(code).toBe('INVALID_ARGUMENT');
      const { target, last } = targetOf(value, path, ROOT);
      const points = propertyOffends(target, last) || valueOffends(target, last === undefined);
      expect(points, `${path} points at nothing JSON refuses`).toBe(true);
      return;
    }
    const json = JSON.stringify(encoded);
    expect(exactlyEqual(JSON.parse(json), encoded), `${json} is not what was returned`).toBe(true);
    // Normalising changed nothing JSON would keep.
    expect(json).toBe(JSON.stringify(value));
    if (exactlyEqual(JSON.parse(JSON.stringify(value)), value)) expect(encoded).toBe(value);
  });
}

/** The json codec, with one refusal turned into "store it anyway" (what a forgotten check does). */
function forgetting(found: RegExp): Codec {
  return {
    name: 'weakened',
    encode(value, path) {
      try {
        return jsonCodec.encode(value, path);
      } catch (e) {
        if (e instanceof UnstorableValue && found.test(e.found)) return value;
        throw e;
      }
    },
    decode: (data) => data,
  };
}

describe('jsonCodec', () => {
  it(
    'refuses with a path to the offending value, or returns data that JSON keeps exactly',
    () => {
      fc.assert(strictJson(jsonCodec), { numRuns: RUNS });
    },
    TIMEOUT,
  );

  describe('the property catches a weakened check', () => {
    const weakened: Array<[string, Codec]> = [
      ['getters let through', forgetting(/getter/)],
      ['Dates let through', forgetting(/^Date$/)],
      ['non-finite numbers let through', forgetting(/NaN|Infinity/)],
      ['holes let through', forgetting(/hole/)],
      ['class instances let through', forgetting(/class/)],
      ['symbol keys let through', forgetting(/symbol key/)],
      [
        'a path that stops one step short',
        {
          ...jsonCodec,
          encode(value: unknown, path: string) {
            try {
              return jsonCodec.encode(value, path);
            } catch (e) {
              if (!(e instanceof UnstorableValue)) throw e;
              const parent = e.path.replace(/(\.[^.[]+|\[[^\]]*\])$/, '');
              throw new UnstorableValue('weakened', parent, e.found, 'wrong path');
            }
          },
        },
      ],
      ['no normalisation', { ...jsonCodec, encode: (value: unknown) => value }],
    ];
    for (const [name, codec] of weakened) {
      it(
        name,
        () => {
          const result = fc.check(strictJson(codec), { numRuns: RUNS });
          expect(result.failed, `${name}: no counterexample found`).toBe(true);
        },
        TIMEOUT,
      );
    }
  });
});

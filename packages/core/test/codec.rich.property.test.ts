/**
 * The rich codec's promise, over generated JSON-ish values with hostile values mixed in: it either
 * refuses with a path that really points at something it does not keep, or its output is exact
 * JSON data that decodes, live and after a trip through JSON text, to the very value it was given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Codec, encodeEvent, richCodec, UnstorableValue } from '../src/index.js';
import {
  eventArb,
  exactlyEqual,
  propertyOffends,
  type Target,
  targetOf,
  valueArb,
} from './support/hostile.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 10_000 : 1_000;
/** Long soak runs take minutes on a busy machine. */
const TIMEOUT = process.env.ACTORFOLD_SOAK ? 600_000 : 60_000;
const ROOT = 'state';
const KEPT: ReadonlySet<unknown> = new Set([
  Object.prototype,
  null,
  Array.prototype,
  Date.prototype,
  Map.prototype,
  Set.prototype,
]);

/** Whether a refusal's target is something the rich codec does not claim to keep, judged without it. */
function offends(target: Target, last: ReturnType<typeof targetOf>['last'], depth: number): boolean {
  if (propertyOffends(target, last)) return true;
  const { holder, value } = target;
  if (last?.kind === 'key') {
    if (['__proto__', 'constructor', 'prototype'].includes(last.key)) return true;
    if (depth === 1 && last.key === '$rich') return true;
    if (holder instanceof Map || holder instanceof Set || holder instanceof Date) return true;
  }
  if (typeof value === 'function' || typeof value === 'symbol') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Date && Number.isNaN(value.getTime())) return true;
  return !KEPT.has(Object.getPrototypeOf(value));
}

function roundTrips(codec: Codec) {
  return fc.property(valueArb, (value) => {
    let encoded: unknown;
    try {
      encoded = codec.encode(value, ROOT);
    } catch (error) {
      expect(error).toBeInstanceOf(UnstorableValue);
      const { path } = error as UnstorableValue;
      const { target, last } = targetOf(value, path, ROOT);
      const depth = path === ROOT ? 0 : path.slice(ROOT.length).split(/(?=[.[])/).length;
      expect(offends(target, last, depth), `${path} points at something the rich codec keeps`).toBe(true);
      return;
    }
    const json = JSON.stringify(encoded);
    expect(exactlyEqual(JSON.parse(json), encoded), `${json} is not exact JSON data`).toBe(true);
    const replayed = codec.decode(JSON.parse(json));
    const live = codec.decode(encoded);
    const how = { sharing: true, nullAsPlain: true };
    expect(exactlyEqual(value, replayed, how), `replay of ${json} differs`).toBe(true);
    expect(exactlyEqual(value, live, how), `live decode of ${json} differs`).toBe(true);
    if (isExactJson(value)) expect(encoded).toBe(value);
  });
}

/** True when JSON gives the value back exactly, shared objects included (so the codec has nothing to add). */
function isExactJson(value: unknown): boolean {
  try {
    const json = JSON.stringify(value);
    return json !== undefined && exactlyEqual(JSON.parse(json), value, { sharing: true });
  } catch {
    return false; // a cycle or a BigInt
  }
}

describe('richCodec', () => {
  it(
    'refuses with a path to what it does not keep, or gives back exactly what it was given',
    () => {
      fc.assert(roundTrips(richCodec), { numRuns: RUNS });
    },
    TIMEOUT,
  );

  it(
    'keeps an event’s own string type at the top of its encoded data',
    () => {
      fc.assert(
        fc.property(eventArb, (event) => {
          let data: unknown;
          try {
            data = encodeEvent(richCodec, event, 'events[0]');
          } catch (e) {
            expect(e).toBeInstanceOf(UnstorableValue);
            return;
          }
          expect(Object.getOwnPropertyDescriptor(data, 'type')?.value).toBe(event.type);
          expect(JSON.parse(JSON.stringify(data)).type).toBe(event.type);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  describe('the property catches a weakened codec', () => {
    const weakened: Array<[string, Codec]> = [
      // superjson alone: what the walk before it is for.
      [
        'superjson without the walk (class instances, invalid Dates, holes pass)',
        {
          ...richCodec,
          encode(value: unknown, path: string) {
            try {
              return richCodec.encode(value, path);
            } catch (e) {
              if (e instanceof UnstorableValue && /class|invalid Date|hole|custom prototype/.test(e.found)) {
                return richCodec.encode(JSON.parse(JSON.stringify(value) ?? 'null'), path);
              }
              throw e;
            }
          },
        },
      ],
      [
        'plain JSON (no metadata)',
        { ...richCodec, encode: (v: unknown) => JSON.parse(JSON.stringify(v) ?? 'null') },
      ],
    ];
    for (const [name, codec] of weakened) {
      it(
        name,
        () => {
          expect(fc.check(roundTrips(codec), { numRuns: RUNS }).failed).toBe(true);
        },
        TIMEOUT,
      );
    }
  });
});

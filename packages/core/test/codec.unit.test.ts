import { describe, expect, it } from 'vitest';
import {
  codecByName,
  encodeEvent,
  isActorfoldError,
  jsonCodec,
  richCodec,
  UnstorableValue,
} from '../src/index.js';

function refusal(fn: () => unknown): UnstorableValue {
  try {
    fn();
  } catch (e) {
    if (e instanceof UnstorableValue) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('jsonCodec', () => {
  it('names the exact path and what it found', () => {
    const events = [{ type: 'Packed', items: [{ at: 1 }, { at: 2 }, { at: new Date(0) }] }];
    const e = refusal(() => jsonCodec.encode(events[0], 'events[0]'));
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', path: 'events[0].items[2].at', found: 'Date' });
    expect(isActorfoldError(e)).toBe(true);
    expect(e.message).toMatch(/^events\[0\]\.items\[2\]\.at: Date cannot be kept by the 'json' codec/);
  });

  it.each([
    [{ type: 'T', n: Number.NaN }, 'e.n', 'NaN'],
    [{ type: 'T', n: -Infinity }, 'e.n', '-Infinity'],
    [{ type: 'T', 'odd key': 1n }, 'e["odd key"]', 'BigInt'],
    [{ type: 'T', list: [1, undefined] }, 'e.list[1]', 'undefined'],
    [{ type: 'T', m: new Map() }, 'e.m', 'Map'],
    [{ type: 'T', s: new Set() }, 'e.s', 'Set'],
    [{ type: 'T', r: /x/ }, 'e.r', 'RegExp'],
    [{ type: 'T', f: () => 1 }, 'e.f', 'a function'],
    [{ type: 'T', toJSON: () => ({ type: 'T' }) }, 'e.toJSON', 'a toJSON method'],
    [
      {
        type: 'T',
        get at() {
          return 1;
        },
      },
      'e.at',
      'a getter',
    ],
  ])('refuses %o at %s (%s)', (value, path, found) => {
    expect(refusal(() => jsonCodec.encode(value, 'e'))).toMatchObject({ path, found });
  });

  it('refuses holes, symbol keys, hidden properties, class instances and cycles', () => {
    const holey: number[] = [1];
    holey[2] = 3;
    expect(refusal(() => jsonCodec.encode({ a: holey }, 'e')).path).toBe('e.a[1]');
    expect(refusal(() => jsonCodec.encode({ [Symbol('s')]: 1 }, 'e')).path).toBe('e[Symbol(s)]');
    const hidden = Object.defineProperty({}, 'h', { value: 1, enumerable: false });
    expect(refusal(() => jsonCodec.encode({ x: hidden }, 'e')).path).toBe('e.x.h');
    class Money {
      cents = 1;
    }
    expect(refusal(() => jsonCodec.encode({ price: new Money() }, 'e')).found).toBe(
      'an instance of class Money',
    );
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.child = { parent: cyclic };
    expect(refusal(() => jsonCodec.encode(cyclic, 'state')).path).toBe('state.child.parent');
    expect(refusal(() => jsonCodec.encode(undefined, 'state')).found).toBe('undefined');
  });

  it('returns the very same object when it is already exact JSON', () => {
    const shared = { x: 1 };
    const event = Object.freeze({ type: 'T', a: [1, 'two', null, { b: true }], c: shared, d: shared });
    expect(jsonCodec.encode(event, 'e')).toBe(event);
    expect(jsonCodec.decode(event)).toBe(event);
  });

  it('drops undefined-valued keys and turns -0 into 0 on a copy, leaving the input alone', () => {
    const nested = { keep: [1, -0], same: { z: 1 } };
    const input = { type: 'T', gone: undefined, nested, zero: -0 };
    const out = jsonCodec.encode(input, 'e') as typeof input;
    expect(out).not.toBe(input);
    expect(Object.keys(out)).toEqual(['type', 'nested', 'zero']);
    expect(Object.is(out.zero, 0)).toBe(true);
    expect(Object.is(out.nested.keep[1], 0)).toBe(true);
    expect(out.nested.same).toBe(nested.same); // untouched branches are shared, not copied
    expect(Object.is(input.zero, -0)).toBe(true);
    expect('gone' in input).toBe(true);
  });

  it('makes null-prototype objects plain, as JSON.parse gives them back', () => {
    const dict = Object.assign(Object.create(null) as Record<string, number>, { a: 1 });
    const out = jsonCodec.encode({ dict }, 'e') as { dict: object };
    expect(Object.getPrototypeOf(out.dict)).toBe(Object.prototype);
    expect(out.dict).toEqual({ a: 1 });
  });

  it('keeps an own __proto__ key as an own key', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "drop": null}') as Record<string, unknown>;
    input.drop = undefined;
    const out = jsonCodec.encode(input, 'e') as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: 1 });
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1}}');
  });

  it('refuses accessors without calling them: a setter alone, a getter with a setter', () => {
    const calls: string[] = [];
    const setterOnly = Object.defineProperty({ type: 'T' }, 'at', {
      set: () => calls.push('set'),
      enumerable: true,
    });
    expect(refusal(() => jsonCodec.encode({ x: setterOnly }, 'e'))).toMatchObject({
      path: 'e.x.at',
      found: 'a setter',
    });
    const both = Object.defineProperty({ type: 'T' }, 'at', {
      get: () => calls.push('get'),
      set: () => calls.push('set'),
      enumerable: true,
    });
    expect(refusal(() => jsonCodec.encode(both, 'e'))).toMatchObject({ path: 'e.at', found: 'a getter' });
    expect(calls).toEqual([]);
  });

  it('skips an enumerable key inherited from Object.prototype, getter or not, as JSON does', () => {
    const calls: string[] = [];
    Object.defineProperty(Object.prototype, 'leaked', {
      value: 1,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(Object.prototype, 'leakedGetter', {
      get: () => calls.push('get'),
      enumerable: true,
      configurable: true,
    });
    const value = { type: 'T', n: 1 };
    let out: unknown;
    try {
      out = jsonCodec.encode(value, 'e');
    } finally {
      delete (Object.prototype as Record<string, unknown>).leaked;
      delete (Object.prototype as Record<string, unknown>).leakedGetter;
    }
    expect(out).toBe(value);
    expect(calls).toEqual([]);
  });
});

describe('encodeEvent', () => {
  it.each([
    [Object.create({ type: 'Inherited' }), 'an inherited type'],
    [Object.defineProperty({}, 'type', { value: 'Hidden', enumerable: false }), 'a non-enumerable type'],
    [
      {
        get type() {
          return 'Getter';
        },
      },
      'a getter',
    ],
    [{ type: '' }, 'an empty string'],
    [{ type: 7 }, '7'],
    [{ kind: 'NoType' }, 'no type'],
  ])('refuses an event whose type is not an own enumerable non-empty string (%o)', (event, found) => {
    expect(refusal(() => encodeEvent(jsonCodec, event, 'events[1]'))).toMatchObject({
      path: 'events[1].type',
      found,
    });
  });

  it('refuses a codec whose output loses the type', () => {
    const lossy = { name: 'lossy', encode: () => ({ kind: 'x' }), decode: (d: unknown) => d };
    expect(refusal(() => encodeEvent(lossy, { type: 'T' }, 'events[0]')).path).toBe('events[0].type');
  });
});

describe('richCodec', () => {
  it('stores an event as its JSON fields plus metadata, and decodes it exactly', () => {
    const event = {
      type: 'ItemAdded',
      at: new Date('2025-01-02T03:04:05.006Z'),
      items: new Map([['p-1', { quantity: 2, price: 10n }]]),
      tags: new Set(['new']),
      discount: undefined,
      ratio: Number.NaN,
    };
    const data = richCodec.encode(event, 'events[0]') as Record<string, unknown>;
    expect(data).toMatchObject({ type: 'ItemAdded', at: '2025-01-02T03:04:05.006Z', tags: ['new'] });
    const stored = JSON.parse(JSON.stringify(data));
    const back = richCodec.decode(stored) as typeof event;
    expect(back.at).toEqual(event.at);
    expect(back.items.get('p-1')).toEqual({ quantity: 2, price: 10n });
    expect(back.tags).toEqual(new Set(['new']));
    expect('discount' in back && back.discount === undefined).toBe(true);
    expect(back.ratio).toBeNaN();
  });

  it('stores exact JSON as it is, and a non-object state wrapped', () => {
    const plain = { type: 'T', n: 1 };
    expect(richCodec.encode(plain, 'e')).toBe(plain);
    const state = new Map([['a', 1]]);
    const stored = JSON.parse(JSON.stringify(richCodec.encode(state, 'state')));
    expect(richCodec.decode(stored)).toEqual(state);
  });

  it('refuses what superjson would change without a word', () => {
    class Money {
      cents = 1;
    }
    expect(refusal(() => richCodec.encode({ m: new Map([['k', new Money()]]) }, 'state'))).toMatchObject({
      path: 'state.m.get("k")',
      found: 'an instance of class Money',
    });
    expect(refusal(() => richCodec.encode({ at: new Date(Number.NaN) }, 'state')).found).toBe(
      'an invalid Date',
    );
    expect(refusal(() => richCodec.encode({ constructor: 1 }, 'state')).path).toBe('state.constructor');
    expect(refusal(() => richCodec.encode({ $rich: 1 }, 'state')).path).toBe('state.$rich');
  });
});

describe('codecByName', () => {
  it('finds the built-in codecs by the name they record, and nothing else', () => {
    expect(codecByName('json')).toBe(jsonCodec);
    expect(codecByName('rich')).toBe(richCodec);
    expect(codecByName('superjson')).toBeUndefined();
  });
});

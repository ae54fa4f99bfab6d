import { describe, expect, it } from 'vitest';
import { defineAggregate, isAggregateDefinition } from '../src/index.js';

const base = {
  type: 'thing',
  initialState: () => ({}),
  decide: () => [],
  evolve: (s: object) => s,
};

describe('defineAggregate', () => {
  it('returns a frozen definition that the runtime recognises', () => {
    const def = defineAggregate(base);
    expect(isAggregateDefinition(def)).toBe(true);
    expect(Object.isFrozen(def)).toBe(true);
    expect(def.eventSchemaVersion).toBe(1);
    expect(isAggregateDefinition({ ...base })).toBe(false);
  });

  it.each([
    ['an empty type', { ...base, type: '' }, /non-empty string without '\/'/],
    ["a type containing '/'", { ...base, type: 'a/b' }, /without '\/'/],
    ['a missing decide', { ...base, decide: undefined }, /decide must be a function/],
    ['snapshots.every of -1', { ...base, snapshots: { every: -1, schemaVersion: 1 } }, /snapshots.every/],
    [
      'a non-integer snapshot schemaVersion',
      { ...base, snapshots: { every: 5, schemaVersion: 1.5 } },
      /schemaVersion/,
    ],
    [
      'a validator that is not a Standard Schema',
      { ...base, validateCommand: { parse() {} } },
      /Standard Schema/,
    ],
  ])('refuses %s with INVALID_ARGUMENT', (_name, spec, message) => {
    expect(() => defineAggregate(spec as never)).toThrow(message);
    try {
      defineAggregate(spec as never);
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_ARGUMENT');
    }
  });
});

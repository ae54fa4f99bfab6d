/**
 * The command fingerprint tells a retry (same commandId, same command) from a reused commandId
 * (same commandId, another command). Two commands a caller can tell apart must never share one;
 * commands of plain JSON values must keep the fingerprints already stored with their events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../src/actor/fingerprint.js';
import { createRuntime, defineAggregate, memoryStore, type Runtime } from '../src/index.js';

describe('fingerprint', () => {
  it('keeps the fingerprints of plain JSON commands that stores already hold', () => {
    // Pinned values: events stored by earlier versions carry these; a change here turns every
    // exact retry across an upgrade into IDEMPOTENCY_CONFLICT.
    expect(fingerprint({ type: 'add', by: 5 })).toBe('465877568a5adc33');
    const nested = {
      type: 'pay',
      amount: 12.5,
      to: 'acc-7',
      tags: ['a', 'b'],
      nested: { ok: true, none: null, deep: [1, { z: 1, a: 2 }] },
    };
    expect(fingerprint(nested)).toBe('87e9b7da32fb9aa9');
    const dated = { type: 'schedule', at: new Date('2026-01-02T03:04:05.000Z'), note: 'é€😀' };
    expect(fingerprint(dated)).toBe('0e6124e060dd13dd');
  });

  it.each([
    ['NaN from null', Number.NaN, null],
    ['Infinity from null', Number.POSITIVE_INFINITY, null],
    ['-Infinity from Infinity', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    ['-0 from 0', -0, 0],
    ['1n from "1n"', 1n, '1n'],
    ['1n from 1', 1n, 1],
    ['a Map from an object spelling its entries', new Map([['a', 1]]), { Map: [['a', 1]] }],
    ['a Set from an object spelling its values', new Set([1]), { Set: [1] }],
    ['an empty Map from an empty Set', new Map(), new Set()],
    ['a cycle from the string "[cycle]"', 'cyclic', '[cycle]'],
  ])('tells %s', (_name, a, b) => {
    let left: Record<string, unknown> = { type: 't', v: a };
    if (a === 'cyclic') {
      left = { type: 't' };
      left.v = left;
    }
    expect(fingerprint(left)).not.toBe(fingerprint({ type: 't', v: b }));
  });

  it('still takes a Date as its ISO string (a command sent as JSON is the same command)', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(fingerprint({ type: 't', at })).toBe(fingerprint({ type: 't', at: at.toISOString() }));
  });
});

describe('a reused commandId', () => {
  type Cmd = { type: 'set'; v: unknown };
  const cell = defineAggregate<{ n: number }, Cmd, { type: 'Set' }>({
    type: 'cell',
    initialState: () => ({ n: 0 }),
    decide: () => [{ type: 'Set' }],
    evolve: (s) => ({ n: s.n + 1 }),
  });
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.shutdown();
    runtime = undefined;
  });

  it.each([
    ['NaN', Number.NaN, null],
    ['-0', -0, 0],
    ['a BigInt', 10n, '10n'],
  ])(
    'with %s where the first command had another value fails with IDEMPOTENCY_CONFLICT',
    async (_n, a, b) => {
      runtime = await createRuntime({ store: memoryStore(), aggregates: [cell] });
      const h = runtime.get(cell, 'c');
      await h.execute({ type: 'set', v: a }, { commandId: 'k' });
      const again = await h.execute({ type: 'set', v: a }, { commandId: 'k' });
      expect(again.deduplicated).toBe(true);
      const other = await h.execute({ type: 'set', v: b }, { commandId: 'k' }).catch((e: unknown) => e);
      expect(other).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', commandId: 'k' });
    },
  );
});

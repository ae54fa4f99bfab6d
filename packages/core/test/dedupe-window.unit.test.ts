import { describe, expect, it } from 'vitest';
import { DedupeWindow } from '../src/actor/dedupe.js';

describe('DedupeWindow', () => {
  it('remembers where each command starts, keeping the first entry when an id comes again', () => {
    const w = new DedupeWindow(10);
    w.add('a', 1);
    w.add('a', 2); // the second event of command a, met during replay
    w.add('b', 3);
    w.add('c', -3); // appended nothing at version 3
    expect([w.get('a'), w.get('b'), w.get('c'), w.get('zz')]).toEqual([1, 3, -3, undefined]);
    expect(w.size).toBe(3);
  });

  it('forgets the oldest id past its capacity', () => {
    const w = new DedupeWindow(2);
    for (const [id, at] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      w.add(id, at);
    expect(w.get('a')).toBeUndefined();
    expect(w.toJSON()).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
    const one = new DedupeWindow(1);
    one.add('a', 1);
    one.add('b', 2);
    expect([one.get('a'), one.get('b'), one.size]).toEqual([undefined, 2, 1]);
  });

  it('round-trips through JSON and refuses a malformed window', () => {
    const w = new DedupeWindow(5);
    w.add('a', 1);
    w.add('b', 4);
    expect(DedupeWindow.fromJSON(JSON.parse(JSON.stringify(w)), 5)?.toJSON()).toEqual(w.toJSON());
    expect(DedupeWindow.fromJSON([['a', 1, 2]], 5)).toBeUndefined();
    expect(DedupeWindow.fromJSON([['a', 'x']], 5)).toBeUndefined();
    expect(DedupeWindow.fromJSON('a', 5)).toBeUndefined();
  });
});
